"""The pump between one engine log stream and one websocket.

A LogReader blocks for each line, so it is driven by a thread of its own (not an executor's: a
stream lasts as long as the page, and a shared pool would be held by the open pages). The thread
only reads: each line goes into a bounded buffer (the oldest dropped and counted when the page does
not keep up), and the event loop takes batches from it, every BATCH_SECONDS at most, and sends one
only while fewer than WINDOW batches wait for the page's ack. Lines are turned into the contract's
shape (names, ANSI parts) when they are sent, so a flood costs no work for the lines it drops.

Around the thread, on the event loop: the target is resolved first (its name, a task's service),
and checked every CHECK_SECONDS (or sooner on the watcher's hint): the engine's stream of a removed
service or of an ended task does not end by itself, it only falls silent. Messages (notices, the end)
are sent in their place among the lines, in the page's language.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

import engine
from jobs.messages import ERRORS, render

from .ansi import ansi_parts
from .targets import Kind, Names, Target, target_get

logger = logging.getLogger(__name__)

BATCH_SECONDS = 0.1
BATCH_LINES = 500
BATCH_CHARS = 1_000_000  # a batch of very long lines stays a message of about a megabyte
BUFFER_LINES = 2000
# 2000 lines of up to engine.logs.MAX_LINE characters would be 32 MB a socket: characters are bounded too.
BUFFER_CHARS = 4_000_000
WINDOW = 2  # batches sent and not yet acknowledged
CHECK_SECONDS = 5.0  # how often the target is looked at without a hint
CHECK_GAP_SECONDS = 1.0  # a burst of hints makes one check a second at most
QUIET_SECONDS = 1.0  # an ended task's last lines are in once its stream has been quiet this long
BACKOFF_SECONDS = (1, 2, 4, 8, 16, 30)
NOTICES_KEPT = 20

CLOSE_GONE = 4404
CLOSE_NORMAL = 1000

# The words of the messages that are not an engine error's (those are jobs.messages.ERRORS).
MESSAGES = {
    "ended": _("The task has ended: these are all its lines."),
    "resumed": _("The Docker engine answers again; the lines go on."),
    "failed": _("Reading the logs failed unexpectedly; reload the page to try again."),
}


def stamp(moment: datetime | None) -> str | None:
    """UTC with microseconds and a Z, as the contract shows times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ") if moment else None


# --- the pump ------------------------------------------------------------------------------------


@dataclass
class _Message:
    """A notice or the end, sent once every line read before it is sent or dropped."""

    after: int  # lines read before it
    kind: str  # "notice" or "end"
    code: str
    params: dict = field(default_factory=dict)
    close_code: int | None = None


