"""The engine adapter on the engine's own JSON (tests/engine_json, recorded from the sandbox):
parsing, the error tree, the writes it sends, and the job runner's retries of transient errors."""

from __future__ import annotations

import pytest
import requests

import engine
from engine.client import when
from jobs import runner
from jobs.models import Job
from jobs.runner import job_run

from .fake_engine import (
    CRASH,
    GLOBAL,
    MOUNTS,
    WEB,
    FakeAPIClient,
    api_error,
    recorded_error,
    recorded_meta,
    unreachable,
)


@pytest.fixture
def raw_engine(monkeypatch) -> FakeAPIClient:
    """The recordings with their own timestamps, so parsed values compare with the raw JSON."""
    fake = FakeAPIClient(age=None)
    monkeypatch.setattr(engine.client, "api", lambda: fake)
    return fake


def test_the_recordings_name_the_engine_they_come_from():
    meta = recorded_meta()
    assert meta["engine_version"]
    assert tuple(int(part) for part in meta["api_version"].split(".")) >= (1, 41)


# --- services -------------------------------------------------------------------------------------


def test_services_are_summarised_sorted_by_name(raw_engine):
    services = engine.service_list()

    assert [s.name for s in services] == [CRASH, GLOBAL, MOUNTS, WEB]
    by_name = {s.name: s for s in services}
    web, glob = by_name[WEB], by_name[GLOBAL]
    raw = next(item for item in raw_engine.services(status=True) if item["Spec"]["Name"] == WEB)
    assert (web.id, web.mode, web.replicas, web.version) == (raw["ID"], "replicated", 2, raw["Version"]["Index"])
    assert (web.tasks_running, web.tasks_desired) == (1, 2)
    assert not web.converged
    assert (web.image, web.image_digest) == ("swarmdeck-test/busybox:1", "")
    assert web.update_state == "paused"
    assert web.labels["tier"] == "front"
    assert web.created_at == when(raw["CreatedAt"]) and web.created_at.tzinfo is not None
    assert web.spec["TaskTemplate"]["ContainerSpec"]["Env"][0] == "DB_PASSWORD=not-a-secret"
    assert (glob.mode, glob.replicas, glob.tasks_desired, glob.update_state) == ("global", None, 1, "")


def test_service_lookups_by_id_prefix_name_and_label(raw_engine):
    web_id = raw_engine.service_id(WEB)

    assert engine.service_get(service_id=web_id[:10]).name == WEB
    assert engine.service_find(name=MOUNTS).id == raw_engine.service_id(MOUNTS)
    assert engine.service_find(name="rec") is None  # the engine's prefix match is not a name
    assert [s.name for s in engine.services_labelled(label="tier=front")] == [WEB]
    with pytest.raises(engine.ServiceNotFound):
        engine.service_get(service_id="nosuchservice")


def test_service_detail_has_the_previous_spec_and_the_update_status(raw_engine):
    web = engine.service_detail(service_id=raw_engine.service_id(WEB))
    mounts = engine.service_detail(service_id=raw_engine.service_id(MOUNTS))
    crash = engine.service_detail(service_id=raw_engine.service_id(CRASH))

    assert web.can_roll_back
    assert web.previous_spec["TaskTemplate"]["ContainerSpec"]["Env"][1] == "GREETING=hello world"
    assert web.spec["TaskTemplate"]["ContainerSpec"]["Env"][1] == "GREETING=hello again"
    assert web.update_status.state == "paused"
    assert web.update_status.message.startswith("update paused due to failure")
    assert web.update_status.started_at is not None and web.update_status.completed_at is None
    assert mounts.update_status.state == "completed"
    assert mounts.update_status.completed_at > mounts.update_status.started_at
    assert (crash.previous_spec, crash.update_status, crash.can_roll_back) == (None, None, False)


def test_update_statuses_of_every_service_in_one_call(raw_engine):
    statuses = engine.service_update_statuses()

    assert statuses[raw_engine.service_id(WEB)].state == "paused"
    assert statuses[raw_engine.service_id(GLOBAL)] is None
    assert [name for name, _ in raw_engine.calls] == ["services"]


