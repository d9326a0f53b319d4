"""Stacks on the real swarm, through the panel and its worker (the Docker CLI doing the deploy): a
two-service stack with an overlay network, a secret from an uploaded file and a config; one service
reaches the other by name; the secret is in the container and nowhere in the panel; an update with
another image and the rollback to the first deploy, the diff shown; the removal leaves nothing."""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from playwright.sync_api import expect

import engine
from jobs.models import Job
from stacks.models import StackDeploy

from .conftest import ARTIFACTS, ROOT, TEST_IMAGE, TEST_LABEL, browser_login, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SECOND_IMAGE = "swarmdeck-test/busybox:stack-second"
COMPOSE = """\
version: "3.8"
services:
  web:
    image: IMAGE
    command: ["sh", "-c", "mkdir -p /www && echo hello-from-web > /www/index.html && httpd -f -p 8080 -h /www"]
    networks: [back]
    configs:
      - source: greeting
        target: /greeting.txt
    deploy:
      # The name answers with the task's own address: the sandbox has no IPVS for a virtual IP.
      endpoint_mode: dnsrr
      labels: {LABEL: "1"}
  client:
    image: TEST_IMAGE
    command: ["sleep", "100000"]
    networks: [back]
    secrets: [db_password]
    deploy:
      labels: {LABEL: "1"}
networks:
  back:
    driver: overlay
secrets:
  db_password:
    file: ./db_password.txt
configs:
  greeting:
    file: ./greeting.txt
"""


def _compose(image: str) -> str:
    return COMPOSE.replace("TEST_IMAGE", TEST_IMAGE).replace("IMAGE", image).replace("LABEL", TEST_LABEL)


def _finished(job_id: int, timeout: float = 180) -> Job:
    if not wait_until(lambda: Job.objects.get(id=job_id).finished, timeout=timeout, fail=False):
        pytest.fail(f"job {job_id} did not finish: {Job.objects.get(id=job_id).steps[-4:]}")
    job = Job.objects.get(id=job_id)
    assert job.state == "succeeded", (job.error_code, job.error, job.steps[-4:])
    return job


def _job_of(response) -> Job:
    assert response.status_code == 302, response.content.decode()[-3000:]
    return Job.objects.get(id=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))


def _files(secret: str) -> list[SimpleUploadedFile]:
    return [
        SimpleUploadedFile("db_password.txt", secret.encode()),
        SimpleUploadedFile("greeting.txt", b"hello from the config"),
    ]


def _container(docker_client, service_name: str):
    def found():
        containers = docker_client.containers.list(filters={"label": f"com.docker.swarm.service.name={service_name}"})
        return containers[0] if containers else None

    return wait_until(found, timeout=60, message=f"no running container of {service_name}")


def _exec(container, *command: str) -> tuple[int, str]:
    result = container.exec_run(list(command))
    return result.exit_code, result.output.decode(errors="replace")


def _remove_leftovers(name: str) -> None:
    with contextlib.suppress(engine.EngineError):
        engine.stack_remove(name=name)
        wait_until(lambda: engine.stack_get(name=name).empty, timeout=60, fail=False)


