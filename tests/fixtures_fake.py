"""Fixtures of the fast tests: the engine faked at its client with recorded engine JSON
(tests/fake_engine.py), an in-memory channel layer, no job queue, and factories of the engine's
dataclasses for tests that need one value rather than a swarm.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import engine

from .fake_engine import CRASH, GLOBAL, MOUNTS, WEB, FakeAPIClient

__all__ = ["CRASH", "GLOBAL", "MOUNTS", "NOW", "SPEC", "SUMMARY", "WEB", "service_summary", "task_snapshot"]

# rec-web, the recorded service the page tests look at most, answers to the id they always used.
WEB_ID = "svc1"


@pytest.fixture
def fake_engine(monkeypatch) -> FakeAPIClient:
    """The swarm recorded in tests/engine_json behind ``engine.client.api``: rec-web (svc1: 1 of 2
    tasks running, update paused, slot 2 killed as unhealthy again and again), rec-global,
    rec-crash (exits 15 over and over), rec-mounts (mounts, a host port, an update completed),
    one manager node. Every engine call of the code under test parses the engine's own JSON."""
    fake = FakeAPIClient(ids={WEB: WEB_ID})
    monkeypatch.setattr(engine.client, "api", lambda: fake)
    return fake


@pytest.fixture
def fake_web(fake_engine, db) -> FakeAPIClient:
    """Only rec-web (svc1) on the fake engine, and the latest of its unhealthy kills in the
    history, recorded as the watcher records it (one restart in the last hour)."""
    from history import recorder

    fake_engine.keep([WEB])
    kills = [task for task in engine.task_list(service_id=WEB_ID) if task.exit_code == 137 and task.error]
    recorder.task_record(max(kills, key=lambda task: task.state_at), service_name=WEB)
    return fake_engine


@pytest.fixture
def no_enqueue(monkeypatch) -> list[int]:
    """No job queue: the ids of the jobs that would have been handed to the worker."""
    queued: list[int] = []
    monkeypatch.setattr("jobs.requests.job_enqueue", queued.append)
    return queued


@pytest.fixture
def memory_channel_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


# --- factories: one engine value, for tests of what is done with it ------------------------------


def service_summary(**overrides) -> engine.ServiceSummary:
    """A ServiceSummary as the engine adapter returns it."""
    values = dict(
        id="svc1",
        name="web",
        image="img",
        image_digest="",
        mode="replicated",
        replicas=1,
        tasks_running=1,
        tasks_desired=1,
        version=5,
        updated_at=None,
    )
    return engine.ServiceSummary(**{**values, **overrides})


NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
SPEC = {
    "Name": "web",
    "Labels": {"tier": "front"},
    "Mode": {"Replicated": {"Replicas": 2}},
    "TaskTemplate": {
        "ContainerSpec": {
            "Image": "busybox:1",
            "Args": ["httpd", "-f"],
            "Env": ["DB_PASSWORD=x"],
            "Healthcheck": {"Test": ["CMD-SHELL", "true"]},
        },
        "RestartPolicy": {"Condition": "on-failure", "MaxAttempts": 3},
    },
    "UpdateConfig": {"FailureAction": "pause"},
}
SUMMARY = service_summary(
    image="busybox:1",
    image_digest="sha256:" + "a" * 64,
    replicas=2,
    tasks_running=1,
    tasks_desired=2,
    version=7,
    updated_at=NOW,
    update_state="paused",
    labels={"tier": "front"},
    spec=SPEC,
)


def task_snapshot(task_id="t1", state="running", desired="running", error="", exit_code=None, **overrides):
    """A TaskSnapshot as the engine adapter returns it."""
    values = dict(
        id=task_id,
        service_id="svc1",
        slot=1,
        node_id="node1",
        state=state,
        desired_state=desired,
        message="",
        error=error,
        exit_code=exit_code,
        container_id="c",
        image="busybox:1",
        created_at=NOW,
        state_at=NOW,
    )
    return engine.TaskSnapshot(**{**values, **overrides})


# --- legacy: the engine's functions replaced by dataclasses ------------------------------------------

TASKS = [
    task_snapshot("t1"),
    task_snapshot("t0", "failed", "shutdown", "task: non-zero exit (137): dockerexec: unhealthy container", 137),
]
NODE = engine.NodeSnapshot("node1", "vm", "manager", "active", "ready", "20.10.24", "127.0.0.1", True)


@pytest.fixture
def fake_swarm(monkeypatch, db):
    """Legacy, for the tests written before fake_engine (it skips the parsing of engine JSON; new
    tests use fake_engine or fake_web): one service "web" (1 of 2 tasks running, update paused, a
    task killed as unhealthy), one node."""
    from history.models import Task

    update = engine.UpdateStatus("paused", NOW, None, "update paused due to failure")
    detail = engine.ServiceDetail(summary=SUMMARY, spec=SPEC, previous_spec=SPEC, update_status=update)
    monkeypatch.setattr(engine, "service_list", lambda: [SUMMARY])
    monkeypatch.setattr(engine, "service_get", lambda service_id: SUMMARY)
    monkeypatch.setattr(engine, "service_detail", lambda service_id: detail)
    monkeypatch.setattr(engine, "task_list", lambda service_id=None, desired_running=False: TASKS)
    monkeypatch.setattr(engine, "node_list", lambda: [NODE])
    monkeypatch.setattr(engine, "swarm_info", lambda: engine.SwarmInfo(nodes=1, managers=1, engine_version="20.10.24"))
    Task.objects.create(
        task_id="t0",
        service_id="svc1",
        service_name="web",
        slot=1,
        state="failed",
        exit_code=137,
        error=TASKS[1].error,
        created_at=NOW,
        state_at=NOW,
        ended_at=datetime.now(UTC) - timedelta(minutes=5),
        end_cause="unhealthy",
        end_cause_final=True,
    )
