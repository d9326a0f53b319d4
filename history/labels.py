"""The words for the Swarm codes the panel stores and shows, each defined once.

The database and the engine hold codes ("rollback_completed", "unhealthy", "container_die" and its
params); pages word them here, lazily, so a label is in the reader's language, not the language
that was active when the module was imported or the row was written. Each label has a context
(pgettext: "task state", "node availability"...): one English word ("paused", "ready", "down")
names different things, which Spanish and Chinese word differently. Templates use the filters of
history/templatetags/swarm_labels.py; no page shows an engine code as it is.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class UpdateState(models.TextChoices):
    """Swarm's UpdateStatus.State of a service (a rolling update or a rollback)."""

    UPDATING = "updating", pgettext_lazy("update state", "updating")
    PAUSED = "paused", pgettext_lazy("update state", "update paused")
    COMPLETED = "completed", pgettext_lazy("update state", "update completed")
    ROLLBACK_STARTED = "rollback_started", pgettext_lazy("update state", "rolling back")
    ROLLBACK_PAUSED = "rollback_paused", pgettext_lazy("update state", "rollback paused")
    ROLLBACK_COMPLETED = "rollback_completed", pgettext_lazy("update state", "rolled back")


# A person has to act: Swarm stopped the update, or undid it.
UPDATE_STATES_BAD = frozenset({UpdateState.PAUSED, UpdateState.ROLLBACK_PAUSED, UpdateState.ROLLBACK_COMPLETED})
# Tasks are being replaced right now.
UPDATE_STATES_RUNNING = frozenset({UpdateState.UPDATING, UpdateState.ROLLBACK_STARTED})


class ServiceMode(models.TextChoices):
    """How Swarm schedules a service's tasks."""

    REPLICATED = "replicated", pgettext_lazy("service mode", "replicated")
    GLOBAL = "global", pgettext_lazy("service mode", "global")
    REPLICATED_JOB = "replicated-job", pgettext_lazy("service mode", "replicated job")
    GLOBAL_JOB = "global-job", pgettext_lazy("service mode", "global job")


class Health(models.TextChoices):
    """A container's health check status, as Docker reports it."""

    STARTING = "starting", pgettext_lazy("health", "starting")
    HEALTHY = "healthy", pgettext_lazy("health", "healthy")
    UNHEALTHY = "unhealthy", pgettext_lazy("health", "unhealthy")


class TaskState(models.TextChoices):
    """A Swarm task's state (and desired state), in the order a task goes through them."""

    NEW = "new", pgettext_lazy("task state", "new")
    PENDING = "pending", pgettext_lazy("task state", "pending")
    ASSIGNED = "assigned", pgettext_lazy("task state", "assigned")
    ACCEPTED = "accepted", pgettext_lazy("task state", "accepted")
    PREPARING = "preparing", pgettext_lazy("task state", "preparing")
    READY = "ready", pgettext_lazy("task state", "ready")
    STARTING = "starting", pgettext_lazy("task state", "starting")
    RUNNING = "running", pgettext_lazy("task state", "running")
    COMPLETE = "complete", pgettext_lazy("task state", "complete")
    SHUTDOWN = "shutdown", pgettext_lazy("task state", "shut down")
    FAILED = "failed", pgettext_lazy("task state", "failed")
    REJECTED = "rejected", pgettext_lazy("task state", "rejected")
    REMOVE = "remove", pgettext_lazy("task state", "removed")
    ORPHANED = "orphaned", pgettext_lazy("task state", "orphaned")


class NodeState(models.TextChoices):
    """A Swarm node's status."""

    UNKNOWN = "unknown", pgettext_lazy("node state", "unknown")
    DOWN = "down", pgettext_lazy("node state", "down")
    READY = "ready", pgettext_lazy("node state", "ready")
    DISCONNECTED = "disconnected", pgettext_lazy("node state", "disconnected")


class NodeAvailability(models.TextChoices):
    """Whether the scheduler may place tasks on a node."""

    ACTIVE = "active", pgettext_lazy("node availability", "active")
    PAUSE = "pause", pgettext_lazy("node availability", "paused")
    DRAIN = "drain", pgettext_lazy("node availability", "drained")


class NodeRole(models.TextChoices):
    """A node's role in the swarm (a worker node, not a Celery worker: see locale/glossary.tsv)."""

    MANAGER = "manager", pgettext_lazy("node role", "manager")
    WORKER = "worker", pgettext_lazy("node role", "worker")


# The manager elected to lead the Raft group: a badge beside a manager's name.
LEADER = pgettext_lazy("node role", "leader")


class ManagerReachability(models.TextChoices):
    """Whether the other managers reach a manager node (ManagerStatus.Reachability)."""

    REACHABLE = "reachable", pgettext_lazy("manager reachability", "reachable")
    UNREACHABLE = "unreachable", pgettext_lazy("manager reachability", "unreachable")
    UNKNOWN = "unknown", pgettext_lazy("manager reachability", "unknown")


class WatcherState(models.TextChoices):
    """An event watcher's connection to its engine (watcher.models.Watcher.state)."""

    CONNECTED = "connected", pgettext_lazy("watcher state", "connected")
    RECONNECTING = "reconnecting", pgettext_lazy("watcher state", "reconnecting")
    STOPPED = "stopped", pgettext_lazy("watcher state", "stopped")


class HealthReporting(models.TextChoices):
    """Whether a node's container health reaches the panel (dashboard.selectors.health_reporting)."""

    REPORTING = "reporting", pgettext_lazy("health reporting", "reports health")
    STALE = "stale", pgettext_lazy("health reporting", "watcher not reporting")
    NONE = "none", pgettext_lazy("health reporting", "no watcher on this node")
    DOWN = "down", pgettext_lazy("node state", "down")


class ChartRange(models.TextChoices):
    """The periods the restart chart covers (services.chart.RANGES)."""

    HOUR = "1h", pgettext_lazy("chart range", "1 hour")
    DAY = "24h", pgettext_lazy("chart range", "24 hours")
    WEEK = "7d", pgettext_lazy("chart range", "7 days")


class EventKind(models.TextChoices):
    """What a ServiceEvent records; its params hold the variable parts (see EVENT_PARAMS)."""

    SERVICE_CREATE = "service_create", pgettext_lazy("event kind", "service created")
    SERVICE_UPDATE = "service_update", pgettext_lazy("event kind", "service updated")
    SERVICE_REMOVE = "service_remove", pgettext_lazy("event kind", "service removed")
    SERVICE_OTHER = "service_other", pgettext_lazy("event kind", "service event")
    CONTAINER_START = "container_start", pgettext_lazy("event kind", "task started")
    CONTAINER_DIE = "container_die", pgettext_lazy("event kind", "task exited")
    CONTAINER_OOM = "container_oom", pgettext_lazy("event kind", "out of memory")
    CONTAINER_KILL = "container_kill", pgettext_lazy("event kind", "task killed")
    HEALTH = "health", pgettext_lazy("event kind", "health check")
    UPDATE_STATUS = "update_status", pgettext_lazy("event kind", "update status")


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
