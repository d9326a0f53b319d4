"""engine/logs.py reads the engine's log stream: frames recorded from the sandbox's engine
(tests/engine_json/service_logs.bin: a line with HTML, an ANSI line on stderr; the engine held
back the service's third line, which had no end)."""

import io
import threading
from datetime import UTC, datetime

import pytest

import engine
from engine import logs

from .fake_engine import RECORDINGS

RECORDED = (RECORDINGS / "service_logs.bin").read_bytes()


class _Raw(io.BytesIO):
    """The response's socket: read() as urllib3's, read1() what has arrived."""

    def read1(self, size: int = -1) -> bytes:
        return self.read(min(size, 7))  # a few bytes at a time, as a slow TTY sends them


class _Response:
    def __init__(self, data: bytes) -> None:
        self.raw = _Raw(data)
        self.closed = False

    def close(self) -> None:
        self.closed = True


class _Api:
    timeout = 10

    def __init__(self, data: bytes, status: int = 200) -> None:
        self.data, self.status, self.requests = data, status, []

    def _url(self, path: str, *args: str) -> str:
        return path.format(*args)

    def _get(self, url: str, params: dict, stream: bool, timeout):
        self.requests.append((url, params, timeout))
        return _Response(self.data)

    def _raise_for_status(self, response) -> None:
        if self.status == 404:
            from .fake_engine import api_error

            raise api_error(404, "service nope not found")


@pytest.fixture
def api(monkeypatch):
    def install(data: bytes, status: int = 200) -> _Api:
        fake = _Api(data, status)
        monkeypatch.setattr(engine.client, "api", lambda: fake)
        return fake

    return install


def test_the_engines_frames_become_lines_with_their_stream_task_and_node(api):
    fake = api(RECORDED)

    lines = list(engine.service_logs(service_id="rec-logs", follow=False, tail=None).lines())

    assert [(line.stream, line.text) for line in lines] == [
        ("stdout", "plain <b>bold</b>"),
        ("stderr", "\x1b[1;31mred\x1b[0m"),
    ]
    assert all(line.task_id and line.node_id for line in lines)
    assert lines[0].at.tzinfo is not None
    url, params, timeout = fake.requests[0]
    assert url == "/services/rec-logs/logs"
    assert params | {"tail": "all", "follow": 0, "timestamps": 1, "details": 1} == params
    assert timeout == 10  # a finite read has a timeout; a followed stream none (a quiet service)


def test_a_followed_stream_has_no_read_timeout_and_starts_where_asked(api):
    fake = api(b"")
    since = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

    list(engine.task_logs(task_id="t1", tail=50, since=since).lines())

    url, params, timeout = fake.requests[0]
    assert (url, params["tail"], params["follow"], timeout) == ("/tasks/t1/logs", "50", 1, None)
    assert float(params["since"]) == since.timestamp()


def test_a_tty_service_sends_raw_lines_split_wherever(api):
    api(b"2026-11-26T15:52:22.357767Z com.docker.swarm.task.id=t1 tty 14\r\n2026-11-26T15:52:22.6Z tty 15\r\n")

    lines = list(engine.service_logs(service_id="tty").lines())

    assert [(line.stream, line.text, line.task_id) for line in lines] == [
        ("stdout", "tty 14", "t1"),
        ("stdout", "tty 15", ""),
    ]


def test_a_line_in_two_frames_is_one_line_and_a_last_line_without_end_still_comes(api):
    frames = [b"2026-11-26T15:52:22Z par", b"t one\n2026-11-26T15:52:23Z last"]
    api(b"".join(logs._HEADER.pack(1, len(frame)) + frame for frame in frames))

    lines = list(engine.service_logs(service_id="web").lines())

    assert [line.text for line in lines] == ["part one", "last"]


def test_a_line_without_end_is_cut_rather_than_kept_growing(api):
    frame = b"x" * (logs.MAX_LINE * 5)
    api(logs._HEADER.pack(1, len(frame)) + frame)

    lines = list(engine.service_logs(service_id="flood").lines())

    assert all(len(line.text) <= logs.MAX_LINE for line in lines)


def test_an_unknown_service_is_the_adapters_error(api):
    api(b"", status=404)

    with pytest.raises(engine.ServiceNotFound):
        engine.service_logs(service_id="nope")


def test_close_from_another_thread_ends_the_iteration_quietly(api):
    frame = b"2026-11-26T15:52:22Z line\n"
    api((logs._HEADER.pack(1, len(frame)) + frame) * 1000)
    reader = engine.service_logs(service_id="web")
    seen = []

    for line in reader.lines():
        seen.append(line)
        if len(seen) == 3:
            threading.Thread(target=reader.close).start()
            threading.Event().wait(0.1)

    assert 3 <= len(seen) < 1000
    assert reader._response.closed
