"""Service and task logs, as LogLine values read from the engine's log endpoints.

Swarm's own log endpoint of a service follows the service, not a container: with ``follow`` the
lines of tasks started later (a rolling update, a ``--force`` redeploy, a restart) keep coming in
the same stream, from every node, each marked with its task and node (``details``). A LogReader is
driven by whoever iterates it, off the event loop; ``close()`` from any thread ends the engine's
stream at once (the HTTP response is closed, so no stream is left open behind a closed page).
"""

from __future__ import annotations

import contextlib
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from . import client
from .client import engine_errors
from .errors import ServiceNotFound, TaskNotFound

STDOUT, STDERR = "stdout", "stderr"
_STREAMS = {1: STDOUT, 2: STDERR}
MAX_LINE = 16 * 1024  # characters kept of one line: a line without end cannot grow without bound
_HEADER = struct.Struct(">BxxxL")  # the multiplexed stream: stream type, 3 bytes padding, size


@dataclass(frozen=True)
class LogLine:
    at: datetime | None
    stream: str  # STDOUT or STDERR (a TTY service's lines are all stdout)
    text: str  # without its line end; ANSI escapes as the program wrote them
    task_id: str
    node_id: str


def _line(stream: str, raw: bytes) -> LogLine:
    """``<timestamp> <details> <message>``: the details are ``k=v,k=v`` (Swarm's task and node ids)."""
    text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
    stamp, _space, rest = text.partition(" ")
    at = client.when(stamp)
    if at is None:  # no timestamp: the line as it is
        rest = text
    details, space, message = rest.partition(" ")
    attributes = dict(pair.partition("=")[::2] for pair in details.split(",")) if space and "=" in details else {}
    if not attributes:
        message = rest
    return LogLine(
        at=at,
        stream=stream,
        text=message[:MAX_LINE],
        task_id=attributes.get("com.docker.swarm.task.id", ""),
        node_id=attributes.get("com.docker.swarm.node.id", ""),
    )


class LogReader:
    """A service's or a task's log lines as they come; iterate ``lines()``, ``close()`` from anywhere."""

    def __init__(self, path: str, target_id: str, *, not_found: type, params: dict) -> None:
        api = client.api()
        self._closed = threading.Event()
        with engine_errors(not_found=not_found):
            # No read timeout on a followed stream: a quiet service prints nothing for hours.
            timeout = None if params.get("follow") else api.timeout
            self._response = api._get(api._url(path, target_id), params=params, stream=True, timeout=timeout)
            api._raise_for_status(self._response)

    def lines(self) -> Iterator[LogLine]:
        """Blocks for each line; ends when the engine ends the stream or ``close()`` is called."""
        try:
            with engine_errors():
                frames = self._frames()
                pending = {STDOUT: b"", STDERR: b""}
                for stream, data in frames:
                    # A frame holds whole lines or a part of one: keep the part until its end comes.
                    buffer = pending[stream] + data
                    *complete, pending[stream] = buffer.split(b"\n")
                    for raw in complete:
                        yield _line(stream, raw)
                    if len(pending[stream]) > MAX_LINE * 4:  # a line without end: give it out as it is
                        yield _line(stream, pending[stream])
                        pending[stream] = b""
                for stream, rest in pending.items():
                    if rest:
                        yield _line(stream, rest)
        except Exception:
            if not self._closed.is_set():
                raise  # a stream we closed ends quietly; anything else is the engine's error

    def _frames(self) -> Iterator[tuple[str, bytes]]:
        """(stream, bytes) as the engine sends them. A service without a TTY multiplexes stdout and
        stderr in frames behind an 8-byte header; one with a TTY sends its output raw (the service
        log endpoint says which by no header: its first bytes tell, as a timestamp never starts
        with a stream number and three zero bytes)."""
        raw = self._response.raw
        head = raw.read(_HEADER.size)
        if len(head) == _HEADER.size and head[0] in (0, 1, 2) and head[1:4] == b"\0\0\0":
            while not self._closed.is_set() and len(head) == _HEADER.size:
                kind, size = _HEADER.unpack(head)
                yield _STREAMS.get(kind, STDOUT), raw.read(size)
                head = raw.read(_HEADER.size)
            return
        yield STDOUT, head
        # read1: what has arrived, without waiting for a full buffer (a TTY sends a line at a time).
        while not self._closed.is_set() and (chunk := raw.read1(65536)):
            yield STDOUT, chunk

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(Exception):
            # Shut the socket down first: a read blocked in another thread returns at once.
            sock = self._response.raw._fp.fp.raw._sock
            sock.shutdown(2)
        with contextlib.suppress(Exception):
            self._response.close()


def _params(*, follow: bool, tail: int | None, since: datetime | None, until: datetime | None) -> dict:
    params = {"stdout": 1, "stderr": 1, "timestamps": 1, "details": 1, "follow": int(follow)}
    params["tail"] = "all" if tail is None else str(max(0, tail))
    if since is not None:
        params["since"] = f"{since.timestamp():.9f}"
    if until is not None:
        params["until"] = f"{until.timestamp():.9f}"
    return params


def service_logs(
    *,
    service_id: str,
    follow: bool = True,
    tail: int | None = 200,
    since: datetime | None = None,
    until: datetime | None = None,
) -> LogReader:
    """The service's lines from every task on every node (``tail`` lines back, or from ``since``)."""
    params = _params(follow=follow, tail=tail, since=since, until=until)
    return LogReader("/services/{0}/logs", service_id, not_found=ServiceNotFound, params=params)


def task_logs(
    *,
    task_id: str,
    follow: bool = True,
    tail: int | None = 200,
    since: datetime | None = None,
    until: datetime | None = None,
) -> LogReader:
    """One task's lines (a task is one container: its stream ends when the task does)."""
    params = _params(follow=follow, tail=tail, since=since, until=until)
    return LogReader("/tasks/{0}/logs", task_id, not_found=TaskNotFound, params=params)
