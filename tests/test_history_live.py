"""The seed article's situations on the real engine, recorded by the real watcher process."""

import re
import signal
import time

import docker
import pytest
from django.urls import reverse

import engine
from history.models import ServiceEvent, Task
from watcher.models import Watcher

from .conftest import running_tasks, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
SECOND = 1_000_000_000


def test_restart_history_outlives_swarms_five_tasks_per_slot(stack, make_service, panel_client):
    service = make_service(
        command=["sh", "-c", "sleep 0.3; exit 15"],
        restart_policy=docker.types.RestartPolicy(condition="on-failure", delay=SECOND),
    )
    recorded = Task.objects.filter(service_id=service.id, slot=1, end_cause="exit")

    wait_until(lambda: recorded.count() >= 8, timeout=120, message="the watcher did not record 8 restarts")

    held_by_swarm = {task["ID"] for task in service.tasks() if task.get("Slot") == 1}
    assert len(held_by_swarm) <= 6  # five old tasks and the current one
    assert set(recorded.values_list("task_id", flat=True)) - held_by_swarm, "nothing beyond Swarm's memory"
    assert set(recorded.values_list("exit_code", flat=True)) == {15}
    assert recorded.filter(error="task: non-zero exit (15)").exists()
    html = panel_client.get(reverse("services:detail", args=[service.id])).content.decode()
    assert html.count('class="restart cause-exit"') >= 8
    assert "task: non-zero exit (15)" in html


def test_a_failing_health_check_is_recorded_as_unhealthy(stack, make_service):
    service = make_service(
        healthcheck=docker.types.Healthcheck(test=["CMD-SHELL", "exit 1"], interval=SECOND, retries=1),
        restart_policy=docker.types.RestartPolicy(condition="any", delay=SECOND),
    )
    killed = Task.objects.filter(service_id=service.id, end_cause="unhealthy")

    wait_until(lambda: killed.exists(), timeout=90, message="no task was recorded as killed for being unhealthy")

    task = wait_until(lambda: killed.exclude(error="").first(), timeout=30)
    assert "unhealthy container" in task.error
    assert task.exit_code == 137
    assert ServiceEvent.objects.filter(service_id=service.id, kind=ServiceEvent.Kind.HEALTH, params__health="unhealthy")
    assert Task.objects.filter(service_id=service.id, health="unhealthy").exists()


def _update_states(service_id: str) -> set[str]:
    states = set()
    for event in ServiceEvent.objects.filter(service_id=service_id):
        if event.kind == ServiceEvent.Kind.UPDATE_STATUS:
            states.add(event.params["state"])
        if "updatestate.new" in event.params.get("attributes", {}):
            states.add(event.params["attributes"]["updatestate.new"])
    return states


def test_rolling_update_and_rollback_are_recorded(stack, make_service, docker_client):
    service = make_service(
        mode=docker.types.ServiceMode("replicated", replicas=2),
        update_config=docker.types.UpdateConfig(parallelism=1, delay=SECOND),
    )
    wait_until(lambda: running_tasks(service) == 2)

    service.update(env=["VERSION=2"])
    wait_until(lambda: engine.service_detail(service_id=service.id).update_status.state == "completed", timeout=90)
    api = docker_client.api
    service.reload()
    api._result(
        api._post_json(
            api._url("/services/{0}/update", service.id),
            data=service.attrs["Spec"],
            params={"version": service.version, "rollback": "previous"},
        ),
        json=True,
    )
    wait_until(
        lambda: engine.service_detail(service_id=service.id).update_status.state == "rollback_completed", timeout=90
    )

    wait_until(
        lambda: {"updating", "completed", "rollback_started", "rollback_completed"} <= _update_states(service.id),
        timeout=30,
        message="update status transitions missing",
    )
    assert Task.objects.filter(service_id=service.id, end_cause="update").count() >= 4


