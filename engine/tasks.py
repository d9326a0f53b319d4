"""Swarm tasks (the engine's, not Celery's): what Swarm still holds, and their containers' health."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from . import client
from .client import engine_errors, image_parts, when
from .errors import TaskNotFound

TERMINAL_TASK_STATES = frozenset({"complete", "shutdown", "failed", "rejected", "orphaned", "remove"})


@dataclass(frozen=True)
class TaskSnapshot:
    id: str
    service_id: str
    slot: int | None  # None for global services
    node_id: str
    state: str
    desired_state: str
    message: str
    error: str
    exit_code: int | None
    container_id: str
    image: str
    created_at: datetime
    state_at: datetime


@dataclass(frozen=True)
class ContainerHealth:
    task_id: str
    container_id: str
    health: str  # healthy, unhealthy, starting, or "" without a health check


def _task(raw: dict) -> TaskSnapshot:
    status = raw.get("Status", {})
    container = status.get("ContainerStatus") or {}
    exit_code = container.get("ExitCode")
    state = status.get("State", "")
    return TaskSnapshot(
        id=raw["ID"],
        service_id=raw["ServiceID"],
        slot=raw.get("Slot"),
        node_id=raw.get("NodeID", ""),
        state=state,
        desired_state=raw.get("DesiredState", ""),
        message=status.get("Message", ""),
        error=status.get("Err", ""),
        # The engine reports 0 for containers that have not exited yet.
        exit_code=exit_code if state in TERMINAL_TASK_STATES else None,
        container_id=container.get("ContainerID", ""),
        image=image_parts(raw.get("Spec", {}).get("ContainerSpec", {}).get("Image", ""))[0],
        created_at=when(raw.get("CreatedAt")),
        state_at=when(status.get("Timestamp")) or when(raw.get("UpdatedAt")),
    )


def task_display_name(service_name: str, *, slot: int | None, node_id: str) -> str:
    """As ``docker service ps`` names a task: the service and the slot of a replicated task, the
    node of a global one ("web.2", "agent.<node id>")."""
    return f"{service_name}.{slot or node_id}"


def task_list(
    *,
    service_id: str | None = None,
    service_ids: Collection[str] | None = None,
    node_id: str | None = None,
    desired_running: bool = False,
) -> list[TaskSnapshot]:
    """Tasks Swarm still holds (at most 5 per slot), in one call, optionally for one or some services
    and for one node."""
    filters: dict[str, str | list[str]] = {}
    if service_id:
        filters["service"] = service_id
    elif service_ids:
        filters["service"] = list(service_ids)
    if node_id:
        filters["node"] = node_id
    if desired_running:
        filters["desired-state"] = "running"
    with engine_errors():
        raw = client.api().tasks(filters=filters)
    return [_task(item) for item in raw if item.get("ServiceID")]


def task_get(*, task_id: str) -> TaskSnapshot:
    """One task by its id (or a unique prefix of it, as the CLI allows); TaskNotFound once Swarm forgot it."""
    with engine_errors(not_found=TaskNotFound):
        raw = client.api().inspect_task(task_id)
    return _task(raw)


def local_task_health() -> list[ContainerHealth]:
    """Health of the task containers on this engine's node, in one call (Swarm tasks lack it)."""
    with engine_errors():
        raw = client.api().containers(all=True, filters={"label": "com.docker.swarm.task.id"})
    result = []
    for item in raw:
        status = item.get("Status", "")
        health = ""
        if "(healthy)" in status:
            health = "healthy"
        elif "(unhealthy)" in status:
            health = "unhealthy"
        elif "(health: starting)" in status:
            health = "starting"
        labels = item.get("Labels") or {}
        result.append(
            ContainerHealth(task_id=labels["com.docker.swarm.task.id"], container_id=item["Id"], health=health)
        )
    return result
