"""Turns what the engine says (task lists, Docker events) into the panel's own history.

Everything here is idempotent: reading the same tasks or the same event twice stores them once,
so the watcher may re-read freely after a reconnect or a replay with ``since=``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

import engine

from .labels import SERVICE_ACTIONS, UPDATE_STATES_RUNNING, EventKind
from .models import ServiceEvent, Task, TaskTransition

logger = logging.getLogger(__name__)

UNHEALTHY_KILL = "unhealthy container"  # as in "dockerexec: unhealthy container"
_CONTAINER_ACTIONS = {
    "start": EventKind.CONTAINER_START,
    "oom": EventKind.CONTAINER_OOM,
    "kill": EventKind.CONTAINER_KILL,
}
PRUNE_BATCH = 1000  # rows removed in one statement by history_prune
_TASK_FIELDS = ("slot", "node_id", "container_id", "image", "state", "desired_state", "message", "error", "exit_code")


def end_cause(task: engine.TaskSnapshot, *, update: engine.UpdateStatus | None, down_nodes: set[str]) -> str:
    """Why a task ended, in the four causes the restart chart stacks (plus the non-restarts)."""
    error = task.error.lower()
    if task.state in ("failed", "rejected"):
        # Docker's words for a health kill; a bare "unhealthy" could be part of a service name.
        return Task.EndCause.UNHEALTHY if UNHEALTHY_KILL in error else Task.EndCause.EXIT
    if task.state == "orphaned" or task.node_id in down_nodes or "node is down" in error:
        return Task.EndCause.NODE
    if task.state == "complete":
        return Task.EndCause.COMPLETED
    if _during(update, task.state_at):
        return Task.EndCause.UPDATE
    return Task.EndCause.STOPPED


def _during(update: engine.UpdateStatus | None, at: datetime) -> bool:
    """Whether `at` falls inside the service's last rolling update (or rollback)."""
    if update is None or update.started_at is None or at < update.started_at:
        return False
    return update.completed_at is None or at <= update.completed_at + timedelta(seconds=1)


def _ended(task: engine.TaskSnapshot, down_nodes: set[str]) -> bool:
    if task.state in engine.TERMINAL_TASK_STATES:
        return True
    # Tasks of a node that went down keep their last state; Swarm has already replaced them.
    return task.desired_state == "shutdown" and task.node_id in down_nodes


def task_record(
    snapshot: engine.TaskSnapshot,
    *,
    service_name: str,
    update: engine.UpdateStatus | None = None,
    down_nodes: set[str] = frozenset(),
) -> bool:
    """Store one task as the engine shows it now; True when something changed."""
    values = {name: getattr(snapshot, name) for name in _TASK_FIELDS}
    task, created = Task.objects.get_or_create(
        task_id=snapshot.id,
        defaults={
            **values,
            "service_id": snapshot.service_id,
            "service_name": service_name,
            "created_at": snapshot.created_at,
            "state_at": snapshot.state_at,
        },
    )
    changed = created
    if not created:
        if task.exit_code is not None and snapshot.exit_code is None:
            values["exit_code"] = task.exit_code  # learnt from a die event; the API may lag
        dirty = [name for name, value in values.items() if getattr(task, name) != value]
        if snapshot.state_at > task.state_at:
            dirty.append("state_at")
            task.state_at = snapshot.state_at
        for name in dirty:
            if name != "state_at":
                setattr(task, name, values[name])
        changed = bool(dirty)
    if _ended(snapshot, down_nodes) and not task.end_cause_final:
        # Classified once, when first seen ended: a later read would judge it against a newer update.
        task.ended_at = task.ended_at or snapshot.state_at
        task.end_cause = end_cause(snapshot, update=update, down_nodes=down_nodes)
        task.end_cause_final = True
        changed = True
    if changed:
        task.save()
    _, new_state = TaskTransition.objects.get_or_create(
        task=task,
        state=snapshot.state,
        defaults={"at": snapshot.state_at, "exit_code": snapshot.exit_code, "error": snapshot.error},
    )
    return changed or new_state


