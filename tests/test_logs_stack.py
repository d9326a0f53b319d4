"""Live logs on the real stack: a real engine's service logs through the real daphne to a websocket
client logged in with a real session. Lines follow a rolling update, a flood keeps daphne's memory
bounded and is counted as dropped, a closed socket ends the engine's stream, what a program prints
stays text, and a removed service ends the stream."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings

from bench.wsclient import OP_TEXT, Closed, WebSocket

from .conftest import running_tasks, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

COUNTER = 'i=0; while :; do i=$((i+1)); echo "count $i"; sleep 0.1; done'
# Busybox's sh as PID 1 ignores SIGTERM: a short grace period makes a forced update quick.
QUICK_STOP = {"stop_grace_period": 10**9}
# A flood must not fill the sandbox's disk.
SMALL_LOGS = {"log_driver": "json-file", "log_driver_options": {"max-size": "5m", "max-file": "2"}}


class LogSocket:
    """A log websocket to the real daphne, as a page opens it (its session cookie, its Origin)."""

    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws

    @classmethod
    async def open(cls, stack, client, path: str, origin: str | None = None) -> LogSocket:
        port = int(stack.url.rsplit(":", 1)[1])
        headers = {"Origin": origin or stack.url}
        if client is not None:
            headers["Cookie"] = f"sessionid={client.cookies['sessionid'].value}"
        return cls(await WebSocket.connect("127.0.0.1", port, path, headers))

    async def next(self, timeout: float = 10) -> dict:
        return json.loads(await asyncio.wait_for(self.ws.receive(), timeout))

    async def ack(self, seq: int) -> None:
        await self.ws._send(OP_TEXT, json.dumps({"ack": seq}).encode())  # the client has no text sender

    async def lines(self, until, timeout: float) -> list[dict]:
        """Lines, acknowledged as they come, until ``until(lines)`` holds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        lines: list[dict] = []
        while not until(lines):
            message = await self.next(timeout=max(deadline - loop.time(), 0.01))
            if message["kind"] == "lines":
                lines += message["lines"]
                await self.ack(message["seq"])
        return lines

    async def close(self) -> None:
        await self.ws.close()


def _counts(lines: list[dict]) -> list[int]:
    return [int(match[1]) for line in lines if (match := re.fullmatch(r"count (\d+)", _text(line)))]


def _text(line: dict) -> str:
    return "".join(text for _classes, text in line["parts"])


def _rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)[1])


def _engine_pid() -> int:
    """The sandbox dockerd's pid (bin/sandbox keeps its pidfile beside its socket)."""
    host = settings.DOCKER_HOST
    pidfile = Path(host.removeprefix("unix://")).parent / "docker.pid"
    if not host.startswith("unix://") or not pidfile.exists():
        pytest.skip("needs a sandbox engine whose process can be looked at")
    return int(pidfile.read_text())


def _engine_connections(pid: int, engine_pid: int) -> set[int]:
    """The process's unix sockets whose other end the engine holds (its HTTP connections to it)."""
    engine_fds = Path(f"/proc/{engine_pid}/fd")
    engine_sockets = set()
    for fd in engine_fds.iterdir():
        try:
            target = fd.readlink().name
        except OSError:  # closed while listed
            continue
        if target.startswith("socket:["):
            engine_sockets.add(int(target[8:-1]))
    listed = subprocess.run(["ss", "-xpH"], check=True, capture_output=True, text=True).stdout
    # "u_str ESTAB 0 0 * <inode> * <peer inode> users:(("python",pid=N,fd=M))"
    return {
        int(fields[5])
        for row in listed.splitlines()
        if f"pid={pid}," in row and len(fields := row.split()) > 7 and fields[7].isdigit()
        if int(fields[7]) in engine_sockets
    }


def test_lines_follow_within_2_s_and_go_on_across_a_forced_update(stack, make_service, panel_client, docker_client):
    service = make_service(command=("sh", "-c", COUNTER), **QUICK_STOP)
    wait_until(lambda: running_tasks(service) == 1)
    first_task = next(task["ID"] for task in service.tasks() if task["Status"]["State"] == "running")

    async def scenario():
        loop = asyncio.get_running_loop()
        opened = loop.time()
        socket = await LogSocket.open(stack, panel_client, f"/ws/logs/services/{service.id}/?tail=5")
        first = await socket.lines(lambda lines: lines, timeout=2)
        arrived = loop.time() - opened
        counted = await socket.lines(lambda lines: len(_counts(lines)) >= 10, timeout=5)
        service.force_update()
        # The same stream goes on with the new task's lines.
        after = await socket.lines(lambda lines: any(line["task_id"] != first_task for line in lines), timeout=60)
        await socket.close()
        return arrived, first + counted, after

    arrived, before, after = asyncio.run(scenario())

    assert arrived < 2
    numbers = _counts(before)
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))  # consecutive: none lost, none twice
    assert {line["task"] for line in before} == {f"{service.name}.1"}
    assert {line["task_id"] for line in before} == {first_task}
    new = next(line for line in after if line["task_id"] != first_task)
    service.reload()
    tasks = {task["ID"]: task for task in service.tasks()}
    assert new["task_id"] in tasks and tasks[new["task_id"]]["DesiredState"] == "running"
    assert new["task"] == f"{service.name}.1"  # named, not a bare id: the names were read again
    assert new["node"] and new["stream"] == "stdout" and new["at"].endswith("Z")


