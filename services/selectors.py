"""What the pages show: engine snapshots joined with the panel's history.

Each selector makes a fixed number of engine calls (one services, one tasks, one nodes call at
most), whatever the number of services: never one call per service.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

import engine
from history.labels import UPDATE_STATES_BAD, Health, TaskState
from history.models import ServiceEvent, Task
from jobs.models import Job

from . import explain, masking
from .chart import Chart, restart_chart

RESTART_CAUSES = [str(cause) for cause in Task.RESTART_CAUSES]
# Tasks Swarm no longer wants running; "ready" (waiting out the restart delay) is still current.
STOPPED_DESIRED_STATES = (TaskState.SHUTDOWN, TaskState.REMOVE, TaskState.COMPLETE)
SORT_KEYS = {
    "name": lambda row: row.service.name.lower(),
    "image": lambda row: row.service.image,
    "mode": lambda row: row.service.mode,
    "replicas": lambda row: (row.service.tasks_running - row.service.tasks_desired, row.service.name),
    "health": lambda row: (-row.health["unhealthy"], row.service.name),
    "update": lambda row: row.service.update_state,
    "restarts": lambda row: (-row.restarts, row.service.name),
    "changed": lambda row: row.changed_at or datetime.min.replace(tzinfo=UTC),
    # A stack's services together (services outside any stack first), by name within it.
    "stack": lambda row: (row.stack, row.service.name.lower()),
}
STACK_QUERY = "stack:"  # the filter "stack:NAME": that stack's services only


@dataclass
class ServiceRow:
    service: engine.ServiceSummary
    health: Counter = field(default_factory=Counter)
    restarts: int = 0
    restarts_last_hour: int = 0

    @property
    def changed_at(self) -> datetime | None:
        return self.service.updated_at

    @property
    def stack(self) -> str:
        return self.service.stack

    @property
    def attention(self) -> list[str]:
        """Reasons this service needs a look (codes the template words)."""
        reasons = []
        if self.service.tasks_running < self.service.tasks_desired:
            reasons.append("short")
        if self.health["unhealthy"]:
            reasons.append("unhealthy")
        if self.service.update_state in UPDATE_STATES_BAD:
            reasons.append(self.service.update_state)
        if self.restarts_last_hour:
            reasons.append("restarts")
        return reasons


def _matches(service: engine.ServiceSummary, query: str) -> bool:
    """A name substring, or a label: "key" or "key=value"."""
    if not query:
        return True
    query = query.strip()
    if query.startswith(STACK_QUERY):
        return service.labels.get(engine.STACK_LABEL) == query.removeprefix(STACK_QUERY).strip()
    if query.lower() in service.name.lower():
        return True
    key, equals, value = query.partition("=")
    if key in service.labels:
        return not equals or service.labels[key] == value
    return False


def service_rows(*, query: str = "", sort: str = "name", ids: Collection[str] | None = None) -> list[ServiceRow]:
    """The services list's rows: every service, or only those of ``ids`` (the rows a change pushes)."""
    services = [service for service in engine.service_list(ids=ids) if _matches(service, query)]
    if not services:
        return []
    running = engine.task_list(desired_running=True, service_ids=ids)
    rows = {service.id: ServiceRow(service) for service in services}
    running_ids = [task.id for task in running if task.state == "running" and task.service_id in rows]
    for service_id, counts in _task_counts(running_ids, timezone.now()):
        row = rows.get(service_id)
        if row is None:
            continue  # restarts of a service that is gone, or filtered out
        for health in (Health.HEALTHY, Health.UNHEALTHY, Health.STARTING):
            if counts[health]:
                row.health[str(health)] = counts[health]
        row.restarts, row.restarts_last_hour = counts["day"], counts["hour"]
    key = SORT_KEYS.get(sort.lstrip("-"), SORT_KEYS["name"])
    return sorted(rows.values(), key=key, reverse=sort.startswith("-"))


def _task_counts(running_ids: list[str], now: datetime):
    """(service id, counts) from one query on the history: the health of the running tasks (by the
    engine's ids) and the restarts in the last 24 h and hour, per service, whatever their number."""
    day_ago, hour_ago = now - timedelta(hours=24), now - timedelta(hours=1)
    restarted = Q(end_cause__in=RESTART_CAUSES, ended_at__gte=day_ago)
    # A running task's row has no end; a restart's has one: the two sets are told apart by it.
    current = Q(ended_at__isnull=True)
    counts = (
        Task.objects.filter(Q(task_id__in=running_ids) | restarted)
        .order_by()
        .values("service_id")
        .annotate(
            day=Count("id", filter=restarted),
            hour=Count("id", filter=restarted & Q(ended_at__gte=hour_ago)),
            **{
                str(health): Count("id", filter=current & Q(health=health))
                for health in (Health.HEALTHY, Health.UNHEALTHY, Health.STARTING)
            },
        )
    )
    for row in counts:
        yield row.pop("service_id"), row


@dataclass
class TaskRow:
    task: engine.TaskSnapshot
    node: str
    health: str
    explanation: str
    node_down: bool = False  # what it shows is only what its node last reported