def test_nanosecond_timestamps_keep_their_microseconds():
    assert when("2026-11-26T09:54:26.859238473Z").microsecond == 859238
    assert when("0001-01-01T00:00:00Z") is None


# --- tasks, nodes, containers, images ---------------------------------------------------------------


def test_tasks_report_exit_codes_only_once_they_ended(raw_engine):
    tasks = engine.task_list()
    raw_running = [t for t in raw_engine.raw_tasks() if t["Status"]["State"] == "running"]

    assert len(tasks) == len(raw_engine.raw_tasks())
    # The engine says 0 for a container still running; the adapter says "no exit yet".
    assert raw_running and all(t["Status"]["ContainerStatus"]["ExitCode"] == 0 for t in raw_running)
    assert all(t.exit_code is None for t in tasks if t.state not in engine.TERMINAL_TASK_STATES)
    crash_id, web_id = raw_engine.service_id(CRASH), raw_engine.service_id(WEB)
    crashes = [t for t in tasks if t.service_id == crash_id and t.state == "failed"]
    kills = [t for t in tasks if t.service_id == web_id and t.state == "failed"]
    assert crashes and {t.exit_code for t in crashes} == {15}
    assert all(t.error == "task: non-zero exit (15)" for t in crashes)
    assert kills and {t.exit_code for t in kills} == {137}
    assert all("unhealthy container" in t.error for t in kills)
    assert all(t.created_at and t.state_at and t.image == "swarmdeck-test/busybox:1" for t in tasks)
    assert {t.slot for t in tasks if t.service_id == raw_engine.service_id(GLOBAL)} == {None}


def test_tasks_of_one_service_still_wanted_running(raw_engine):
    web_id = raw_engine.service_id(WEB)

    tasks = engine.task_list(service_id=web_id, desired_running=True)

    assert raw_engine.calls[-1] == ("tasks", {"filters": {"service": web_id, "desired-state": "running"}})
    assert tasks and all(t.service_id == web_id and t.desired_state == "running" for t in tasks)
    assert len(tasks) < len(raw_engine.raw_tasks(WEB))


def test_nodes_are_sorted_managers_first_then_by_hostname(raw_engine):
    (manager,) = raw_engine._nodes
    for hostname, role in [("b-worker", "worker"), ("a-worker", "worker"), ("a-manager", "manager")]:
        node = {**manager, "ID": hostname, "Description": {**manager["Description"], "Hostname": hostname}}
        node["Spec"] = {**manager["Spec"], "Role": role}
        if role == "worker":
            node.pop("ManagerStatus", None)
        raw_engine._nodes.append(node)

    nodes = engine.node_list()

    hostname = manager["Description"]["Hostname"]
    assert [n.hostname for n in nodes] == sorted(["a-manager", hostname]) + ["a-worker", "b-worker"]
    leader = next(n for n in nodes if n.id == manager["ID"])
    assert (leader.role, leader.state, leader.availability, leader.leader) == ("manager", "ready", "active", True)
    assert leader.engine_version == recorded_meta()["engine_version"]
    assert not any(n.leader for n in nodes if n.role == "worker")


def test_swarm_info_and_node_identity(raw_engine):
    info = engine.swarm_info()
    identity = engine.node_identity()

    assert (info.nodes, info.managers, info.engine_version) == (1, 1, recorded_meta()["engine_version"])
    assert identity.node_id == raw_engine._nodes[0]["ID"] and identity.is_manager


def test_an_engine_outside_a_swarm_is_not_a_manager(raw_engine):
    raw_engine._info["Swarm"] = {"LocalNodeState": "inactive", "ControlAvailable": False}

    with pytest.raises(engine.NotSwarmManager):
        engine.swarm_info()
    with pytest.raises(engine.NotSwarmManager):
        engine.node_identity()


