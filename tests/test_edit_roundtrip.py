"""Every service the engine accepts goes through the edit form unchanged when nothing is edited.

Services of every shape are made with the Docker SDK (not through the panel), so their specs are
written as other tools write them; the edit page is opened and its prefilled form posted back as
it is: the panel must say "Nothing was changed" and make no job.
"""

import uuid

import docker
import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

import engine
from jobs.models import Job
from tests.test_service_form import prefilled

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

SECOND = 1_000_000_000
T = docker.types

SHAPES = {
    "replicated": {},
    "global": {"mode": T.ServiceMode("global")},
    "replicated-3": {"mode": T.ServiceMode("replicated", replicas=3)},
    "bind-volume-tmpfs-mounts": {
        "mounts": [
            T.Mount("/host-tmp", "/tmp", type="bind", read_only=True, propagation="rslave"),
            T.Mount("/data", "h1-roundtrip-data", type="volume", no_copy=True, labels={"a": "b"}),
            T.Mount("/scratch", None, type="tmpfs", tmpfs_size=64 * 1024**2, tmpfs_mode=0o1777),
            T.Mount("/anon", None, type="volume"),
        ]
    },
    "ports-with-and-without-published": {
        "endpoint_spec": T.EndpointSpec(
            ports=[
                {"Protocol": "tcp", "TargetPort": 80},  # ingress, Swarm picks the published port
                {"Protocol": "udp", "TargetPort": 53, "PublishedPort": 30053},
                {"Protocol": "tcp", "TargetPort": 8080, "PublishedPort": 18080, "PublishMode": "host"},
                {"Protocol": "tcp", "TargetPort": 9090, "PublishMode": "host"},  # host mode, no published number
            ]
        )
    },
    "health-shell": {
        "healthcheck": T.Healthcheck(
            test=["CMD-SHELL", "test -e /bin/sh"],
            interval=2 * SECOND,
            timeout=SECOND,
            retries=4,
            start_period=SECOND,
        )
    },
    "health-exec": {"healthcheck": T.Healthcheck(test=["CMD", "test", "-e", "/a b"])},
    "health-disabled": {"healthcheck": T.Healthcheck(test=["NONE"])},
    "constraints-env-labels-args": {
        "constraints": ["node.role==manager", "node.platform.os == linux"],
        "env": ["A=1", "B=two words", "C=x=y", "EMPTY="],
        "labels": {"tier": "front", "com.example/odd key": "v"},
        "args": ["-c", "sleep 100000"],
        "command": ["sh"],
    },
    "restart-update-rollback": {
        "restart_policy": T.RestartPolicy(condition="on-failure", delay=0, max_attempts=3, window=60 * SECOND),
        "update_config": T.UpdateConfig(
            parallelism=2,
            delay=SECOND,
            failure_action="rollback",
            monitor=3 * SECOND,
            max_failure_ratio=0.25,
            order="start-first",
        ),
        "rollback_config": T.RollbackConfig(parallelism=0, failure_action="continue", order="stop-first"),
    },
    "sdk-default-update-config": {"update_config": T.UpdateConfig(), "restart_policy": T.RestartPolicy()},
    "resources": {
        "resources": T.Resources(
            cpu_limit=333_333_333, mem_limit=5_000_000, cpu_reservation=100_000_000, mem_reservation=64 * 1024**2
        )
    },
    "replicated-job": {"mode": T.ServiceMode("replicated-job", concurrency=1, replicas=1), "command": ["true"]},
}


@pytest.mark.parametrize("shape", SHAPES)
def test_the_prefilled_edit_form_posted_back_changes_nothing(panel_client, make_service, shape):
    kwargs = dict(SHAPES[shape])
    command = kwargs.pop("command", ("sleep", "100000"))
    service = make_service(command=command, **kwargs)
    url = reverse("services:update", args=[service.id])

    page = panel_client.get(url)
    assert page.status_code == 200
    data = prefilled(page.context["form"])
    response = panel_client.post(url, data)

    assert response.status_code == 302, response.context["form"].errors
    assert response["Location"] == reverse("services:detail", args=[service.id])
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Nothing was changed."]
    assert Job.objects.count() == 0
    # And the detail page reads the same service through the typed config without error.
    detail = panel_client.get(reverse("services:detail", args=[service.id]))
    assert detail.status_code == 200
    assert engine.service_detail(service_id=service.id).config.name == service.name


def test_a_service_given_only_a_name_an_image_and_a_command_runs_and_round_trips(panel_client, docker_client):
    """What a new user types into the create form, through the panel's own spec, on the real engine."""
    from services import specs
    from services.forms import ServiceForm
    from tests.conftest import TEST_IMAGE, TEST_LABEL, running_tasks, wait_until

    form = ServiceForm({"name": f"t-{uuid.uuid4().hex[:8]}", "image": TEST_IMAGE, "args": "sleep 100000"})
    assert form.is_valid(), form.errors
    spec = specs.spec_create(name=form.cleaned_data["name"], values=form.spec_values(), job_id=0)
    spec["Labels"][TEST_LABEL] = "1"
    service = docker_client.services.get(engine.service_create(spec=spec))
    try:
        wait_until(lambda: running_tasks(service) == 1, timeout=60, message="the service never ran its task")
        url = reverse("services:update", args=[service.id])
        response = panel_client.post(url, prefilled(panel_client.get(url).context["form"]))

        assert [str(m) for m in get_messages(response.wsgi_request)] == ["Nothing was changed."]
        assert Job.objects.count() == 0
    finally:
        service.remove()
