"""/healthz: public, each check reported, no secrets, 503 when the panel cannot work."""

import datetime

import pytest
from django.utils import timezone

from watcher.models import Watcher

from .fake_engine import api_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def engine_ok(fake_engine):
    """The recorded swarm: a reachable manager."""
    return fake_engine


@pytest.fixture
def redis_ok(monkeypatch):
    monkeypatch.setattr("dashboard.health._redis", lambda: "ok")


def test_healthy_without_logging_in_even_before_activation(client, engine_ok, redis_ok):
    Watcher.objects.create(name="w1", state="connected")

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "ok", "engine": "ok", "watcher": "ok"},
    }


def test_a_stale_watcher_makes_it_unhealthy(client, engine_ok, redis_ok):
    Watcher.objects.create(name="w1", state="connected")
    Watcher.objects.update(heartbeat_at=timezone.now() - datetime.timedelta(minutes=5))

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"]["watcher"] == "stale"


def test_the_container_asks_about_its_own_watcher(client, engine_ok, redis_ok, settings):
    settings.SWARMDECK_HEALTH_WATCHER = "mine"
    Watcher.objects.create(name="someone-else", state="connected")

    assert client.get("/healthz").json()["checks"]["watcher"] == "missing"


def test_redis_down_is_unhealthy_and_no_address_or_password_is_shown(client, engine_ok, settings):
    settings.REDIS_URL = "redis://:hunter2-secret@127.0.0.1:1/0"
    Watcher.objects.create(name="w1", state="connected")

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == "unreachable"
    assert b"hunter2" not in response.content and b"127.0.0.1" not in response.content


def test_an_engine_that_is_no_manager_any_more_is_reported(client, engine_ok, redis_ok):
    Watcher.objects.create(name="w1", state="connected")
    engine_ok.fail("info", api_error(503, "This node is not a swarm manager."))

    response = client.get("/healthz")

    assert response.json()["checks"]["engine"] != "ok"
    assert b"swarm manager" not in response.content


def test_an_unreachable_engine_is_reported_but_not_fatal(client, redis_ok, settings):
    settings.DOCKER_HOST = "unix:///nonexistent.sock"
    Watcher.objects.create(name="w1", state="connected")

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["checks"]["engine"] == "unreachable"
    assert b"nonexistent" not in response.content
