"""The services page: real engine listing, and clear errors when the engine is not usable."""

import pytest
from django.urls import reverse

import engine

from .conftest import running_tasks, wait_until


@pytest.mark.slow
def test_lists_a_service_created_through_the_sdk(panel_client, make_service):
    service = make_service(name="listed-web", mode={"Replicated": {"Replicas": 2}})
    wait_until(lambda: running_tasks(service) == 2, message="tasks did not start")

    response = panel_client.get(reverse("services:list"))

    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-service-id="{service.id}"' in html
    assert "listed-web" in html
    assert "swarmdeck-test/busybox:1" in html
    assert "replicated" in html
    assert "2/2" in html


@pytest.mark.slow
def test_partial_request_renders_only_the_table(panel_client, make_service):
    make_service(name="partial-web")

    response = panel_client.get(reverse("services:list"), headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert b"partial-web" in response.content
    assert b"<html" not in response.content


def test_dead_socket_answers_200_with_the_reason_and_the_fix(panel_client, settings):
    settings.DOCKER_HOST = "unix:///nonexistent/docker.sock"

    response = panel_client.get(reverse("services:list"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "cannot be reached" in html
    assert "unix:///nonexistent/docker.sock" in html
    assert "DOCKER_HOST" in html


class _NotManagerClient:
    def services(self, **kwargs):
        from docker.errors import APIError

        response = type("R", (), {"status_code": 503, "reason": "Service Unavailable"})()
        raise APIError(
            "503", response, explanation='This node is not a swarm manager. Use "docker swarm init" to join.'
        )


def test_engine_that_is_not_a_manager_is_explained(panel_client, monkeypatch):
    monkeypatch.setattr(engine.client, "api", lambda: _NotManagerClient())

    response = panel_client.get(reverse("services:list"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "is not a Swarm manager" in html
    assert "docker swarm init" in html
