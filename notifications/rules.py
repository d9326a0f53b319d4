"""What each rule watches: the subjects in trouble now, read from what the watcher recorded (the
task history, the watchers' heartbeats, the jobs) and from the engine (services, nodes).

``findings`` answers for one rule. A subject with an open incident stays in trouble on a weaker
condition than the one that opened it (a crash loop stays open until a whole window passes without
a restart and the service has its replicas running), so an incident does not flap open and shut.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from functools import cached_property

from django.conf import settings
from django.db.models import Count, Q

import engine
from history.labels import UPDATE_STATES_BAD, UPDATE_STATES_RUNNING
from history.models import Task
from jobs.models import Job
from watcher.models import Watcher

from .models import Incident, Rule

# A crash is a task that exited non-zero or was killed for failing its health check; a task
# replaced by an update or lost with its node is no crash.
CRASH_CAUSES = [str(Task.EndCause.EXIT), str(Task.EndCause.UNHEALTHY)]
JOB_FAILED_STATES = [str(Job.State.FAILED), str(Job.State.ROLLED_BACK), str(Job.State.PAUSED)]
# A job rule reports the failures since it was made, and none older than this (a rule re-enabled
# after a week does not send a week of failures).
JOB_LOOKBACK = timedelta(hours=1)
SCALED_MODES = ("replicated", "global")


@dataclass(frozen=True)
class Finding:
    """One subject in trouble: who (``subject``, ``name``) and what, as a code and its data."""

    subject: str
    name: str
    code: str
    params: dict = field(default_factory=dict)


class Swarm:
    """What one evaluation pass reads from the engine, once each, whichever rules ask."""

    @cached_property
    def services(self) -> dict[str, engine.ServiceSummary]:
        return {service.id: service for service in engine.service_list()}

    @cached_property
    def update_statuses(self) -> dict[str, engine.UpdateStatus | None]:
        return engine.service_update_statuses()

    @cached_property
    def nodes(self) -> list[engine.NodeSnapshot]:
        return engine.node_list()


def findings(rule: Rule, *, swarm: Swarm, open_subjects: set[str], now: datetime) -> dict[str, Finding]:
    """The subjects in trouble by ``rule`` now, by subject. Raises engine.EngineError when the
    engine cannot say: the caller then changes nothing (an unreachable engine clears nothing)."""
    check = _CHECKS[Rule.Kind(rule.kind)]
    found = check(rule, swarm, open_subjects, now)
    if rule.service_filter and rule.kind in Rule.USES_SERVICE_FILTER:
        found = {key: item for key, item in found.items() if fnmatchcase(item.name, rule.service_filter)}
    return found


def _crash_loop(rule: Rule, swarm: Swarm, open_subjects: set[str], now: datetime) -> dict[str, Finding]:
    since = now - timedelta(minutes=rule.window_minutes)
    crashes = (
        Task.objects.filter(end_cause__in=CRASH_CAUSES, ended_at__gte=since)
        .values("service_id", "service_name")
        .annotate(restarts=Count("id"))
    )
    found = {}
    for row in crashes:
        service_id, restarts = row["service_id"], row["restarts"]
        if restarts >= rule.restarts or service_id in open_subjects:
            params = {"restarts": restarts, "minutes": rule.window_minutes, "exit_code": _last_exit_code(service_id)}
            found[service_id] = Finding(service_id, row["service_name"], "crash_loop", params)
    for service_id in open_subjects - found.keys():
        service = swarm.services.get(service_id)
        if service is not None and service.mode in SCALED_MODES and service.tasks_running < service.tasks_desired:
            found[service_id] = Finding(service_id, service.name, "crash_loop")
    return found


def _last_exit_code(service_id: str) -> int | None:
    return (
        Task.objects.filter(service_id=service_id, end_cause__in=CRASH_CAUSES, exit_code__isnull=False)
        .order_by("-ended_at")
        .values_list("exit_code", flat=True)
        .first()
    )


def _unhealthy(rule: Rule, swarm: Swarm, open_subjects: set[str], now: datetime) -> dict[str, Finding]:
    # Swarm kills an unhealthy task and starts another, which is "starting" for a while: an open
    # incident stays open until a whole window passes with no task unhealthy or killed as such.
    since = now - timedelta(minutes=rule.window_minutes)
    unhealthy_now = Q(ended_at__isnull=True, health="unhealthy")
    killed = Q(end_cause=Task.EndCause.UNHEALTHY, ended_at__gte=since, service_id__in=open_subjects)
    found = {}
    for task in Task.objects.filter(unhealthy_now | killed).order_by("ended_at"):
        if task.service_id not in found:
            found[task.service_id] = Finding(task.service_id, task.service_name, "unhealthy", {"task": task.name})
    return found


def _short_of_replicas(rule: Rule, swarm: Swarm, open_subjects: set[str], now: datetime) -> dict[str, Finding]:
    found = {}
    for service in swarm.services.values():
        if service.mode in SCALED_MODES and service.tasks_running < service.tasks_desired:
            params = {"running": service.tasks_running, "desired": service.tasks_desired}
            found[service.id] = Finding(service.id, service.name, "short_of_replicas", params)
    return found


def _update_failed(rule: Rule, swarm: Swarm, open_subjects: set[str], now: datetime) -> dict[str, Finding]:
    # Open until an update completes: a paused update that is then rolled back, or updated again,
    # is one incident until the service runs a spec that went through.
    found = {}
    for service_id, status in swarm.update_statuses.items():
        if status is None:
            continue
        still = service_id in open_subjects and status.state in UPDATE_STATES_RUNNING
        if status.state not in UPDATE_STATES_BAD and not still:
            continue
        service = swarm.services.get(service_id)
        name = service.name if service else service_id
        params = {"state": status.state, "message": status.message}
        found[service_id] = Finding(service_id, name, "update_failed", params)
    return found


def _job_failed(rule: Rule, swarm: Swarm, open_subjects: set[str], now: datetime) -> dict[str, Finding]:
    since = max(rule.created_at, now - JOB_LOOKBACK)
    jobs = list(Job.objects.filter(state__in=JOB_FAILED_STATES, finished_at__gte=since))
    candidates = [str(job.id) for job in jobs]
    told = set(Incident.objects.filter(rule=rule, subject__in=candidates).values_list("subject", flat=True))
    found = {}
    for job in jobs:
        if str(job.id) in told:
            continue
        params = {"job": job.id, "kind": job.kind, "state": job.state, "error_code": job.error_code}
        found[str(job.id)] = Finding(str(job.id), job.target_label, "job_failed", params)
    return found


def _node_down(rule: Rule, swarm: Swarm, open_subjects: set[str], now: datetime) -> dict[str, Finding]:
    return {
        node.id: Finding(node.id, node.hostname, "node_down", {"state": node.state})
        for node in swarm.nodes
        if node.state != "ready"
    }


def _watcher_down(rule: Rule, swarm: Swarm, open_subjects: set[str], now: datetime) -> dict[str, Finding]:
    stale = now - timedelta(seconds=settings.SWARMDECK_WATCHER_STALE_SECONDS)
    down = Watcher.objects.filter(~Q(state=Watcher.State.CONNECTED) | Q(heartbeat_at__lt=stale))
    return {
        watcher.name: Finding(watcher.name, watcher.name, "watcher_down", {"since": watcher.heartbeat_at.isoformat()})
        for watcher in down
    }


_CHECKS = {
    Rule.Kind.CRASH_LOOP: _crash_loop,
    Rule.Kind.UNHEALTHY: _unhealthy,
    Rule.Kind.SHORT_OF_REPLICAS: _short_of_replicas,
    Rule.Kind.UPDATE_FAILED: _update_failed,
    Rule.Kind.JOB_FAILED: _job_failed,
    Rule.Kind.NODE_DOWN: _node_down,
    Rule.Kind.WATCHER_DOWN: _watcher_down,
}
