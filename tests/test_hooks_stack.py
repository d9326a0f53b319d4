"""Deploy hooks on the real stack (daphne, the Celery worker, the watcher, the sandbox engine): a
signed call over HTTP redeploys a service (its tasks replaced), another moves it to a second tag of
its image; a wrong signature, a replay and a call for a removed service are refused in words and
ask for no job."""

from __future__ import annotations

import json
import time
import uuid

import pytest
import requests
from django.urls import reverse

from hooks import deploy
from hooks.models import DeployHook, HookCall
from jobs.models import Job

from .conftest import TEST_IMAGE, docker_cli, running_tasks, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _finished(job_id: int) -> Job:
    if not wait_until(lambda: Job.objects.get(id=job_id).finished, timeout=120, fail=False):
        pytest.fail(f"job {job_id} did not finish: {Job.objects.get(id=job_id).steps[-4:]}")
    job = Job.objects.get(id=job_id)
    assert job.state == Job.State.SUCCEEDED, (job.error_code, job.error, job.steps[-3:])
    return job


def _signed(secret: str, body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    signature = deploy.signature_expected(secret=secret, timestamp=timestamp, body=body)
    return {"Content-Type": "application/json", deploy.TIMESTAMP_HEADER: timestamp, deploy.SIGNATURE_HEADER: signature}


def _running_task_ids(service) -> set[str]:
    service.reload()
    return {task["ID"] for task in service.tasks() if task["Status"]["State"] == "running"}


def test_signed_calls_redeploy_and_retag_and_bad_ones_are_refused(stack, panel_client, make_service, docker_client):
    service = make_service()
    wait_until(lambda: running_tasks(service) == 1, timeout=60, message="the service never ran its task")
    response = panel_client.post(reverse("hooks:create", args=[service.id]), {"name": "ci"})
    hook, secret = DeployHook.objects.get(), response.context["secret"]
    url = f"{stack.url}{reverse('hooks:call', args=[hook.key])}"
    second_tag = f"{TEST_IMAGE.rsplit(':', 1)[0]}:hook-{uuid.uuid4().hex[:6]}"
    try:
        # A redeploy: the counter goes up and every task is replaced.
        before = _running_task_ids(service)
        headers = _signed(secret, b"{}")
        answer = requests.post(url, data=b"{}", headers=headers, timeout=30)
        assert answer.status_code == 202, answer.text
        job = _finished(answer.json()["job"])
        assert answer.json()["url"] == f"{stack.url}/jobs/{job.id}/"
        assert (job.kind, job.via, job.via_name) == (Job.Kind.REDEPLOY, Job.Via.HOOK, "ci")
        service.reload()
        assert service.attrs["Spec"]["TaskTemplate"]["ForceUpdate"] == 1
        wait_until(lambda: (ids := _running_task_ids(service)) and not ids & before, timeout=60)

        # The same call again, as captured: refused, nothing asked for.
        replay = requests.post(url, data=b"{}", headers=headers, timeout=30)
        assert (replay.status_code, replay.json()["code"]) == (401, "replay")

        wrong = requests.post(url, data=b"{}", headers=_signed("not-the-secret", b"{}"), timeout=30)
        assert (wrong.status_code, wrong.json()["code"]) == (401, "bad_signature")

        # A second tag of the same image (local to the sandbox, as the test image is).
        docker_cli("tag", TEST_IMAGE, second_tag)
        body = json.dumps({"tag": second_tag.rsplit(":", 1)[1]}).encode()
        answer = requests.post(url, data=body, headers=_signed(secret, body), timeout=30)
        assert answer.status_code == 202, answer.text
        job = _finished(answer.json()["job"])
        assert job.kind == Job.Kind.UPDATE
        service.reload()
        assert service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"] == second_tag
        wait_until(
            lambda: any(
                task["Status"]["State"] == "running" and task["Spec"]["ContainerSpec"]["Image"] == second_tag
                for task in service.tasks()
            ),
            timeout=60,
            message="no task runs the second tag",
        )

        jobs = Job.objects.count()
        service.remove()
        wait_until(lambda: not docker_client.services.list(filters={"id": service.id}), timeout=30)
        gone = requests.post(url, data=b"{}", headers=_signed(secret, b"{}"), timeout=30)
        assert (gone.status_code, gone.json()["code"]) == (404, "service_gone")
        assert Job.objects.count() == jobs == 2

        outcomes = list(HookCall.objects.order_by("id").values_list("outcome", flat=True))
        assert outcomes == ["accepted", "replay", "bad_signature", "accepted", "service_gone"]
        page = panel_client.get(reverse("hooks:detail", args=[hook.id])).content.decode()
        assert secret not in page
        assert all(f'href="/jobs/{job.id}/"' in page for job in Job.objects.all())
    finally:
        docker_cli("rmi", second_tag, check=False)