class LogPump:
    """Streams one service's or task's log lines to one socket; ``start`` on the socket's event loop,
    ``ack`` what the page acknowledges, ``poke`` on a hint that the target changed, ``stop`` at the end.
    ``send`` sends a JSON message, ``close`` closes the socket with a code; ``on_target`` learns the
    resolved target (its service, for the hints)."""

    def __init__(
        self,
        *,
        kind: Kind,
        target_id: str,
        tail: int | None,
        since: datetime | None,
        language: str,
        send: Callable[[dict], Awaitable[None]],
        close: Callable[[int], Awaitable[None]],
        on_target: Callable[[Target], Awaitable[None]] | None = None,
    ) -> None:
        self.kind, self.target_id, self.tail, self.since = kind, target_id, tail, since
        self.language = language
        self._send, self._close, self._on_target = send, close, on_target
        self.target: Target | None = None
        self.names: Names | None = None
        self.thread: threading.Thread | None = None
        # Shared with the reader's thread, under the lock.
        self._lock = threading.Lock()
        self._buffer: deque[engine.LogLine] = deque()
        self._buffered_chars = 0
        self.read = 0  # lines the reader gave
        self.dropped = 0  # lines dropped from the buffer
        self._taken = 0  # lines taken from the buffer to be sent
        self._messages: deque[_Message] = deque(maxlen=NOTICES_KEPT)
        self._signalled = False  # the loop was woken for what is buffered; no need to wake it again
        self._reader: engine.LogReader | None = None
        self._stopping = threading.Event()
        self._last_line_at = time.monotonic()
        self._follow = True
        self._task_ended = False  # the check saw the task end; its stream is closed once quiet
        self._finished = False  # the end was sent, or the task's stream ended: nothing more to check
        # Only the event loop's.
        self.seq = 0
        self.acked = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._poked: asyncio.Event | None = None
        self._tasks: list[asyncio.Task] = []

    # --- the event loop's side

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake, self._poked = asyncio.Event(), asyncio.Event()
        self._tasks = [asyncio.create_task(self._send_loop()), asyncio.create_task(self._watch())]
        for task in self._tasks:
            task.add_done_callback(self._task_done)

    def stop(self) -> None:
        """The socket closed: the reader is closed (which ends the engine's stream), the thread ends."""
        self._stopping.set()
        self._reader_close()
        for task in self._tasks:
            task.cancel()

    def _task_done(self, task: asyncio.Task) -> None:
        if not task.cancelled() and (error := task.exception()) is not None:
            # Said once, with its traceback, instead of "exception never retrieved" at collection.
            logger.error("log pump of %s %s failed", self.kind, self.target_id, exc_info=error)

    def ack(self, seq: object) -> None:
        if isinstance(seq, int) and not isinstance(seq, bool) and self.acked < seq <= self.seq:
            self.acked = seq
            self._wake.set()

    def poke(self) -> None:
        self._poked.set()

    async def _send_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if await self._flush():
                return
            with self._lock:
                more = bool(self._buffer)
            if more and self.seq - self.acked < WINDOW:
                self._wake.set()
            await asyncio.sleep(BATCH_SECONDS)

    async def _flush(self) -> bool:
        """Send what is due: messages whose lines are out, one batch if the window allows, then the
        messages due after it. True once the end was sent (and the socket closed)."""
        if await self._send_messages():
            return True
        with self._lock:
            self._signalled = False
            batch: list[engine.LogLine] = []
            if self.seq - self.acked < WINDOW:
                # A batch stops where a message waits: the page reads them in the order they happened.
                limit = BATCH_LINES
                if self._messages:
                    limit = min(limit, self._messages[0].after - self._taken - self.dropped)
                chars = 0
                while self._buffer and len(batch) < limit:
                    size = len(self._buffer[0].text)
                    if batch and chars + size > BATCH_CHARS:
                        break
                    line = self._buffer.popleft()
                    self._buffered_chars -= size
                    chars += size
                    batch.append(line)
                self._taken += len(batch)
            dropped = self.dropped
        if batch:
            self.seq += 1
            lines = [self._line(line) for line in batch]
            await self._send({"kind": "lines", "seq": self.seq, "lines": lines, "dropped": dropped})
        return await self._send_messages()

    async def _send_messages(self) -> bool:
        with self._lock:
            out = self._taken + self.dropped
            # The end goes at once, with what waits before it: the lines still buffered are lost anyway.
            ending = any(message.close_code is not None for message in self._messages)
            due = []
            while self._messages and (ending or self._messages[0].after <= out):
                due.append(self._messages.popleft())
        for message in due:
            with translation.override(self.language):
                text = self._text(message)
            await self._send({"kind": message.kind, "code": message.code, "text": text})
            if message.close_code is not None:
                self._finished = True
                self._stopping.set()
                self._reader_close()
                await self._close(message.close_code)
                return True
        return False

    def _line(self, line: engine.LogLine) -> dict:
        return {
            "at": stamp(line.at),
            "stream": line.stream,
            "task": self.names.task(line.task_id),
            "task_id": line.task_id,
            "node": self.names.node(line.node_id),
            "parts": ansi_parts(line.text),
        }

    @staticmethod
    def _text(message: _Message) -> str:
        if message.code in MESSAGES:
            return str(MESSAGES[message.code])
        text = render(ERRORS, message.code)
        if "seconds" in message.params:
            seconds = message.params["seconds"]
            text += " " + ngettext(
                "Trying again in {seconds} second.", "Trying again in {seconds} seconds.", seconds
            ).format(seconds=seconds)
        return text

    async def _watch(self) -> None:
        """Resolve the target, start the reader, then look at the target until the stream is over."""
        for attempt in itertools.count():
            try:
                self.target = await asyncio.to_thread(target_get, kind=self.kind, target_id=self.target_id)
                break
            except engine.EngineError as exc:
                if not self._retry_after(exc, attempt):
                    return
                await asyncio.sleep(self._backoff(attempt))
        if self._on_target is not None:
            await self._on_target(self.target)
        self.names = Names(self.target)
        if self.kind == "task":
            with contextlib.suppress(engine.EngineError):
                await asyncio.to_thread(self._check)
            # An ended task's stream would stay open, silent: read what it printed, and stop.
            self._follow = not self._task_ended
        if self._finished:
            return
        self.thread = threading.Thread(target=self._read, name=f"logs-{self.kind}-{self.target.id[:12]}", daemon=True)
        self.thread.start()
        while not self._finished and not self._stopping.is_set():
            if self._task_ended:
                # Its last lines may still be on their way: a followed stream is closed once it is
                # quiet, and the reader's thread then says the task ended.
                if self._follow and time.monotonic() - self._last_line_at >= QUIET_SECONDS:
                    self._reader_close()
                await asyncio.sleep(QUIET_SECONDS / 2)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._poked.wait(), timeout=CHECK_SECONDS)
            self._poked.clear()
            try:
                await asyncio.to_thread(self._check)
            except engine.EngineError as exc:
                logger.debug("log target not checked: %s", exc)  # the reader's retries tell the page
            await asyncio.sleep(CHECK_GAP_SECONDS)

    def _check(self) -> None:
        """In a worker thread: is the target still there (and the task still running)?"""
        try:
            if self.kind == "service":
                engine.service_get(service_id=self.target.id)
                return
            task = engine.task_get(task_id=self.target.id)
        except (engine.ServiceNotFound, engine.TaskNotFound) as exc:
            self._post("end", exc.code, close_code=CLOSE_GONE)
            return
        if task.state in engine.TERMINAL_TASK_STATES:
            self._task_ended = True

    def _retry_after(self, exc: engine.EngineError, attempt: int) -> bool:
        """Tell the page about an engine error; True when it is worth trying again."""
        if isinstance(exc, (engine.ServiceNotFound, engine.TaskNotFound)):
            self._post("end", exc.code, close_code=CLOSE_GONE)
            return False
        if not exc.transient:
            self._post("end", exc.code, close_code=CLOSE_NORMAL)
            return False
        self._post("notice", exc.code, {"seconds": self._backoff(attempt)})
        return True

    @staticmethod
    def _backoff(attempt: int) -> int:
        return BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS) - 1)]

    # --- shared

    def _post(self, kind: str, code: str, params: dict | None = None, close_code: int | None = None) -> None:
        with self._lock:
            last = self._messages[-1] if self._messages else None
            if last is not None and (last.kind, last.code) == (kind, code) and close_code is None:
                last.params = params or {}  # the same trouble again: one notice, the latest retry time
            else:
                self._messages.append(_Message(self.read, kind, code, params or {}, close_code))
        self._signal(force=True)

    def _signal(self, force: bool = False) -> None:
        with self._lock:
            if self._signalled and not force:
                return
            self._signalled = True
        try:
            self._loop.call_soon_threadsafe(self._wake.set)
        except RuntimeError:  # the loop is closed (the server stops): nobody is left to read for
            self._stopping.set()

    def _reader_close(self) -> None:
        with self._lock:
            reader = self._reader
        if reader is not None:
            reader.close()

    # --- the reader's thread

    def _read(self) -> None:
        try:
            self._read_until_over()
        except Exception:
            logger.exception("log stream of %s %s failed", self.kind, self.target_id)
            self._post("end", "failed", close_code=CLOSE_NORMAL)

    def _read_until_over(self) -> None:
        tail, since = self.tail, self.since
        last_at: datetime | None = None
        attempt, troubled = 0, False
        self.names.refresh()
        while not self._stopping.is_set():
            try:
                reader = self._open(tail=tail, since=since)
                if reader is None:
                    return
                if troubled:
                    self._post("notice", "resumed")
                    troubled = False
                try:
                    for line in reader.lines():
                        attempt = 0  # the backoff starts again once a stream gives lines
                        self.names.see(line.task_id)
                        self._push(line)
                        last_at = line.at or last_at
                finally:
                    reader.close()
            except engine.EngineError as exc:
                if self._stopping.is_set() or not self._retry_after(exc, attempt):
                    return
                troubled = True
            else:
                if self._stopping.is_set():
                    return
                if self.kind == "task" and (self._task_ended or not self._follow):
                    self._finished = True
                    self._post("notice", "ended")
                    return
                # The engine ended a stream it should have kept open (a manager restarting): go on.
            # Again from the last line's time (a line or two of that instant may come twice), or as asked.
            if last_at is not None:
                tail, since = None, last_at
            self._stopping.wait(self._backoff(attempt))
            attempt += 1

    def _open(self, *, tail: int | None, since: datetime | None) -> engine.LogReader | None:
        open_logs = engine.service_logs if self.kind == "service" else engine.task_logs
        key = "service_id" if self.kind == "service" else "task_id"
        reader = open_logs(**{key: self.target.id}, follow=self._follow, tail=tail, since=since)
        with self._lock:
            self._reader = reader
        self._last_line_at = time.monotonic()  # a stream just opened is not quiet yet
        if self._stopping.is_set():  # closed while it opened: nobody closed this one
            reader.close()
            return None
        return reader

    def _push(self, line: engine.LogLine) -> None:
        self._last_line_at = time.monotonic()
        size = len(line.text)
        with self._lock:
            while self._buffer and (len(self._buffer) >= BUFFER_LINES or self._buffered_chars + size > BUFFER_CHARS):
                self._buffered_chars -= len(self._buffer.popleft().text)
                self.dropped += 1
            self._buffer.append(line)
            self._buffered_chars += size
            self.read += 1
            if self._signalled:
                return
        self._signal()