def _update_record(service: engine.ServiceSummary, update: engine.UpdateStatus | None) -> bool:
    if update is None or update.started_at is None:
        return False
    at = update.completed_at or update.started_at
    if update.state in UPDATE_STATES_RUNNING:
        at = update.started_at
    _, created = ServiceEvent.objects.get_or_create(
        key=f"update:{service.id}:{update.started_at.isoformat()}:{update.state}",
        defaults={
            "service_id": service.id,
            "service_name": service.name,
            "at": at,
            "kind": EventKind.UPDATE_STATUS,
            "params": {"state": update.state, "message": update.message},
        },
    )
    return created


def service_sync(*, service_id: str) -> bool:
    """Re-read one service and the tasks Swarm holds for it; False when it no longer exists."""
    try:
        detail = engine.service_detail(service_id=service_id)
    except engine.ServiceNotFound:
        _close_vanished(service_ids={service_id}, seen=set())
        return False
    tasks = engine.task_list(service_id=detail.summary.id)
    down = {node.id for node in engine.node_list() if node.state == "down"}
    with transaction.atomic():
        _update_record(detail.summary, detail.update_status)
        for task in tasks:
            task_record(task, service_name=detail.summary.name, update=detail.update_status, down_nodes=down)
        _close_vanished(service_ids={detail.summary.id}, seen={task.id for task in tasks})
    return True


def swarm_sync() -> set[str]:
    """Re-read every service and task (after a (re)connect): three engine calls in all."""
    services = {service.id: service for service in engine.service_list()}
    updates = engine.service_update_statuses()
    tasks = engine.task_list()
    down = {node.id for node in engine.node_list() if node.state == "down"}
    changed: set[str] = set()
    with transaction.atomic():
        for service in services.values():
            if _update_record(service, updates.get(service.id)):
                changed.add(service.id)
        for task in tasks:
            service = services.get(task.service_id)
            update = updates.get(task.service_id)
            if service and task_record(task, service_name=service.name, update=update, down_nodes=down):
                changed.add(service.id)
        open_ids = set(Task.objects.filter(ended_at__isnull=True).values_list("service_id", flat=True))
        changed |= _close_vanished(service_ids=open_ids, seen={task.id for task in tasks})
    return changed


def _close_vanished(*, service_ids: set[str], seen: set[str]) -> set[str]:
    """Tasks still open in our history but gone from Swarm (service removed): they ended now."""
    vanished = Task.objects.filter(service_id__in=service_ids, ended_at__isnull=True).exclude(task_id__in=seen)
    affected = set(vanished.values_list("service_id", flat=True))
    vanished.update(ended_at=timezone.now(), end_cause=Task.EndCause.STOPPED, desired_state="shutdown")
    return affected


def health_sync(*, node_id: str) -> set[str]:
    """Store the health of the task containers on this node; return the services that changed."""
    changed = set()
    for container in engine.local_task_health():
        updated = (
            Task.objects.filter(task_id=container.task_id)
            .exclude(health=container.health, health_node=node_id)
            .update(health=container.health, health_node=node_id)
        )
        if updated:
            changed.update(Task.objects.filter(task_id=container.task_id).values_list("service_id", flat=True))
    return changed


# A network's own changes; its "connect" and "disconnect" come with every container start and stop.
_NETWORK_ACTIONS = ("create", "update", "remove", "destroy")


