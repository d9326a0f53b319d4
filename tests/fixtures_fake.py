"""Fixtures of the fast tests: the engine faked at its client with recorded engine JSON
(tests/fake_engine.py), an in-memory channel layer, no job queue, and factories of the engine's
dataclasses for tests that need one value rather than a swarm.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import engine

from .fake_engine import CRASH, GLOBAL, MOUNTS, WEB, FakeAPIClient

__all__ = ["CRASH", "GLOBAL", "MOUNTS", "NOW", "WEB", "service_summary", "task_snapshot"]

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