def test_a_stack_is_deployed_updated_rolled_back_and_removed_from_the_panel(stack, panel_client, docker_client):
    tag = uuid.uuid4().hex[:8]
    name, secret = f"t{tag}", f"stack-secret-{tag}"
    docker_client.images.get(TEST_IMAGE).tag(SECOND_IMAGE)
    pages: list[str] = []
    try:
        # Deploy: the engine has the stack with its network, secret and config.
        response = panel_client.post(
            reverse("stacks:deploy"),
            {"name": name, "compose_text": _compose(TEST_IMAGE), "variables": "", "files": _files(secret)},
        )
        first_job = _finished(_job_of(response).id)
        pages.append(panel_client.get(response["Location"]).content.decode())
        assert [step["code"] for step in first_job.steps].count("stack_service_running") >= 2
        assert (first_job.progress_done, first_job.progress_total) == (2, 2)
        found = engine.stack_get(name=name)
        assert set(found.service_names) == {f"{name}_web", f"{name}_client"}
        assert (found.networks, found.secrets, found.configs) == (
            (f"{name}_back",),
            (f"{name}_db_password",),
            (f"{name}_greeting",),
        )
        assert docker_client.networks.get(f"{name}_back").attrs["Driver"] == "overlay"

        # Over the overlay network, by the service's name.
        client = _container(docker_client, f"{name}_client")
        answer = wait_until(
            lambda: (reply := _exec(client, "wget", "-qO-", "http://web:8080/"))[0] == 0 and reply[1],
            timeout=60,
            message="the client never reached the web service by name",
        )
        assert answer.strip() == "hello-from-web"
        assert _exec(client, "cat", "/run/secrets/db_password") == (0, secret)
        web = _container(docker_client, f"{name}_web")
        assert _exec(web, "cat", "/greeting.txt") == (0, "hello from the config")

        # Update with another image: the form comes filled with the first deploy.
        update = reverse("stacks:update", args=[name])
        form = panel_client.get(update)
        assert form.context["form"].initial["compose_text"] == _compose(TEST_IMAGE)
        response = panel_client.post(
            update, {"compose_text": _compose(SECOND_IMAGE), "variables": "", "files": _files(secret)}
        )
        _finished(_job_of(response).id)
        web_service = docker_client.services.get(f"{name}_web")
        assert web_service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"].startswith(SECOND_IMAGE)

        detail = panel_client.get(reverse("stacks:detail", args=[name])).content.decode()
        pages.append(detail)
        assert f"-    image: {TEST_IMAGE}" in detail and f"+    image: {SECOND_IMAGE}" in detail

        # Roll back to the first deploy: a new deploy of its file.
        first = StackDeploy.objects.filter(stack_name=name).order_by("id").first()
        rollback = reverse("stacks:rollback", args=[name, first.id])
        pages.append(panel_client.get(rollback).content.decode())
        response = panel_client.post(rollback, {"files": _files(secret)})
        rolled = _finished(_job_of(response).id)
        assert rolled.kind == Job.Kind.STACK_ROLLBACK
        assert StackDeploy.objects.get(id=rolled.params["deploy_id"]).rollback_of_id == first.id
        web_service.reload()
        assert web_service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"].startswith(TEST_IMAGE)

        for url in (reverse("stacks:list"), reverse("stacks:detail", args=[name]), reverse("jobs:list")):
            page = panel_client.get(url)
            assert page.status_code == 200
            pages.append(page.content.decode())
        assert any(f"{name}_web" in page for page in pages)

        # The secret is in no page, no Job row, no table and no log of the panel.
        assert not [page for page in pages if secret in page]
        tables = [json.dumps(list(model.objects.values()), default=str) for model in apps.get_models()]
        assert not [table for table in tables if secret in table]
        logs = [path.read_text(errors="replace") for path in _log_dir().glob("*.log")]
        assert logs and not [log for log in logs if secret in log]

        # Remove: typed name, then nothing of the stack is left.
        response = panel_client.post(reverse("stacks:remove", args=[name]), {"confirm": name})
        removed = _finished(_job_of(response).id)
        assert "stack_removed" in [step["code"] for step in removed.steps]
        assert engine.stack_get(name=name).empty
        assert not docker_client.services.list(filters={"label": f"com.docker.stack.namespace={name}"})
        assert not docker_client.networks.list(names=[f"{name}_back"])
        assert not [s for s in docker_client.secrets.list() if s.name == f"{name}_db_password"]
        assert not [c for c in docker_client.configs.list() if c.name == f"{name}_greeting"]
    finally:
        _remove_leftovers(name)
        with contextlib.suppress(Exception):
            docker_client.images.remove(SECOND_IMAGE)


def test_a_compose_file_pasted_in_chromium_is_deployed(stack, page, admin_login, docker_client):
    name = f"tb{uuid.uuid4().hex[:6]}"
    compose = (
        f'version: "3.8"\nservices:\n  app:\n    image: {TEST_IMAGE}\n    command: ["sleep", "100000"]\n'
        f'    deploy:\n      labels: {{{TEST_LABEL}: "1"}}\n'
    )
    try:
        browser_login(page, stack.url, admin_login)
        page.goto(f"{stack.url}/stacks/")
        page.click("#deploy-stack")
        page.fill("#id_name", name)
        page.fill("#id_compose_text", compose)
        page.screenshot(path=ARTIFACTS / "stack-deploy-form.png")
        page.click("#deploy")
        expect(page.locator("dd.state")).to_have_attribute("data-state", "succeeded", timeout=120_000)
        page.goto(f"{stack.url}/stacks/{name}/")
        expect(page.locator(f'tr[data-service-name="{name}_app"] td.replicas')).to_have_text("1/1", timeout=60_000)
        page.screenshot(path=ARTIFACTS / "stack-page.png")
        assert docker_client.services.get(f"{name}_app").attrs["Spec"]["Labels"]["com.docker.stack.namespace"] == name
    finally:
        _remove_leftovers(name)


def _log_dir() -> Path:
    return Path(os.environ.get("SWARMDECK_TEST_LOG_DIR", ROOT / "var" / "test-logs"))