@dataclass
class ServiceNetwork:
    id: str
    name: str  # the id's first 12 characters when the network is gone
    aliases: tuple[str, ...]


@dataclass
class ServicePage:
    detail: engine.ServiceDetail
    current: list[TaskRow]
    held_by_swarm: list[TaskRow]  # the ended tasks Swarm still keeps (5 per slot), not the panel's history
    restarts: list[Task]
    chart: Chart
    events: list[ServiceEvent]
    env: list[tuple[str, str]]
    previous_env: list[tuple[str, str]]
    outlook: str
    health_nodes: list[str]
    jobs: list[Job] = field(default_factory=list)
    networks: list[ServiceNetwork] = field(default_factory=list)

    @property
    def stack(self) -> str:
        return self.detail.summary.stack

    @property
    def config(self) -> engine.ServiceConfig:
        return self.detail.config

    @property
    def previous_config(self) -> engine.ServiceConfig | None:
        return self.detail.previous_config

    @property
    def healthcheck(self) -> str:
        return explain.describe_healthcheck(self.config.healthcheck)

    @property
    def restart_policy(self) -> str:
        return explain.describe_restart_policy(self.config.restart)

    @property
    def update_config(self) -> str:
        return explain.describe_update_config(self.config.update)

    @property
    def rollback_config(self) -> str:
        return explain.describe_update_config(self.config.rollback, rollback=True)

    @property
    def advice(self) -> list[str]:
        return explain.config_advice(self.config)


def service_page(*, service_id: str, chart_range: str = "24h") -> ServicePage:
    detail = engine.service_detail(service_id=service_id)
    tasks = engine.task_list(service_id=detail.summary.id)
    node_list = engine.node_list()
    nodes = {node.id: node.hostname for node in node_list}
    down = {node.id for node in node_list if node.state == "down"}
    stored = {task.task_id: task for task in Task.objects.filter(task_id__in=[t.id for t in tasks])}

    def row(task: engine.TaskSnapshot) -> TaskRow:
        record = stored.get(task.id)
        node_down = task.node_id in down and task.state not in engine.TERMINAL_TASK_STATES
        return TaskRow(
            task=task,
            node=nodes.get(task.node_id, task.node_id[:12]),
            health=record.health if record and task.state == "running" and not node_down else "",
            explanation=(
                explain.explain_node_down(task) if node_down else explain.explain_exit(task.exit_code, task.error)
            ),
            node_down=node_down,
        )

    ordered = sorted(tasks, key=lambda t: (t.slot or 0, t.node_id, -t.created_at.timestamp()))
    now = timezone.now()
    ended = Task.objects.filter(service_id=detail.summary.id, end_cause__in=RESTART_CAUSES)
    policy = detail.config.restart
    window = policy.window or 0
    since = now - timedelta(microseconds=window / 1000) if window else now - timedelta(days=3650)
    # The table's page of restarts, newest first: also the last one, which the outlook explains.
    restarts = list(ended.order_by("-ended_at")[:100])
    last = restarts[0] if restarts else None
    return ServicePage(
        detail=detail,
        current=[row(task) for task in ordered if task.desired_state not in STOPPED_DESIRED_STATES],
        held_by_swarm=[row(task) for task in ordered if task.desired_state in STOPPED_DESIRED_STATES],
        restarts=restarts,
        chart=restart_chart(ended, now=now, range_key=chart_range),
        events=list(ServiceEvent.objects.filter(service_id=detail.summary.id)[:50]),
        env=masking.mask_env(detail.config.env, _secret_names(detail)),
        previous_env=masking.mask_env(
            detail.previous_config.env if detail.previous_config else None, _secret_names(detail)
        ),
        outlook=explain.restart_outlook(
            condition=policy.condition or "any",
            max_attempts=policy.max_attempts or 0,
            window_ns=window,
            delay_ns=explain.RESTART_DELAY if policy.delay is None else policy.delay,
            failures_in_window=ended.filter(ended_at__gte=since).exclude(end_cause=Task.EndCause.UPDATE).count(),
            exit_code=last.exit_code if last else None,
        )
        if last
        else "",
        health_nodes=sorted({nodes.get(n, n[:12]) for n in stored_health_nodes(stored.values())}),
        jobs=list(Job.objects.filter(service_id=detail.summary.id)[:5]),
        networks=_service_networks(detail.config.networks),
    )


def _service_networks(attachments: tuple[engine.NetworkAttachment, ...]) -> list[ServiceNetwork]:
    """The service's networks by name (one more engine call, only for a service on some)."""
    if not attachments:
        return []
    names = {network.id: network.name for network in engine.network_list()}
    return [ServiceNetwork(a.target, names.get(a.target, a.target[:12]), a.aliases) for a in attachments]


def _secret_names(detail: engine.ServiceDetail) -> set[str]:
    """The names either spec marks secret: a name unmarked since still hides its older value."""
    previous = detail.previous_config.labels if detail.previous_config else None
    return masking.secret_names(detail.config.labels) | masking.secret_names(previous)


def stored_health_nodes(tasks) -> set[str]:
    return {task.health_node for task in tasks if task.health_node}
