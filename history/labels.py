"""The words for the Swarm codes the panel stores and shows, each defined once.

The database and the engine hold codes ("rollback_completed", "unhealthy", "container_die" and its
params); pages word them here, lazily, so a label is in the reader's language, not the language
that was active when the module was imported or the row was written.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import models
from django.utils.translation import gettext_lazy as _


class UpdateState(models.TextChoices):
    """Swarm's UpdateStatus.State of a service (a rolling update or a rollback)."""

    UPDATING = "updating", _("updating")
    PAUSED = "paused", _("update paused")
    COMPLETED = "completed", _("update completed")
    ROLLBACK_STARTED = "rollback_started", _("rolling back")
    ROLLBACK_PAUSED = "rollback_paused", _("rollback paused")
    ROLLBACK_COMPLETED = "rollback_completed", _("rolled back")


# A person has to act: Swarm stopped the update, or undid it.
UPDATE_STATES_BAD = frozenset({UpdateState.PAUSED, UpdateState.ROLLBACK_PAUSED, UpdateState.ROLLBACK_COMPLETED})
# Tasks are being replaced right now.
UPDATE_STATES_RUNNING = frozenset({UpdateState.UPDATING, UpdateState.ROLLBACK_STARTED})


class ServiceMode(models.TextChoices):
    """How Swarm schedules a service's tasks."""

    REPLICATED = "replicated", _("replicated")
    GLOBAL = "global", _("global")
    REPLICATED_JOB = "replicated-job", _("replicated job")
    GLOBAL_JOB = "global-job", _("global job")


class Health(models.TextChoices):
    """A container's health check status, as Docker reports it."""

    STARTING = "starting", _("starting")
    HEALTHY = "healthy", _("healthy")
    UNHEALTHY = "unhealthy", _("unhealthy")


class TaskState(models.TextChoices):
    """A Swarm task's state (and desired state), in the order a task goes through them."""

    NEW = "new", _("new")
    PENDING = "pending", _("pending")
    ASSIGNED = "assigned", _("assigned")
    ACCEPTED = "accepted", _("accepted")
    PREPARING = "preparing", _("preparing")
    READY = "ready", _("ready")
    STARTING = "starting", _("starting")
    RUNNING = "running", _("running")
    COMPLETE = "complete", _("complete")
    SHUTDOWN = "shutdown", _("shut down")
    FAILED = "failed", _("failed")
    REJECTED = "rejected", _("rejected")
    REMOVE = "remove", _("removed")
    ORPHANED = "orphaned", _("orphaned")


class NodeState(models.TextChoices):
    """A Swarm node's status."""

    UNKNOWN = "unknown", _("unknown")
    DOWN = "down", _("down")
    READY = "ready", _("ready")
    DISCONNECTED = "disconnected", _("disconnected")


class NodeAvailability(models.TextChoices):
    """Whether the scheduler may place tasks on a node."""

    ACTIVE = "active", _("active")
    PAUSE = "pause", _("paused")
    DRAIN = "drain", _("drained")


class EventKind(models.TextChoices):
    """What a ServiceEvent records; its params hold the variable parts (see EVENT_PARAMS)."""

    SERVICE_CREATE = "service_create", _("service created")
    SERVICE_UPDATE = "service_update", _("service updated")
    SERVICE_REMOVE = "service_remove", _("service removed")
    SERVICE_OTHER = "service_other", _("service event")
    CONTAINER_START = "container_start", _("task started")
    CONTAINER_DIE = "container_die", _("task exited")
    CONTAINER_OOM = "container_oom", _("out of memory")
    CONTAINER_KILL = "container_kill", _("task killed")
    HEALTH = "health", _("health check")
    UPDATE_STATUS = "update_status", _("update status")


# The params each kind stores (documentation for readers of the table; the recorder writes them):
#   service_*: attributes (the event's attributes but the name: "replicas.new", "updatestate.old"...),
#              service_other also action; container_*: task ("web.2"), container_die: exit_code,
#   container_kill: signal; health: task, health; update_status: state, message (the engine's words).
SERVICE_ACTIONS = {
    "create": EventKind.SERVICE_CREATE,
    "update": EventKind.SERVICE_UPDATE,
    "remove": EventKind.SERVICE_REMOVE,
}

_DETAILS = {
    EventKind.CONTAINER_DIE: _("{task}: exit code {exit_code}"),
    EventKind.CONTAINER_KILL: _("{task}: signal {signal}"),
    EventKind.HEALTH: _("{task}: {health}"),
    EventKind.SERVICE_OTHER: _("action {action}"),
}

# Attribute pairs ("replicas.old", "replicas.new") of a service event, worded as one change.
_CHANGES = {
    "image": (_("image {new}"), _("image {old} → {new}")),
    "replicas": (_("replicas {new}"), _("replicas {old} → {new}")),
    "updatestate": ("{new}", "{old} → {new}"),
}


def label(choices: type[models.TextChoices], code: str) -> str:
    """The label of `code` in the reader's language; an unknown code (a newer engine's) as it is."""
    try:
        return str(choices(code).label)
    except ValueError:
        return code


def event_detail(kind: str, params: Mapping) -> str:
    """The variable part of an event, worded in the reader's language ("web.2: exit code 15")."""
    params = dict(params or {})
    if "legacy" in params:
        return str(params["legacy"])  # an old row the migration could not read: shown as it was stored
    if "health" in params:
        params["health"] = label(Health, params["health"])
    if kind == EventKind.UPDATE_STATUS:
        return label(UpdateState, params.get("state", ""))
    if kind in SERVICE_ACTIONS.values() or kind == EventKind.SERVICE_OTHER:
        parts = [_service_changes(params.get("attributes") or {})]
        if kind == EventKind.SERVICE_OTHER:
            parts.insert(0, _format(_DETAILS[kind], params))
        return "; ".join(part for part in parts if part)
    template = _DETAILS.get(kind)
    if template is None or (kind == EventKind.CONTAINER_KILL and not params.get("signal")):
        return str(params.get("task", ""))
    return _format(template, params)


def _service_changes(attributes: Mapping[str, str]) -> str:
    words, rest = [], dict(attributes)
    for name, (only_new, old_to_new) in _CHANGES.items():
        new, old = rest.pop(f"{name}.new", None), rest.pop(f"{name}.old", None)
        if new is None:
            continue
        if name == "updatestate":
            new, old = label(UpdateState, new), label(UpdateState, old) if old else old
        words.append(_format(old_to_new if old else only_new, {"old": old, "new": new}))
    # Attributes a newer engine may add: shown as the engine's own data.
    words.extend(f"{name}={value}" for name, value in sorted(rest.items()))
    return ", ".join(words)


def _format(template, params: Mapping) -> str:
    try:
        return str(template).format(**params)
    except (KeyError, IndexError):
        return str(template)