def event_record(event: engine.EngineEvent, *, node_id: str = "") -> str | None:
    """Store what a Docker event tells; return the service id to re-read ("" for all), or None."""
    kind, action, attributes, at, key = event.type, event.action, event.attributes, event.at, event.key
    if kind == "service":
        service_id = event.actor_id
        params = {"attributes": {name: value for name, value in attributes.items() if name != "name"}}
        kind = SERVICE_ACTIONS.get(action)
        if kind is None:
            kind, params["action"] = EventKind.SERVICE_OTHER, action
        _event(key, service_id, attributes.get("name", ""), at, kind, params)
        return service_id
    if kind in ("node", "secret", "config") or (kind == "network" and action in _NETWORK_ACTIONS):
        # Nothing to record, but the pages that list them (and the services using them) re-read.
        return ""
    service_id = attributes.get("com.docker.swarm.service.id")
    task_id = attributes.get("com.docker.swarm.task.id")
    if kind != "container" or not service_id or not task_id:
        return None
    service_name = attributes.get("com.docker.swarm.service.name", "")
    if action.startswith("health_status"):
        health = action.partition(": ")[2].strip()
        task = _task_stub(task_id, service_id, service_name, attributes, at)
        Task.objects.filter(pk=task.pk).update(health=health, health_node=node_id)
        _event(key, service_id, service_name, at, EventKind.HEALTH, {"task": task_name(attributes), "health": health})
        return service_id
    if action == "die":
        exit_code = int(attributes.get("exitCode", 0))
        task = _task_stub(task_id, service_id, service_name, attributes, at)
        _task_died(task, exit_code, at)
        params = {"task": task_name(attributes), "exit_code": exit_code}
        _event(key, service_id, service_name, at, EventKind.CONTAINER_DIE, params)
        return service_id
    if action in _CONTAINER_ACTIONS:
        params = {"task": task_name(attributes)}
        if action == "kill" and attributes.get("signal"):
            params["signal"] = attributes["signal"]
        _event(key, service_id, service_name, at, _CONTAINER_ACTIONS[action], params)
        return service_id
    return service_id if action in ("create", "stop", "destroy") else None


def task_name(attributes: dict) -> str:
    """ "web.2" from "web.2.<task id>" (global services: "web.<node id>")."""
    return attributes.get("com.docker.swarm.task.name", "").rsplit(".", 1)[0]


def _event(key: str, service_id: str, service_name: str, at: datetime, kind: EventKind, params: dict) -> None:
    """Store an event as a code and its data (history.labels words them when shown)."""
    ServiceEvent.objects.get_or_create(
        key=key,
        defaults={"service_id": service_id, "service_name": service_name, "at": at, "kind": kind, "params": params},
    )


def _task_stub(task_id: str, service_id: str, service_name: str, attributes: dict, at: datetime) -> Task:
    """The task as far as an event knows it; a later re-read from the API completes it."""
    slot = task_name(attributes).rpartition(".")[2]
    task, _ = Task.objects.get_or_create(
        task_id=task_id,
        defaults={
            "service_id": service_id,
            "service_name": service_name,
            "slot": int(slot) if slot.isdigit() else None,
            "node_id": attributes.get("com.docker.swarm.node.id", ""),
            "state": "running",
            "desired_state": "running",
            "created_at": at,
            "state_at": at,
        },
    )
    return task


def _task_died(task: Task, exit_code: int, at: datetime) -> None:
    updates = {"exit_code": exit_code}
    # The API's state (failed, shutdown...) is more precise; the die event covers tasks Swarm
    # forgot before we could read them, and those it did not stop on purpose.
    if task.ended_at is None and task.desired_state != "shutdown":
        updates["ended_at"] = at
        if exit_code == 0:
            updates["end_cause"] = Task.EndCause.COMPLETED
        elif task.health == "unhealthy":
            updates["end_cause"] = Task.EndCause.UNHEALTHY
        else:
            updates["end_cause"] = Task.EndCause.EXIT
    Task.objects.filter(pk=task.pk).update(**updates)


def history_prune(*, older_than: timedelta) -> int:
    """Forget ended tasks (with their transitions) and events older than `older_than`; return the
    rows removed. Run by the retention (dashboard/retention.py), a batch at a time: each batch is a
    short transaction, so the watcher recording events meanwhile never waits long for the database
    (SQLite locks all of it), even when a crash loop left a million rows behind."""
    cutoff = timezone.now() - older_than
    removed = 0
    for old in (Task.objects.filter(ended_at__lt=cutoff), ServiceEvent.objects.filter(at__lt=cutoff)):
        while batch := list(old.order_by().values_list("pk", flat=True)[:PRUNE_BATCH]):
            count, _ = old.model.objects.filter(pk__in=batch).delete()
            removed += count
    return removed
