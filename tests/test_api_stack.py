"""The JSON API on the real stack (daphne, the Celery worker, the watcher, the sandbox engine): a
token's job requests are run by the worker and change the engine; refused tokens change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from django.contrib.auth import get_user_model
from django.utils import timezone

from api.models import ApiToken
from api.tokens import token_create
from jobs.models import Job

from .conftest import TEST_IMAGE, running_tasks, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _token(make_user, role: str, username: str | None = None) -> str:
    username = username or f"api-{role}"
    make_user(username, role)
    user = get_user_model().objects.get(username=username)
    return token_create(user=user, name=f"{username} script", role=role, days=7).raw


def _api(stack, method: str, path: str, token: str, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.request(method, f"{stack.url}/api/v1{path}", headers=headers, timeout=30, **kwargs)


def _finished(stack, token: str, job: dict) -> dict:
    """Poll the job through the API, as a script would, until it is finished."""
    seen: dict = {}

    def finished() -> bool:
        seen.update(_api(stack, "get", job["api_url"].split("/api/v1", 1)[1], token).json())
        return seen["finished"]

    if not wait_until(finished, timeout=120, interval=1, fail=False):
        pytest.fail(f"job {job['id']} did not finish: {seen.get('steps', [])[-3:]}")
    return seen


def test_a_token_scales_a_service_and_follows_its_job(stack, make_user, make_service, settings):
    service = make_service()
    token = _token(make_user, "operator")
    wait_until(lambda: running_tasks(service) == 1, timeout=60)

    listed = _api(stack, "get", "/services", token).json()
    assert service.id in {item["id"] for item in listed}
    response = _api(stack, "post", f"/services/{service.name}/scale", token, json={"replicas": 3})

    assert response.status_code == 202, response.text
    job = response.json()
    assert job["url"] == f"{stack.url}/jobs/{job['id']}/"
    assert (job["kind"], job["service_id"], job["via"]) == ("scale", service.id, "api")
    done = _finished(stack, token, job)
    assert done["state"] == "succeeded", done
    assert "scaled" in [step["code"] for step in done["steps"]]
    service.reload()
    assert service.attrs["Spec"]["Mode"]["Replicated"]["Replicas"] == 3
    wait_until(lambda: running_tasks(service) == 3, timeout=60)
    assert Job.objects.get(id=job["id"]).via_name == "api-operator script"


def test_revoked_and_expired_tokens_get_401(stack, make_user, make_service):
    service = make_service()
    revoked, expired = _token(make_user, "operator", "api-revoked"), _token(make_user, "operator", "api-expired")
    ApiToken.objects.filter(user__username="api-revoked").update(revoked_at=timezone.now())
    ApiToken.objects.filter(user__username="api-expired").update(expires_at=timezone.now() - timedelta(minutes=1))

    for token, code in ((revoked, "token_revoked"), (expired, "token_expired")):
        response = _api(stack, "post", f"/services/{service.id}/scale", token, json={"replicas": 2})
        assert (response.status_code, response.json()["code"]) == (401, code)

    assert not Job.objects.exists()


def test_a_viewers_token_gets_403_and_no_job(stack, make_user, make_service):
    service = make_service()
    token = _token(make_user, "viewer")

    assert _api(stack, "get", f"/services/{service.id}", token).status_code == 200
    response = _api(stack, "post", f"/services/{service.id}/redeploy", token)

    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert not Job.objects.exists()
    service.reload()
    assert service.attrs["Spec"]["TaskTemplate"].get("ForceUpdate", 0) == 0


def test_a_token_updates_the_image_and_rolls_it_back(stack, make_user, make_service, docker_client):
    # A second local tag of the test image: the sandbox is a single node, so no registry is needed.
    repository, _colon, _tag = TEST_IMAGE.rpartition(":")
    docker_client.images.get(TEST_IMAGE).tag(repository, "api-2")
    service = make_service()
    token = _token(make_user, "operator")
    wait_until(lambda: running_tasks(service) == 1, timeout=60)

    update = _api(stack, "post", f"/services/{service.id}/image", token, json={"image": f"{repository}:api-2"})
    assert update.status_code == 202, update.text
    assert _finished(stack, token, update.json())["state"] == "succeeded"
    service.reload()
    assert service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"].startswith(f"{repository}:api-2")

    rollback = _api(stack, "post", f"/services/{service.id}/rollback", token)
    assert rollback.status_code == 202, rollback.text
    assert _finished(stack, token, rollback.json())["state"] == "succeeded"
    service.reload()
    assert service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"].startswith(TEST_IMAGE)
