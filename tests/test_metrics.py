"""/metrics: Prometheus' text format that its own parser reads, counting what the history, the jobs
and the watchers hold and what the engine says; served to a token or an allowed network only."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from history.models import Task
from jobs.models import Job
from watcher.models import Watcher

from .fake_engine import WEB, unreachable

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-the-tests-0123456789"


def _task(task_id: str, service: str, cause: str = "", **fields) -> Task:
    now = timezone.now()
    return Task.objects.create(
        task_id=task_id,
        service_id=f"id-{service}",
        service_name=service,
        state=fields.pop("state", "failed" if cause else "running"),
        created_at=now,
        state_at=now,
        ended_at=now if cause else None,
        end_cause=cause,
        **fields,
    )


def _scrape(client, **headers) -> dict[str, dict[tuple, float]]:
    response = client.get(reverse("metrics:metrics"), headers=headers, REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")  # Prometheus' text format
    families = {}
    for family in text_string_to_metric_families(response.content.decode()):
        families[family.name] = {
            (sample.name, *sorted(sample.labels.items())): sample.value for sample in family.samples
        }
    return families


def test_restarts_unhealthy_tasks_and_jobs_are_counted_from_the_database(client, fake_engine):
    for n in range(3):
        _task(f"exit{n}", "api", "exit", exit_code=1)
    _task("kill1", "api", "unhealthy", exit_code=137)
    _task("upd1", "web", "update")
    _task("stop1", "web", "stopped")  # a scale down: not a restart
    _task("sick1", "api", health="unhealthy")
    _task("sick2", "api", health="unhealthy", state="failed", cause="exit")  # ended: no longer counted
    started = timezone.now() - timedelta(seconds=40)
    Job.objects.create(kind="scale", state="succeeded", started_at=started, finished_at=started + timedelta(seconds=3))
    Job.objects.create(kind="scale", state="failed", started_at=started, finished_at=started + timedelta(seconds=90))
    Job.objects.create(kind="update", state="queued")

    metrics = _scrape(client)

    restarts = metrics["swarmdeck_history_restarts"]
    assert restarts[("swarmdeck_history_restarts", ("cause", "exit"), ("service", "api"))] == 4  # sick2 too
    assert restarts[("swarmdeck_history_restarts", ("cause", "unhealthy"), ("service", "api"))] == 1
    assert restarts[("swarmdeck_history_restarts", ("cause", "update"), ("service", "web"))] == 1
    assert sum(restarts.values()) == Task.objects.filter(end_cause__in=Task.RESTART_CAUSES).count()
    assert metrics["swarmdeck_tasks_unhealthy"] == {("swarmdeck_tasks_unhealthy", ("service", "api")): 1}
    jobs = metrics["swarmdeck_jobs"]
    assert jobs[("swarmdeck_jobs", ("kind", "scale"), ("state", "succeeded"))] == 1
    assert jobs[("swarmdeck_jobs", ("kind", "update"), ("state", "queued"))] == 1
    durations = metrics["swarmdeck_job_duration_seconds"]
    assert durations[("swarmdeck_job_duration_seconds_bucket", ("kind", "scale"), ("le", "5.0"))] == 1
    assert durations[("swarmdeck_job_duration_seconds_bucket", ("kind", "scale"), ("le", "+Inf"))] == 2
    assert durations[("swarmdeck_job_duration_seconds_count", ("kind", "scale"))] == 2
    assert durations[("swarmdeck_job_duration_seconds_sum", ("kind", "scale"))] == pytest.approx(93)


def test_the_engines_services_nodes_and_the_watchers(client, fake_engine):
    Watcher.objects.create(name="vm", hostname="vm", state="connected", last_event_ns=1_790_000_000_000_000_000)
    Watcher.objects.create(name="gone", hostname="w1", state="connected")
    Watcher.objects.filter(name="gone").update(heartbeat_at=timezone.now() - timedelta(hours=1))

    metrics = _scrape(client)

    assert metrics["swarmdeck_engine_up"] == {("swarmdeck_engine_up",): 1}
    running = metrics["swarmdeck_service_tasks_running"]
    desired = metrics["swarmdeck_service_tasks_desired"]
    assert running[("swarmdeck_service_tasks_running", ("mode", "replicated"), ("service", WEB))] == 1
    assert desired[("swarmdeck_service_tasks_desired", ("mode", "replicated"), ("service", WEB))] == 2
    update = metrics["swarmdeck_service_update_state"]
    assert update[("swarmdeck_service_update_state", ("service", WEB), ("state", "paused"))] == 1
    assert metrics["swarmdeck_node_ready"] == {
        ("swarmdeck_node_ready", ("availability", "active"), ("node", "vm"), ("role", "manager")): 1
    }
    assert metrics["swarmdeck_nodes"] == {("swarmdeck_nodes", ("state", "ready")): 1}
    up = metrics["swarmdeck_watcher_up"]
    assert up[("swarmdeck_watcher_up", ("node", "vm"), ("watcher", "vm"))] == 1
    assert up[("swarmdeck_watcher_up", ("node", "w1"), ("watcher", "gone"))] == 0
    last_event = metrics["swarmdeck_watcher_last_event_timestamp_seconds"]
    assert last_event == {("swarmdeck_watcher_last_event_timestamp_seconds", ("watcher", "vm")): 1_790_000_000}


def test_an_engine_that_does_not_answer_is_a_zero_not_an_error(client, fake_engine):
    fake_engine.fail("*", unreachable())
    _task("exit1", "api", "exit", exit_code=1)

    metrics = _scrape(client)

    assert metrics["swarmdeck_engine_up"] == {("swarmdeck_engine_up",): 0}
    assert "swarmdeck_service_tasks_running" not in metrics
    assert metrics["swarmdeck_history_restarts"]  # the database's part is still there


@pytest.mark.parametrize(
    ("address", "headers", "allowed"),
    [
        ("127.0.0.1", {}, True),  # this machine
        ("10.1.2.3", {}, False),
        ("10.1.2.3", {"Authorization": f"Bearer {TOKEN}"}, True),
        ("10.1.2.3", {"Authorization": "Bearer not-the-token"}, False),
        ("10.1.2.3", {"Authorization": f"Basic {TOKEN}"}, False),
        ("10.1.2.3", {"X-Forwarded-For": "127.0.0.1"}, False),  # not from a trusted proxy: ignored
    ],
)
def test_metrics_are_served_to_a_token_or_an_allowed_network(client, fake_engine, settings, address, headers, allowed):
    settings.SWARMDECK_METRICS_TOKEN = TOKEN

    response = client.get(reverse("metrics:metrics"), headers=headers, REMOTE_ADDR=address)

    assert response.status_code == (200 if allowed else 401)
    if not allowed:
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert b"swarmdeck_" not in response.content


def test_no_token_set_means_no_token_opens_it(client, fake_engine, settings):
    settings.SWARMDECK_METRICS_TOKEN = ""
    response = client.get(reverse("metrics:metrics"), headers={"Authorization": "Bearer "}, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 401


def test_an_allowed_network_can_be_set(client, fake_engine, settings):
    settings.SWARMDECK_METRICS_NETWORKS = ["10.0.0.0/8"]
    assert client.get(reverse("metrics:metrics"), REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get(reverse("metrics:metrics"), REMOTE_ADDR="127.0.0.1").status_code == 401
