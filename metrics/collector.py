"""What the panel knows, for Prometheus: read at each scrape from the history, the jobs and the
watchers' rows, and from the engine (two calls: services and nodes).

Names and labels follow Prometheus' conventions: a unit in the name (``_seconds``), timestamps as
seconds since the epoch for PromQL to subtract (``time() - swarmdeck_watcher_heartbeat_timestamp_seconds``),
a service or node by its name. The history's restarts are a gauge, not a counter: retention drops
old rows (SWARMDECK_HISTORY_DAYS), so the number may go down.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

import engine
from history.models import Task
from jobs.models import Job
from watcher.models import Watcher

# Job durations, from a quick scale to a long rolling update (seconds).
JOB_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600)


class PanelCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from _history()
        yield from _jobs()
        yield from _watchers()
        yield from _engine()


def _history() -> Iterator[Metric]:
    restarts = GaugeMetricFamily(
        "swarmdeck_history_restarts",
        "Task restarts the panel's history holds, by service and cause (kept SWARMDECK_HISTORY_DAYS days).",
        labels=["service", "cause"],
    )
    rows = (
        Task.objects.filter(end_cause__in=Task.RESTART_CAUSES)
        .values("service_name", "end_cause")
        .annotate(n=Count("id"))
        .order_by("service_name", "end_cause")
    )
    for row in rows:
        restarts.add_metric([row["service_name"], row["end_cause"]], row["n"])
    yield restarts

    unhealthy = GaugeMetricFamily(
        "swarmdeck_tasks_unhealthy", "Tasks still running whose health check fails, by service.", labels=["service"]
    )
    rows = (
        Task.objects.filter(health="unhealthy", ended_at__isnull=True, state="running")
        .values("service_name")
        .annotate(n=Count("id"))
        .order_by("service_name")
    )
    for row in rows:
        unhealthy.add_metric([row["service_name"]], row["n"])
    yield unhealthy


def _jobs() -> Iterator[Metric]:
    jobs = GaugeMetricFamily(
        "swarmdeck_jobs",
        "Jobs the panel holds, by kind and state (kept SWARMDECK_JOB_DAYS days).",
        labels=["kind", "state"],
    )
    for row in Job.objects.values("kind", "state").annotate(n=Count("id")).order_by("kind", "state"):
        jobs.add_metric([row["kind"], row["state"]], row["n"])
    yield jobs

    durations: dict[str, list[float]] = defaultdict(list)
    finished = Job.objects.filter(started_at__isnull=False, finished_at__isnull=False)
    for kind, started, ended in finished.values_list("kind", "started_at", "finished_at").iterator():
        durations[kind].append(max((ended - started).total_seconds(), 0.0))
    histogram = HistogramMetricFamily(
        "swarmdeck_job_duration_seconds", "How long finished jobs ran, from start to end, by kind.", labels=["kind"]
    )
    for kind in sorted(durations):
        seconds = durations[kind]
        buckets = [(floatToGoString(bound), sum(1 for value in seconds if value <= bound)) for bound in JOB_BUCKETS]
        histogram.add_metric([kind], [*buckets, ("+Inf", len(seconds))], sum_value=sum(seconds))
    yield histogram


def _watchers() -> Iterator[Metric]:
    up = GaugeMetricFamily(
        "swarmdeck_watcher_up",
        "1 while the event watcher is connected to its engine and its heartbeat is fresh.",
        labels=["watcher", "node"],
    )
    heartbeat = GaugeMetricFamily(
        "swarmdeck_watcher_heartbeat_timestamp_seconds", "The watcher's last heartbeat.", labels=["watcher"]
    )
    last_event = GaugeMetricFamily(
        "swarmdeck_watcher_last_event_timestamp_seconds",
        "The time of the last Docker event the watcher recorded (time() minus it: the event lag when events flow).",
        labels=["watcher"],
    )
    fresh_since = timezone.now() - timedelta(seconds=settings.SWARMDECK_WATCHER_STALE_SECONDS)
    for watcher in Watcher.objects.order_by("name"):
        connected = watcher.state == Watcher.State.CONNECTED and watcher.heartbeat_at >= fresh_since
        up.add_metric([watcher.name, watcher.hostname], 1 if connected else 0)
        heartbeat.add_metric([watcher.name], watcher.heartbeat_at.timestamp())
        if watcher.last_event_ns:
            last_event.add_metric([watcher.name], watcher.last_event_ns / 1e9)
    yield from (up, heartbeat, last_event)


def _engine() -> Iterator[Metric]:
    reachable = GaugeMetricFamily("swarmdeck_engine_up", "1 when the Docker engine answered this scrape.")
    try:
        services, nodes = engine.service_list(), engine.node_list()
    except engine.EngineError:
        reachable.add_metric([], 0)
        yield reachable
        return
    reachable.add_metric([], 1)
    yield reachable

    running = GaugeMetricFamily(
        "swarmdeck_service_tasks_running", "The service's tasks running now.", labels=["service", "mode"]
    )
    desired = GaugeMetricFamily(
        "swarmdeck_service_tasks_desired", "The tasks the service should run.", labels=["service", "mode"]
    )
    update = GaugeMetricFamily(
        "swarmdeck_service_update_state",
        "1 for the state of the service's last update or rollback (Docker's UpdateStatus.State).",
        labels=["service", "state"],
    )
    for service in services:
        running.add_metric([service.name, service.mode], service.tasks_running)
        desired.add_metric([service.name, service.mode], service.tasks_desired)
        if service.update_state:
            update.add_metric([service.name, service.update_state], 1)
    yield from (running, desired, update)

    ready = GaugeMetricFamily(
        "swarmdeck_node_ready",
        "1 when the node is ready, by node, role and availability.",
        labels=["node", "role", "availability"],
    )
    for node in nodes:
        ready.add_metric([node.hostname, node.role, node.availability], 1 if node.state == "ready" else 0)
    yield ready
    states = Counter(node.state for node in nodes)
    count = GaugeMetricFamily("swarmdeck_nodes", "The swarm's nodes, by state.", labels=["state"])
    for state in sorted(states):
        count.add_metric([state], states[state])
    yield count