def test_task_container_health_from_the_containers_listing(raw_engine):
    health = engine.local_task_health()

    listed = raw_engine.containers(all=True)
    assert len(health) == len(listed)
    for item in health:
        status = next(c["Status"] for c in listed if c["Id"] == item.container_id)
        expected = {"(healthy)": "healthy", "(unhealthy)": "unhealthy", "(health: starting)": "starting"}
        assert item.health == next((word for mark, word in expected.items() if mark in status), "")
    assert {"healthy", ""} <= {item.health for item in health}


def test_containers_are_read_with_their_service_and_exit(raw_engine):
    listed = raw_engine.containers(all=True)
    running = next(c for c in listed if c["State"] == "running" and "(healthy)" in c["Status"])
    exited = next(c for c in listed if c["State"] == "exited")

    alive = engine.container_get(container_id=running["Id"][:12])
    dead = engine.container_get(container_id=exited["Id"])

    assert (alive.state, alive.health, alive.exit_code) == ("running", "healthy", None)
    assert alive.service_id == raw_engine.service_id(WEB)
    assert alive.image.startswith("swarmdeck-test/busybox:1")
    assert dead.state == "exited" and dead.exit_code in (15, 137)
    with pytest.raises(engine.ContainerNotFound):
        engine.container_get(container_id="nosuchcontainer")
    assert engine.container_find(name="nosuchcontainer") is None


def test_image_digests_local_and_remote(raw_engine):
    assert engine.image_local_digests(image="swarmdeck-test/busybox:1") == []  # imported, never pushed
    assert engine.image_local_digests(image="nosuch/image:1") == []
    raw_engine.distributions["reg:5000/app:1"] = "sha256:" + "2" * 64

    assert engine.image_remote_digest(image="reg:5000/app:1") == "sha256:" + "2" * 64
    with pytest.raises(engine.RegistryUnreachable, match="connection refused"):
        engine.image_remote_digest(image="127.0.0.1:5999/app:1")  # the engine's recorded words
    raw_engine.fail("inspect_distribution", api_error(500, "manifest unknown: manifest unknown"))
    with pytest.raises(engine.TagNotFound):
        engine.image_remote_digest(image="reg:5000/app:9")


# --- events ------------------------------------------------------------------------------------------


def test_events_are_typed_and_keyed(raw_engine):
    raw = raw_engine.events()._events
    raw = list(raw)

    events = list(engine.event_stream(since=1.0, until=4_000_000_000.0))

    assert len(events) == len(raw) and events
    assert {e.type for e in events} <= {"service", "container", "node"}
    assert len({e.key for e in events}) == len(events)  # a replayed event is stored once
    assert [e.time_ns for e in events] == [item["timeNano"] for item in raw]
    assert all(e.at.year >= 2026 and e.actor_id for e in events)
    web_id = raw_engine.service_id(WEB)
    paused = [e for e in events if e.type == "service" and e.attributes.get("updatestate.new") == "paused"]
    assert paused and paused[0].actor_id == web_id and paused[0].attributes["name"] == WEB
    died = [e for e in events if e.action == "die" and e.attributes.get("exitCode") == "15"]
    assert died and died[0].attributes["com.docker.swarm.service.id"] == raw_engine.service_id(CRASH)
    assert any(e.action == "health_status: unhealthy" for e in events)
    call = raw_engine.calls[-1]
    assert call[1]["filters"] == {"type": ["service", "container", "node", "network", "secret", "config"]}


