"""The engine's event stream (services, containers, nodes), as EngineEvent values."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from . import client
from .client import engine_errors


@dataclass(frozen=True)
class EngineEvent:
    type: str  # service, container, node
    action: str  # create, update, remove, die, start, "health_status: healthy"...
    actor_id: str
    time_ns: int
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def at(self) -> datetime:
        return datetime.fromtimestamp(self.time_ns / 1e9, tz=UTC)

    @property
    def key(self) -> str:
        """Unique per event: a replayed event is stored once."""
        return f"{self.time_ns}:{self.type}:{self.action}:{self.actor_id}"[:200]


def _event(raw: dict) -> EngineEvent:
    actor = raw.get("Actor") or {}
    return EngineEvent(
        type=raw.get("Type", ""),
        action=raw.get("Action", ""),
        actor_id=actor.get("ID", ""),
        time_ns=raw.get("timeNano") or int(raw.get("time", 0)) * 1_000_000_000,
        attributes=actor.get("Attributes") or {},
    )


class EventStream:
    """Events as they come; ``close()`` from another thread (or a signal) ends iteration."""

    def __init__(self, since: float | None, until: float | None = None) -> None:
        with engine_errors():
            self._stream = client.api().events(
                since=f"{since:.9f}" if since else None,
                until=f"{until:.9f}" if until else None,
                filters={"type": ["service", "container", "node", "network", "secret", "config"]},
                decode=True,
            )

    def __iter__(self) -> Iterator[EngineEvent]:
        with engine_errors():
            for raw in self._stream:
                yield _event(raw)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._stream.close()


def event_stream(*, since: float | None = None, until: float | None = None) -> EventStream:
    """Events from ``since`` on; with ``until`` a finite replay, without it a live stream."""
    return EventStream(since, until)