def test_a_flood_to_a_page_that_does_not_ack_keeps_daphne_bounded_and_is_counted(stack, make_service, panel_client):
    line = "0123456789abcdef" * 8
    service = make_service(command=("sh", "-c", f"while :; do echo {line}; done"), **SMALL_LOGS)
    wait_until(lambda: running_tasks(service) == 1)
    daphne = stack.processes["web"].pid

    async def scenario():
        socket = await LogSocket.open(stack, panel_client, f"/ws/logs/services/{service.id}/?tail=0")
        first = await socket.next()
        rss_before = _rss_kib(daphne)
        peak = rss_before
        loop = asyncio.get_running_loop()
        end = loop.time() + 10
        while loop.time() < end:  # no acks and no reads: the server holds what it may, drops the rest
            await asyncio.sleep(0.5)
            peak = max(peak, _rss_kib(daphne))
        await socket.ack(first["seq"])
        later = []
        while not any(message.get("dropped") for message in later):
            message = await socket.next()
            later.append(message)
            if message["kind"] == "lines":
                await socket.ack(message["seq"])
        await socket.close()
        return rss_before, peak, first, later

    rss_before, peak, first, later = asyncio.run(scenario())

    assert first["kind"] == "lines"
    # A functional bound, not a benchmark: at most a few buffers' worth, never the flood itself.
    assert peak - rss_before < 150 * 1024, f"daphne grew by {(peak - rss_before) // 1024} MiB"
    dropped = next(message["dropped"] for message in later if message.get("dropped"))
    assert dropped > 0
    assert all(len(message.get("lines", [])) <= 500 for message in later)


def test_closing_the_socket_ends_the_engines_stream(stack, make_service, panel_client):
    service = make_service(command=("sh", "-c", COUNTER))
    wait_until(lambda: running_tasks(service) == 1)
    daphne, engine_pid = stack.processes["web"].pid, _engine_pid()

    async def scenario():
        socket = await LogSocket.open(stack, panel_client, f"/ws/logs/services/{service.id}/")
        await socket.lines(lambda lines: len(lines) >= 3, timeout=10)
        streaming = _engine_connections(daphne, engine_pid)
        await socket.lines(lambda lines: len(lines) >= 20, timeout=10)
        still = _engine_connections(daphne, engine_pid)
        await socket.close()
        return streaming, still

    streaming, still = asyncio.run(scenario())

    assert streaming, "daphne holds no connection to the engine while it streams logs"
    assert streaming <= still  # while the socket is open, its stream stays
    # Closed: the engine's end of the log stream goes (the idle pooled connections may stay).
    gone = wait_until(lambda: streaming - _engine_connections(daphne, engine_pid), timeout=5)
    assert len(gone) == 1


def test_what_a_program_prints_arrives_as_text_with_its_colours_as_classes(stack, make_service, panel_client):
    script = (
        "echo '<b>bold?</b> <script>alert(1)</script>'; "
        r"printf '\033[31mred\033[0m \033[1;32mgreen\033[0m \033[2K\033[3Amoved\a\n'; "
        "sleep 100000"
    )
    service = make_service(command=("sh", "-c", script))
    wait_until(lambda: running_tasks(service) == 1)

    async def scenario():
        socket = await LogSocket.open(stack, panel_client, f"/ws/logs/services/{service.id}/")
        lines = await socket.lines(lambda lines: len(lines) >= 2, timeout=20)
        await socket.close()
        return lines

    html, colours = asyncio.run(scenario())[:2]

    assert html["parts"] == [["", "<b>bold?</b> <script>alert(1)</script>"]]
    assert colours["parts"] == [["ansi-fg-1", "red"], ["", " "], ["ansi-fg-2 ansi-bold", "green"], ["", " moved"]]


def test_a_removed_service_ends_the_stream_with_a_message(stack, make_service, panel_client):
    service = make_service(command=("sh", "-c", COUNTER))
    wait_until(lambda: running_tasks(service) == 1)

    async def scenario():
        socket = await LogSocket.open(stack, panel_client, f"/ws/logs/services/{service.id}/")
        await socket.lines(lambda lines: lines, timeout=10)
        removed = time.monotonic()
        service.remove()
        messages = []
        try:
            while True:
                message = await socket.next(timeout=15)
                messages.append(message)
                if message["kind"] == "lines":
                    await socket.ack(message["seq"])
        except Closed as closed:
            return messages, str(closed), time.monotonic() - removed

    messages, closed, seconds = asyncio.run(scenario())

    end = messages[-1]
    assert (end["kind"], end["code"]) == ("end", "not_found")
    assert end["text"] == "The service does not exist (any more)."
    assert closed.endswith(": 4404")
    assert seconds < 10  # the watcher's hint, or the regular check


@pytest.mark.parametrize("origin", ["", "http://evil.test"])
def test_strangers_and_foreign_pages_get_no_log_socket(stack, panel_client, origin):
    async def scenario():
        client = panel_client if origin else None  # no session / a session but another site's page
        with pytest.raises(Closed, match="403"):
            await LogSocket.open(stack, client, "/ws/logs/services/someservice/", origin=origin or None)

    asyncio.run(scenario())
