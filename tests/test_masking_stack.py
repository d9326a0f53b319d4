"""Secrets on the real stack: a service created and then edited through the panel keeps its secrets
in the engine, and none of them reaches a page, a Job row or a log of the panel's processes."""

import json
import os
import uuid
from pathlib import Path

import pytest
from django.urls import reverse

from jobs.models import Job
from services.masking import MASK

from .conftest import ROOT, TEST_IMAGE, TEST_LABEL, running_tasks, wait_until
from .test_service_form import prefilled

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _finished(job_id: int) -> Job:
    if not wait_until(lambda: Job.objects.get(id=job_id).finished, timeout=120, fail=False):
        pytest.fail(f"job {job_id} did not finish: {Job.objects.get(id=job_id).steps[-4:]}")
    job = Job.objects.get(id=job_id)
    assert job.state == "succeeded", (job.error_code, job.error)
    return job


def test_secrets_reach_the_engine_and_nothing_else(stack, panel_client, docker_client):
    tag = uuid.uuid4().hex[:10]
    api_key, db_password, marked = f"apikey-{tag}", f"dbpw-{tag}", f"marked-{tag}"
    secrets = (api_key, db_password, marked)
    name = f"t-secrets-{tag[:6]}"
    env = [f"API_KEY={api_key}", f"DATABASE_URL=postgres://u:{db_password}@db/x", f"REGION={marked}", "GREETING=hi"]
    pages = []
    try:
        response = panel_client.post(
            reverse("services:create"),
            {
                "name": name,
                "image": TEST_IMAGE,
                "args": "sleep 100000",
                "labels": f"{TEST_LABEL}=1",
                "env": "\n".join(env),
                "secret_env": "REGION",
            },
        )
        created = _finished(Job.objects.get().id)
        pages.append(panel_client.get(response["Location"]).content.decode())
        service = docker_client.services.get(name)
        wait_until(lambda: running_tasks(service) == 1, timeout=60, message="the service never ran its task")
        assert service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"] == env

        # An edit of something else: the masked values go back as they were shown.
        edit = reverse("services:update", args=[service.id])
        form_page = panel_client.get(edit)
        pages.append(form_page.content.decode())
        data = prefilled(form_page.context["form"])
        assert f"API_KEY={MASK}" in data["env"] and f"postgres://u:{MASK}@db/x" in data["env"]
        data["env"] = data["env"].replace("GREETING=hi", "GREETING=bye")
        response = panel_client.post(edit, data)
        updated = _finished(Job.objects.exclude(id=created.id).get().id)
        pages.append(panel_client.get(response["Location"]).content.decode())

        service.reload()
        assert service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"] == [*env[:3], "GREETING=bye"]
        assert service.attrs["Spec"]["Labels"]["swarmdeck.secret-env"] == "REGION"
        for url in (
            reverse("services:detail", args=[service.id]),
            edit,
            reverse("services:rollback", args=[service.id]),
            reverse("services:list"),
            reverse("jobs:list"),
            reverse("jobs:detail", args=[created.id]),
            reverse("jobs:detail", args=[updated.id]),
        ):
            page = panel_client.get(url)
            assert page.status_code == 200, url
            pages.append(page.content.decode())
        assert any("GREETING=bye" in page for page in pages)  # the pages do show the environment

        rows = [json.dumps([job.params, job.steps, job.error]) for job in Job.objects.all()]
        logs = [path.read_text(errors="replace") for path in _log_dir().glob("*.log")]
        assert logs, "no log of the stack's processes was found"
        for secret in secrets:
            assert not [page for page in pages if secret in page]
            assert not [row for row in rows if secret in row]
            assert not [log for log in logs if secret in log]
    finally:
        for leftover in docker_client.services.list(filters={"name": name}):
            leftover.remove()


def _log_dir() -> Path:
    return Path(os.environ.get("SWARMDECK_TEST_LOG_DIR", ROOT / "var" / "test-logs"))