def test_changes_missed_while_the_watcher_was_down_appear_exactly_once(stack, make_service, docker_client):
    service = make_service()
    wait_until(lambda: Task.objects.filter(service_id=service.id, state="running").exists(), timeout=30)
    wait_until(lambda: Watcher.objects.filter(last_event_ns__isnull=False).exists(), timeout=30)

    stack.stop("watcher", signal.SIGKILL)  # no clean exit: only what it stored survives
    service.scale(3)
    wait_until(lambda: running_tasks(service) == 3, timeout=60)
    assert Task.objects.filter(service_id=service.id).count() == 1
    stack.start("watcher")

    stored = Task.objects.filter(service_id=service.id, state="running")
    wait_until(lambda: stored.count() == 3, timeout=30, message="the missed tasks were not recorded")
    engine_ids = {task["ID"] for task in service.tasks()}
    assert set(Task.objects.filter(service_id=service.id).values_list("task_id", flat=True)) == engine_ids
    updates = ServiceEvent.objects.filter(service_id=service.id, kind=ServiceEvent.Kind.SERVICE_UPDATE)

    def scaled():
        return [event for event in updates if event.params["attributes"].get("replicas.new") == "3"]

    wait_until(scaled, timeout=10, message="the scale event was not replayed")
    assert len(scaled()) == 1
    # The replay is in the engine's order: the new tasks' container starts come after the scale.
    starts = ServiceEvent.objects.filter(service_id=service.id, kind=ServiceEvent.Kind.CONTAINER_START)
    wait_until(lambda: starts.count() >= 3, timeout=10, message="the missed container starts were not replayed")
    assert starts.count() == 3
    # Every service event the engine emitted is stored, once.
    created = engine.service_get(service_id=service.id).created_at.timestamp()
    engine_events = docker_client.api.events(
        since=int(created), until=int(time.time()) + 1, filters={"service": service.id, "type": "service"}, decode=True
    )
    engine_keys = {f"{event['timeNano']}:service:{event['Action']}:{event['Actor']['ID']}" for event in engine_events}
    stored_keys = set(
        ServiceEvent.objects.filter(service_id=service.id, kind__startswith="service_").values_list("key", flat=True)
    )
    assert stored_keys == engine_keys


def test_docker_values_are_escaped_and_secrets_masked(stack, make_service, panel_client):
    script = "<script>alert(1)</script>"
    service = make_service(
        labels={"note": script},
        env=["GREETING=<img src=x onerror=alert(2)>", "DB_PASSWORD=hunter2-secret", "API_TOKEN=tok-123456"],
    )

    pages = [
        panel_client.get(reverse("services:list")).content.decode(),
        panel_client.get(reverse("services:detail", args=[service.id])).content.decode(),
    ]

    for html in pages:
        assert script not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in pages[1]
    assert "hunter2-secret" not in pages[1]
    assert "tok-123456" not in pages[1]
    assert "DB_PASSWORD=" in pages[1]


class _CountingClient:
    def __init__(self, client, calls):
        self._client, self._calls = client, calls

    def __getattr__(self, name):
        attribute = getattr(self._client, name)
        if callable(attribute) and not name.startswith("_"):
            self._calls.append(name)
        return attribute


def _calls_per_page(panel_client, monkeypatch, service_id) -> dict[str, list[str]]:
    real = engine.client.api
    counts = {}
    for name, url in [
        ("list", reverse("services:list")),
        ("overview", reverse("overview")),
        ("nodes", reverse("nodes:list")),
        ("detail", reverse("services:detail", args=[service_id])),
    ]:
        calls: list[str] = []
        monkeypatch.setattr(engine.client, "api", lambda calls=calls: _CountingClient(real(), calls))
        assert panel_client.get(url).status_code == 200
        counts[name] = sorted(calls)
    monkeypatch.setattr(engine.client, "api", real)
    return counts


def test_engine_calls_per_page_do_not_grow_with_the_number_of_services(stack, make_service, panel_client, monkeypatch):
    idle = docker.types.ServiceMode("replicated", replicas=0)
    first = make_service(mode=idle)
    for _ in range(2):
        make_service(mode=idle)
    with_three = _calls_per_page(panel_client, monkeypatch, first.id)

    for _ in range(57):
        make_service(mode=idle)
    with_sixty = _calls_per_page(panel_client, monkeypatch, first.id)

    assert with_three == with_sixty
    assert len(with_three["list"]) == 2  # one services call, one tasks call
    assert max(len(calls) for calls in with_sixty.values()) <= 4


def test_with_redis_down_the_watcher_keeps_recording_and_publishes_when_it_returns(stack, make_service, redis_server):
    from channels.layers import channel_layers

    service = make_service()
    stored = Task.objects.filter(service_id=service.id, state="running")
    wait_until(lambda: stored.count() == 1, timeout=30)

    redis_server.stop()
    try:
        service.scale(2)
        wait_until(lambda: stored.count() == 2, timeout=30, message="the watcher stopped recording without Redis")
        wait_until(lambda: "could not publish" in stack.log("watcher"), timeout=10)
    finally:
        redis_server.start()
        channel_layers.backends.clear()  # this process's layer lost its connections too

    # The hint it kept is sent once Redis answers again.
    wait_until(
        lambda: re.search(rf"re-published the hints of .*{service.id}", stack.log("watcher")),
        timeout=15,
        message="the watcher did not re-publish the hint it kept",
    )
