"""The event watcher: follows the Docker event stream, keeps the history, pushes hints.

Events are triggers, not state: the first event of a burst makes the watcher re-read the affected
services from the API at once and store what it finds; the rest of the burst is coalesced over
``COALESCE`` seconds and re-read once at the window's end (leading plus trailing edge). After a
(re)connect it first replays the events it missed (``since=`` its stored cursor), then re-reads everything.
What changed is pushed: the services list's rows, rendered once for every viewer (services.pushes),
and a hint for the other pages. Pushes that cannot be published (Redis down) are kept and sent again
once Redis answers. Old history is removed by the retention (dashboard/retention.py), not here.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import time

from django.conf import settings
from django.db import DatabaseError, close_old_connections

import engine
from history import recorder
from jobs.messages import error_text
from live import push
from services.pushes import service_rows_publish

from .models import Watcher

logger = logging.getLogger("swarmdeck.watcher")

COALESCE = 0.25  # seconds: after a re-read, what follows within this window waits for one more
TICK = 1.0  # seconds between housekeeping rounds (pending hints, heartbeat when due)
HEARTBEAT = 10.0  # seconds between two heartbeat writes
MAX_BACKOFF = 30.0
RESYNC_ALL_ABOVE = 5  # changed services in one batch beyond which the whole swarm is re-read
RECHECK = 1.0  # seconds after a batch when its services are re-read once more (recheck_due)

_END = object()  # the reader thread's "stream ended" marker


def _is_service_event(item: object) -> bool:
    return isinstance(item, engine.EngineEvent) and item.type == "service"


class SwarmWatcher:
    def __init__(self, *, name: str | None = None) -> None:
        self.name = name or os.environ.get("SWARMDECK_WATCHER_NAME") or socket.gethostname()
        self.stopping = threading.Event()
        self.stream: engine.EventStream | None = None
        self.identity: engine.NodeIdentity | None = None
        self.pending: set[str] = set()  # service ids ("" = all) whose hint is not delivered yet
        self.rows_pending: set[str] = set()  # ... whose services list rows are not delivered yet
        self.reshaped = False  # a pending service was created: the services lists re-read
        self.recheck: dict[str, float] = {}  # service id -> when to re-read it once more
        self.undelivered = False  # the last publish failed (Redis down)
        self.last_heartbeat = 0.0

    # --- lifecycle ------------------------------------------------------------------------

    def run(self) -> None:
        backoff = 1.0
        while not self.stopping.is_set():
            try:
                self.connect()
                backoff = 1.0
                self.follow()
            except engine.EngineError as exc:
                if self.stopping.is_set():
                    break
                words = error_text(exc).message
                # A code and data, not a sentence: the overview words it in its reader's language.
                problem = {"detail": exc.detail, "seconds": round(backoff), "host": settings.DOCKER_HOST}
                self.status(Watcher.State.RECONNECTING, exc.code, problem)
                logger.warning("%s (%s); reconnecting in %.0fs", words, exc.detail, backoff)
                self.stopping.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
            except DatabaseError as exc:
                if self.stopping.is_set():
                    break
                # The database went away (restarted, or its schema is being migrated): the events not
                # recorded are replayed from the cursor once it answers again, so nothing is lost.
                logger.warning("the database failed (%s); reconnecting in %.0fs", exc, backoff)
                self.stopping.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
            finally:
                self.close_stream()
                close_old_connections()
        self.status(Watcher.State.STOPPED)
        logger.info("watcher stopped")

    def stop(self) -> None:
        self.stopping.set()
        self.close_stream()

    def close_stream(self) -> None:
        if self.stream is not None:
            self.stream.close()
            self.stream = None

    # --- connecting -----------------------------------------------------------------------

    def connect(self) -> None:
        self.identity = engine.node_identity()
        cursor = Watcher.objects.filter(name=self.name).values_list("last_event_ns", flat=True).first()
        now_ns = time.time_ns()
        if cursor:
            # What happened while we were away: a finite replay, before the re-read, so a task
            # Swarm has already forgotten is still recorded from its container's events.
            replay = engine.event_stream(since=cursor / 1e9, until=now_ns / 1e9)
            self.handle_batch(list(replay), resync=False)
        if self.identity.is_manager:
            everything = recorder.swarm_sync() | {""}
            self.pending |= everything
            self.rows_pending |= everything
        self.pending |= recorder.health_sync(node_id=self.identity.node_id)
        self.stream = engine.event_stream(since=now_ns / 1e9)
        self.status(Watcher.State.CONNECTED)
        logger.info("following Swarm events as %s (%s)", self.name, "manager" if self.identity.is_manager else "worker")
        self.flush()

    # --- following ------------------------------------------------------------------------

    def follow(self) -> None:
        events: queue.Queue = queue.Queue()
        reader = threading.Thread(target=self._read, args=(self.stream, events), daemon=True)
        reader.start()
        self.consume(events)

    def consume(self, events: queue.Queue) -> None:
        """Handle the events as they come: leading edge plus trailing edge.

        The first event of a burst is handled (re-read, published) at once, so a hint leaves ~15 ms
        after the engine's event instead of after a window. Handling opens a ``COALESCE`` window:
        what arrives in it is held and handled once at its end, which opens the next window. A
        crash-looping service thus still costs at most ~1/COALESCE re-reads a second, not one per
        event. A service event (a scale, an update) arriving in a window its containers' events
        opened is handled at once, with what was held: a change someone made never waits out the
        noise of the tasks.
        """
        last_housekeeping = time.monotonic()
        window_end: float | None = None  # set while a window is open
        # Events held when the loop stops or fails are not lost: the cursor only moves past handled
        # events, and the next connect replays from it.
        held: list = []
        handled_service_event = False  # in the batch that opened the current window
        while not self.stopping.is_set():
            now = time.monotonic()
            # Housekeeping (the heartbeat /healthz reads) on a clock, not only in quiet moments:
            # a busy engine (health checks alone make events every few seconds) never goes quiet.
            if now - last_housekeeping >= TICK:
                last_housekeeping = now
                self.housekeeping()
            if window_end is not None and now >= window_end:
                window_end = None
                handled_service_event = False
                if held:
                    batch, held = held, []
                    self._handle(batch)
                    handled_service_event = any(_is_service_event(each) for each in batch)
                    window_end = time.monotonic() + COALESCE
                continue
            timeout = max(0.0, last_housekeeping + TICK - now)
            if window_end is not None:
                timeout = min(timeout, window_end - now)
            try:
                item = events.get(timeout=timeout)
            except queue.Empty:
                continue
            stream_over = item is _END or isinstance(item, Exception)
            # A service's own event (someone scaled or updated it) does not wait out a window that
            # task containers opened; a burst of service events (a stack deployed) is still coalesced.
            urgent = _is_service_event(item) and not handled_service_event
            if window_end is not None and not stream_over and not urgent:
                held.append(item)
                continue
            # A leading event, or the stream's end (record what was held, then raise to reconnect).
            batch, held = [*held, item], []
            self._handle(batch)
            handled_service_event = any(_is_service_event(each) for each in batch)
            window_end = time.monotonic() + COALESCE

    def _handle(self, batch: list) -> None:
        """Handle a batch's events; raise the stream's failure (or its end) found in it afterwards."""
        failure = next((item for item in batch if isinstance(item, Exception) or item is _END), None)
        self.handle_batch([item for item in batch if isinstance(item, engine.EngineEvent)])
        if failure is _END:
            raise engine.EngineUnreachable("the event stream ended")
        if failure is not None:
            raise failure

    @staticmethod
    def _read(stream: engine.EventStream, events: queue.Queue) -> None:
        try:
            for event in stream:
                events.put(event)
        except engine.EngineError as exc:
            events.put(exc)
            return
        events.put(_END)

    def handle_batch(self, batch: list[engine.EngineEvent], *, resync: bool = True) -> None:
        if not batch:
            return
        dirty: set[str] = set()
        for event in batch:
            service_id = recorder.event_record(event, node_id=self.identity.node_id if self.identity else "")
            if service_id is not None:
                dirty.add(service_id)
            if event.type == "service" and event.action == "create":
                self.reshaped = True
        self.rows_pending |= dirty
        if resync and self.identity and self.identity.is_manager:
            # The services list's rows first, read from the engine before this batch is recorded
            # (a transaction): its replica counts are the engine's; the health and restarts the
            # batch records reach the rows with the second look, a second later.
            self.flush_rows()
            seen = set(dirty)
            dirty = self._resync(dirty)
            self.rows_pending |= dirty - seen
            again_at = time.monotonic() + RECHECK
            self.recheck.update(dict.fromkeys(dirty - {""}, again_at))
        last_ns = max(event.time_ns for event in batch)
        Watcher.objects.filter(name=self.name).update(last_event_ns=last_ns)
        self.pending |= dirty
        self.flush()

    def _resync(self, dirty: set[str]) -> set[str]:
        # One service costs three engine calls to re-read, the whole swarm three as well: past a
        # few services (a stack deployed, a node back), re-reading everything is the cheaper.
        if "" in dirty or len(dirty) > RESYNC_ALL_ABOVE:
            return dirty | recorder.swarm_sync()
        for service_id in dirty:
            if not recorder.service_sync(service_id=service_id):
                logger.debug("service %s is gone", service_id)
        return dirty

    def recheck_due(self, now: float | None = None) -> None:
        """Re-read once more, a moment later, the services a batch re-read. The container event
        that made the watcher look comes before Swarm's own record of the task (the agent reports
        its state to the manager a little later), so that look can find the old state, and often no
        other event follows: without this the pages would keep it."""
        now = time.monotonic() if now is None else now
        due = {service_id for service_id, at in self.recheck.items() if at <= now}
        if not due:
            return
        for service_id in due:
            del self.recheck[service_id]
        resynced = self._resync(due)
        self.pending |= resynced
        self.rows_pending |= resynced
        self.flush()

    def flush(self) -> None:
        """Publish the pending rows and hints; keep those Redis did not take."""
        if not settings.SWARMDECK_WATCHER_PUBLISH:
            # A worker node's watcher has no Redis credentials: what it recorded (container health)
            # shows on the next page load or when a manager's watcher next re-reads the service.
            self.pending.clear()
            self.rows_pending.clear()
            return
        # The rows first: the services list is the page many people keep open.
        if not self.flush_rows() or not self.pending:
            return
        # The other pages' hints, all of this batch at once: one change, one version.
        if not push.publish_services_changed(service_ids=sorted(self.pending), action="changed"):
            self.undelivered = True
            return  # Redis is down: try again at the next tick
        if self.undelivered:
            named = ", ".join(service_id or "all services" for service_id in sorted(self.pending))
            logger.info("Redis is back: re-published the hints of %s", named[:2000])
        self.pending.clear()
        self.undelivered = False

    def flush_rows(self) -> bool:
        """Push the services list's pending rows; False when Redis did not take them."""
        if not settings.SWARMDECK_WATCHER_PUBLISH or not (self.rows_pending or self.reshaped):
            return True
        if not service_rows_publish(service_ids=self.rows_pending, reshaped=self.reshaped):
            self.undelivered = True
            return False  # Redis is down: try again at the next tick
        self.rows_pending.clear()
        self.reshaped = False
        return True

    def housekeeping(self) -> None:
        self.recheck_due()
        # The heartbeat is a database write: every HEARTBEAT seconds is plenty for /healthz's
        # SWARMDECK_WATCHER_STALE_SECONDS, and spares the database a write a second per node.
        if time.monotonic() - self.last_heartbeat >= HEARTBEAT:
            self.last_heartbeat = time.monotonic()
            self.status(Watcher.State.CONNECTED)
        if self.pending or self.rows_pending:
            self.flush()

    def status(self, state: str, problem: str = "", problem_params: dict | None = None) -> None:
        """Write the watcher's row: its state, its problem (an engine error code) and the heartbeat."""
        identity = self.identity
        Watcher.objects.update_or_create(
            name=self.name,
            defaults={
                "state": state,
                "problem": problem,
                "problem_params": problem_params or {},
                "node_id": identity.node_id if identity else "",
                "hostname": identity.hostname if identity else "",
                "is_manager": bool(identity and identity.is_manager),
            },
        )
