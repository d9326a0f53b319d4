"""What a log stream is of (a service, or one task), and the names its lines carry.

The engine's log lines name their task and node by id only; a reader knows ``web.1`` and the node's
host name. Both come from the engine adapter, cached per stream and read again when a task nobody
knew shows up (a rolling update starts new tasks in the same stream).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Literal

import engine

logger = logging.getLogger(__name__)

Kind = Literal["service", "task"]


@dataclass(frozen=True)
class Target:
    kind: Kind
    id: str  # the engine's full id (a page may be opened with a prefix, as the CLI allows)
    name: str  # the service's name, or the task's (web.1)
    service_id: str
    service_name: str

    def as_context(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "id": self.id,
            "name": self.name,
            "service_id": self.service_id,
            "service_name": self.service_name,
        }


def task_name(service_name: str, task: engine.TaskSnapshot) -> str:
    return engine.task_display_name(service_name, slot=task.slot, node_id=task.node_id)


def target_get(*, kind: Kind, target_id: str) -> Target:
    """The service or task, read from the engine; ServiceNotFound or TaskNotFound when it is gone."""
    if kind == "service":
        service = engine.service_get(service_id=target_id)
        return Target("service", service.id, service.name, service.id, service.name)
    if not target_id:
        raise engine.TaskNotFound(target_id)
    task = engine.task_get(task_id=target_id)
    try:
        service_name = engine.service_get(service_id=task.service_id).name
    except engine.ServiceNotFound:
        raise engine.TaskNotFound(target_id) from None
    return Target("task", task.id, task_name(service_name, task), task.service_id, service_name)


class Names:
    """Task and node names of one stream's lines. ``see`` runs in the reader's thread for every line
    (a dictionary look-up unless an id is new); ``task``/``node`` may be called from any thread,
    since a refresh replaces the dictionaries whole."""

    REFRESH_SECONDS = 2.0  # at most one engine read this often, whatever the lines of unknown tasks
    TRIES = 3  # a task Swarm no longer holds (an old tail) is looked for this many times only
    MISSES_KEPT = 1000

    def __init__(self, target: Target) -> None:
        self.target = target
        self._tasks: dict[str, str] = {}
        self._nodes: dict[str, str] = {}
        self._misses: dict[str, int] = {}
        self._refreshed_at = -math.inf

    def task(self, task_id: str) -> str:
        return self._tasks.get(task_id) or task_id[:12]

    def node(self, node_id: str) -> str:
        return self._nodes.get(node_id) or node_id[:12]

    def see(self, task_id: str) -> None:
        if not task_id or task_id in self._tasks:
            return
        misses = self._misses.get(task_id, 0)
        if misses >= self.TRIES or time.monotonic() - self._refreshed_at < self.REFRESH_SECONDS:
            return
        if len(self._misses) >= self.MISSES_KEPT:
            self._misses.clear()
        self._misses[task_id] = misses + 1
        self.refresh()

    def refresh(self) -> None:
        """Read the service's tasks and the nodes again; on an engine error keep what is known."""
        self._refreshed_at = time.monotonic()
        try:
            tasks = engine.task_list(service_id=self.target.service_id)
            nodes = engine.node_list()
        except engine.EngineError as exc:
            logger.debug("log names not refreshed: %s", exc)
            return
        # Replaced, not updated: Swarm holds a few tasks per slot, so the names stay as few.
        self._tasks = {task.id: task_name(self.target.service_name, task) for task in tasks}
        self._nodes = {node.id: node.hostname or node.id[:12] for node in nodes}