def test_events_before_since_are_not_replayed(raw_engine):
    raw = list(raw_engine.events()._events)
    middle = raw[len(raw) // 2]["timeNano"] / 1e9

    events = list(engine.event_stream(since=middle, until=4_000_000_000.0))

    assert 0 < len(events) < len(raw)


# --- the error tree --------------------------------------------------------------------------------


def test_a_worker_node_is_not_a_manager(fake_engine):
    fake_engine.fail("services", recorded_error("not_manager"))

    with pytest.raises(engine.NotSwarmManager) as caught:
        engine.service_list()

    assert "docker swarm init" in caught.value.detail
    assert caught.value.code == "not_manager" and not caught.value.transient


def test_an_engine_5xx_is_a_transient_engine_error(fake_engine):
    fake_engine.fail("tasks", api_error(500, "rpc error: code = DeadlineExceeded desc = context deadline exceeded"))

    with pytest.raises(engine.EngineError) as caught:
        engine.task_list()

    assert type(caught.value) is engine.EngineError
    assert caught.value.transient and caught.value.code == "engine"
    assert "deadline exceeded" in caught.value.detail


def test_a_refused_request_is_not_transient(fake_engine):
    fake_engine.fail("nodes", api_error(400, "invalid filter"))

    with pytest.raises(engine.EngineError) as caught:
        engine.node_list()

    assert not caught.value.transient


def test_a_lost_connection_is_an_unreachable_engine(fake_engine):
    fake_engine.fail("*", unreachable())

    with pytest.raises(engine.EngineUnreachable) as caught:
        engine.swarm_info()

    assert caught.value.transient and caught.value.code == "unreachable"
    assert isinstance(caught.value.__cause__, requests.exceptions.ConnectionError)


def test_a_missing_service_is_not_found(fake_engine):
    with pytest.raises(engine.ServiceNotFound, match="not found"):
        engine.service_scale(service_id="nosuchservice0000000000000", replicas=2)  # inspect_service's 404

    assert fake_engine.writes == []


def test_an_update_out_of_sequence_is_read_again_then_a_conflict(fake_engine):
    fake_engine.fail("_post_json", recorded_error("update_out_of_sequence"))
    retries = []

    with pytest.raises(engine.ServiceConflict):
        engine.service_update(service_id="svc1", change=_label("v", "2"), retries=2, on_retry=retries.append)

    assert retries == [2, 3]
    assert [name for name, _ in fake_engine.calls].count("inspect_service") == 3


def test_a_conflict_once_is_retried_on_the_fresh_spec(fake_engine):
    fake_engine.fail("_post_json", recorded_error("update_out_of_sequence"), times=1)

    assert engine.service_update(service_id="svc1", change=_label("v", "2")) is True

    assert fake_engine.raw_service(WEB)["Spec"]["Labels"]["v"] == "2"


def _label(key: str, value: str):
    def change(spec: dict) -> dict:
        spec.setdefault("Labels", {})[key] = value
        return spec

    return change


# --- the writes sent -------------------------------------------------------------------------------


def test_scale_sends_the_spec_read_with_its_version_once(fake_engine):
    before = fake_engine.raw_service(WEB)
    version = before["Version"]["Index"]

    engine.service_scale(service_id="svc1", replicas=3)
    engine.service_scale(service_id="svc1", replicas=3)  # already there: nothing sent

    (write,) = fake_engine.writes
    assert (write.path, write.params) == ("/services/svc1/update", {"version": version})
    assert write.body["Mode"] == {"Replicated": {"Replicas": 3}}
    # The rest of the spec goes back exactly as the engine wrote it.
    assert {**write.body, "Mode": before["Spec"]["Mode"]} == before["Spec"]
    assert fake_engine.raw_service(WEB)["Version"]["Index"] == version + 1


def test_a_global_service_cannot_be_scaled(fake_engine):
    with pytest.raises(engine.NotScalable):
        engine.service_scale(service_id=fake_engine.service_id(GLOBAL), replicas=2)

    assert fake_engine.writes == []


def test_rollback_asks_the_engine_for_the_previous_spec_once(fake_engine):
    version = fake_engine.raw_service(WEB)["Version"]["Index"]

    assert engine.service_rollback(service_id="svc1", from_version=version) is True
    assert engine.service_rollback(service_id="svc1", from_version=version) is False  # moved on

    (write,) = fake_engine.writes
    assert write.params == {"version": version, "rollback": "previous"}
    with pytest.raises(engine.NoPreviousSpec):
        crash = fake_engine.raw_service(CRASH)
        engine.service_rollback(service_id=crash["ID"], from_version=crash["Version"]["Index"])


def test_an_image_update_rolls_back_by_itself_and_host_ports_go_stop_first(fake_engine):
    engine.service_image_set(service_id=fake_engine.service_id(MOUNTS), image="reg:5000/app:2", monitor_seconds=5)
    engine.service_image_set(service_id="svc1", image="reg:5000/app:2", monitor_seconds=5)

    mounts, web = (write.body for write in fake_engine.writes)
    assert mounts["TaskTemplate"]["ContainerSpec"]["Image"] == "reg:5000/app:2"
    assert mounts["UpdateConfig"]["FailureAction"] == "rollback"
    assert mounts["UpdateConfig"]["Monitor"] == 5_000_000_000
    assert mounts["UpdateConfig"]["Order"] == "stop-first"  # its port is published in host mode
    assert web["UpdateConfig"]["Order"] == "start-first"


def test_create_and_remove(fake_engine):
    service_id = engine.service_create(spec={"Name": "new", "TaskTemplate": {"ContainerSpec": {"Image": "busybox"}}})
    engine.service_remove(service_id=service_id)

    assert [(w.method, w.path or w.args[0]) for w in fake_engine.writes] == [
        ("post", "/services/create"),
        ("remove_service", service_id),
    ]


# --- the job runner's retries --------------------------------------------------------------------------


@pytest.fixture
def quick_retries(settings, memory_channel_layer):
    settings.SWARMDECK_JOB_ENGINE_RETRY_SECONDS = 0
    settings.SWARMDECK_JOB_ENGINE_RETRIES = 3


def _scale_job(service_id: str = "s", replicas: int = 1) -> Job:
    return Job.objects.create(
        kind=Job.Kind.SCALE, service_id=service_id, service_name="s", params={"replicas": replicas}
    )


@pytest.mark.django_db
def test_a_transient_engine_error_is_retried_until_the_runner_succeeds(quick_retries, monkeypatch):
    calls = []

    def flaky(job):
        calls.append(job.id)
        if len(calls) <= 2:
            raise engine.EngineUnreachable("connection refused")

    monkeypatch.setitem(runner._RUNNERS, Job.Kind.SCALE, flaky)
    job = _scale_job()

    job_run(job_id=job.id)

    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED and len(calls) == 3
    retries = [step for step in job.steps if step["code"] == "engine_retry"]
    assert [step["params"]["attempt"] for step in retries] == [1, 2]
    assert retries[0]["params"]["detail"] == "connection refused"


@pytest.mark.django_db
def test_a_non_transient_engine_error_fails_at_once(quick_retries, monkeypatch):
    calls = []

    def refused(job):
        calls.append(job.id)
        raise engine.ServiceNotFound("service s not found")

    monkeypatch.setitem(runner._RUNNERS, Job.Kind.SCALE, refused)
    job = _scale_job()

    job_run(job_id=job.id)

    job.refresh_from_db()
    assert (job.state, job.error_code, len(calls)) == (Job.State.FAILED, "not_found", 1)
    assert not [step for step in job.steps if step["code"] == "engine_retry"]


@pytest.mark.django_db
def test_retries_are_bounded(quick_retries, monkeypatch, settings):
    settings.SWARMDECK_JOB_ENGINE_RETRIES = 2

    def down(job):
        raise engine.EngineError("500", transient=True)

    monkeypatch.setitem(runner._RUNNERS, Job.Kind.SCALE, down)
    job = _scale_job()

    job_run(job_id=job.id)

    job.refresh_from_db()
    assert (job.state, job.error_code) == (Job.State.FAILED, "engine")
    assert [step["code"] for step in job.steps].count("engine_retry") == 2


@pytest.mark.django_db
def test_the_scale_runner_rides_out_an_engine_5xx(quick_retries, fake_engine):
    """Through the real runner and adapter: the engine answers 500 twice, then the job goes on."""
    mounts = fake_engine.service_id(MOUNTS)  # converged, its update long completed
    fake_engine.fail("inspect_service", api_error(500, "rpc error: code = Unavailable"), times=2)
    job = _scale_job(service_id=mounts, replicas=1)

    job_run(job_id=job.id)

    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, (job.error_code, job.error)
    assert [step["code"] for step in job.steps].count("engine_retry") == 2
    assert fake_engine.writes == []  # one replica already: nothing to send
