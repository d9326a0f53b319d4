"""The JSON API (/api/v1/) and the API tokens pages, against the fake engine and the tests' Redis."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openapi_spec_validator import validate

from accounts.models import Profile
from api import ratelimit
from api.models import ApiToken
from api.tokens import token_create
from jobs.models import Job

from .fake_engine import CRASH, GLOBAL, WEB, unreachable

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_env(fake_engine, no_enqueue, redis_server, admin_login):
    """An activated panel, the fake engine, no job queue, and no rate counts left by another test."""
    ratelimit._redis.cache_clear()
    keys = list(ratelimit._redis().scan_iter(match="swarmdeck:api:rate:*"))
    if keys:
        ratelimit._redis().delete(*keys)
    yield fake_engine
    ratelimit._redis.cache_clear()


@pytest.fixture
def token_for(make_user):
    """The raw token of a new token: ``token_for("viewer")`` makes the user of that role too."""

    def make(role: str, *, username: str | None = None, token_role: str | None = None, days: int = 30) -> str:
        username = username or f"{role}-user"
        User = get_user_model()
        if not User.objects.filter(username=username).exists():
            make_user(username, role)
        user = User.objects.get(username=username)
        return token_create(user=user, name=f"{username} script", role=token_role or role, days=days).raw

    return make


def _call(client: Client, method: str, path: str, token: str | None = None, body=None, address="127.0.0.1", **headers):
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body) if body is not None and not isinstance(body, str) else body
    call = getattr(client, method)
    return call(f"/api/v1{path}", data=data, content_type="application/json", headers=headers, REMOTE_ADDR=address)


def _assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code
    assert body["message"] and body["message"] != code  # worded, not the bare code
    return body


# --- tokens: authentication --------------------------------------------------------------------


def test_a_token_reads_the_services(client, api_env, token_for):
    response = _call(client, "get", "/services", token_for("viewer"))

    assert response.status_code == 200
    web = next(service for service in response.json() if service["name"] == WEB)
    assert (web["id"], web["mode"], web["image"]) == ("svc1", "replicated", "swarmdeck-test/busybox:1")
    assert (web["replicas_desired"], web["replicas_running"]) == (2, 1)
    assert web["update_state"] == "paused"
    assert web["url"] == "http://testserver/services/svc1/"
    assert web["api_url"] == "http://testserver/api/v1/services/svc1"


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "token_missing"),
        ("Basic YWRtaW46YWRtaW4=", "token_missing"),
        ("Bearer ", "token_missing"),
        ("Bearer sd_00000000_not-a-token-of-this-panel", "token_invalid"),
        ("Bearer something-else", "token_invalid"),
    ],
)
def test_no_usable_token_gets_401_json(client, api_env, header, code):
    headers = {"Authorization": header} if header else {}

    body = _assert_error(_call(client, "get", "/services", **headers), 401, code)

    assert body["errors"] == []
    assert api_env.calls == []  # refused before the engine is asked


def test_a_wrong_token_says_so_in_the_challenge(client, api_env, token_for):
    response = _call(client, "get", "/services", token_for("viewer") + "x")

    _assert_error(response, 401, "token_invalid")
    assert response["WWW-Authenticate"] == 'Bearer realm="swarmdeck", error="invalid_token"'


def test_a_revoked_token_gets_401(client, api_env, token_for):
    raw = token_for("operator")
    assert _call(client, "get", "/nodes", raw).status_code == 200
    ApiToken.objects.update(revoked_at=timezone.now())

    _assert_error(_call(client, "post", "/services/svc1/scale", raw, {"replicas": 3}), 401, "token_revoked")
    assert not Job.objects.exists()


def test_an_expired_token_gets_401(client, api_env, token_for):
    raw = token_for("operator")
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    _assert_error(_call(client, "get", "/services", raw), 401, "token_expired")


def test_a_deactivated_users_token_gets_401(client, api_env, token_for):
    raw = token_for("operator")
    get_user_model().objects.filter(username="operator-user").update(is_active=False)

    _assert_error(_call(client, "get", "/services", raw), 401, "user_inactive")


def test_a_session_is_not_a_token(panel_client, api_env):
    _assert_error(_call(panel_client, "get", "/services"), 401, "token_missing")


def test_before_activation_the_api_answers_503_json(client, db, fake_engine):
    body = _assert_error(_call(client, "get", "/services", "sd_00000000_whatever"), 503, "not_activated")

    assert body["code"] == "not_activated"


def test_the_hash_is_stored_never_the_token(api_env, token_for):
    raw = token_for("viewer")

    token = ApiToken.objects.get()
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw.startswith(token.prefix + "_")
    row = json.dumps(list(ApiToken.objects.values().get().values()), default=str)
    assert raw not in row and raw[len(token.prefix) + 1 :] not in row


def test_the_last_use_is_recorded_at_most_once_a_minute(client, api_env, token_for):
    raw = token_for("viewer")

    _call(client, "get", "/nodes", raw, address="10.0.0.7")
    first = ApiToken.objects.get()
    assert (first.last_used_from, first.last_used_at is not None) == ("10.0.0.7", True)
    _call(client, "get", "/nodes", raw, address="10.0.0.8")
    assert ApiToken.objects.get().last_used_at == first.last_used_at

    ApiToken.objects.update(last_used_at=first.last_used_at - timedelta(minutes=2))
    _call(client, "get", "/nodes", raw, address="10.0.0.8")
    assert ApiToken.objects.get().last_used_from == "10.0.0.8"


# --- roles -------------------------------------------------------------------------------------


def test_a_viewers_token_cannot_request_jobs(client, api_env, token_for):
    raw = token_for("viewer")

    for path, body in [
        ("/services/svc1/scale", {"replicas": 3}),
        ("/services/svc1/image", {"image": "busybox:2"}),
        ("/services/svc1/redeploy", None),
        ("/services/svc1/rollback", None),
    ]:
        _assert_error(_call(client, "post", path, raw, body), 403, "forbidden")

    assert not Job.objects.exists()
    assert api_env.writes == []


def test_a_token_is_capped_by_its_own_role(client, api_env, token_for):
    raw = token_for("operator", token_role="viewer")

    _assert_error(_call(client, "post", "/services/svc1/redeploy", raw), 403, "forbidden")
    assert not Job.objects.exists()


def test_a_demoted_users_tokens_are_demoted(client, api_env, token_for):
    raw = token_for("operator")
    Profile.objects.filter(user__username="operator-user").update(role="viewer")

    _assert_error(_call(client, "post", "/services/svc1/scale", raw, {"replicas": 3}), 403, "forbidden")
    assert not Job.objects.exists()


def test_no_token_above_the_users_role(api_env, make_user):
    from django.core.exceptions import PermissionDenied

    make_user("op", "operator")
    with pytest.raises(PermissionDenied):
        token_create(user=get_user_model().objects.get(username="op"), name="x", role="admin", days=30)
    with pytest.raises(ValueError):
        token_create(user=get_user_model().objects.get(username="op"), name="x", role="viewer", days=10_000)
    assert not ApiToken.objects.exists()


# --- job requests ------------------------------------------------------------------------------


def test_an_operators_token_scales_and_gets_the_job(client, api_env, token_for, django_capture_on_commit_callbacks):
    raw = token_for("operator")

    with django_capture_on_commit_callbacks(execute=True):
        response = _call(client, "post", "/services/svc1/scale", raw, {"replicas": 3})

    assert response.status_code == 202, response.content
    job = Job.objects.get()
    assert (job.kind, job.service_id, job.params) == ("scale", "svc1", {"replicas": 3})
    assert (job.via, job.via_name, job.requested_by.username) == ("api", "operator-user script", "operator-user")
    assert api_env.writes == []  # the worker scales, not the request
    body = response.json()
    assert (body["id"], body["state"], body["kind"], body["finished"]) == (job.id, "queued", "scale", False)
    assert body["url"] == f"http://testserver/jobs/{job.id}/"
    assert body["api_url"] == f"http://testserver/api/v1/jobs/{job.id}"
    assert body["steps"][0]["code"] == "queued"
    assert body["steps"][0]["text"] == "Queued by operator-user."
    assert (body["via"], body["requested_by"]) == ("api", "operator-user")


@pytest.mark.django_db(transaction=True)  # no test transaction: the hand-off runs at once, as in production
def test_a_queue_that_cannot_be_reached_shows_in_the_answer(
    client, fake_engine, redis_server, admin_login, token_for, monkeypatch
):
    from kombu.exceptions import OperationalError

    from jobs import celery_tasks

    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6391. Connection refused.")

    monkeypatch.setattr(celery_tasks.run_job_task, "apply_async", refuse)
    ratelimit._redis.cache_clear()

    body = _call(client, "post", "/services/svc1/redeploy", token_for("operator")).json()

    assert (body["state"], body["error"]["code"]) == ("failed", "queue_down")
    assert body["error"]["message"] == "The job queue (Redis) cannot be reached, so the job was not started."


def test_the_job_is_read_back_with_its_error_in_words(client, api_env, token_for):
    raw = token_for("viewer")
    steps = [
        {
            "at": "2026-11-26T10:00:00+00:00",
            "code": "error:not_converged",
            "params": {"running": 1, "desired": 3, "seconds": 60},
        }
    ]
    job = Job.objects.create(
        kind="scale",
        service_id="svc1",
        service_name=WEB,
        state="failed",
        error_code="not_converged",
        error="task: non-zero exit (1)",
        steps=steps,
    )

    body = _call(client, "get", f"/jobs/{job.id}", raw).json()

    assert body["error"] == {
        "code": "not_converged",
        "message": "Only 1 of 3 tasks were running after 60 seconds; the engine says why.",
        "detail": "task: non-zero exit (1)",
    }
    assert body["steps"][0]["text"] == body["error"]["message"]
    _assert_error(_call(client, "get", "/jobs/999999", raw), 404, "job_not_found")


def test_redeploy_rollback_and_image_make_their_jobs(client, api_env, token_for):
    raw = token_for("operator")

    redeploy = _call(client, "post", "/services/svc1/redeploy", raw)
    rollback = _call(client, "post", "/services/svc1/rollback", raw)
    image = _call(client, "post", "/services/svc1/image", raw, {"image": "swarmdeck-test/busybox:2"})

    assert [r.status_code for r in (redeploy, rollback, image)] == [202, 202, 202]
    jobs = {job.kind: job for job in Job.objects.all()}
    assert jobs["redeploy"].params == {"force_update": 1}
    assert jobs["rollback"].params["from_version"] > 0
    assert jobs["update"].params == {"groups": {"image": {"image": "swarmdeck-test/busybox:2"}}}
    assert {job.via for job in jobs.values()} == {"api"}


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/services/svc1/scale", {"replicas": -1}, 422, "invalid"),
        ("/services/svc1/scale", {"replicas": 1001}, 422, "invalid"),
        ("/services/svc1/scale", {"replicas": "two"}, 422, "invalid"),
        ("/services/svc1/scale", {}, 422, "invalid"),
        ("/services/svc1/scale", "{not json", 400, "invalid"),
        ("/services/svc1/image", {"image": "Not An Image!"}, 422, "invalid"),
        ("/services/svc1/image", {"image": "swarmdeck-test/busybox:1"}, 409, "image_unchanged"),
        ("/services/nope/scale", {"replicas": 2}, 404, "not_found"),
        ("/services/nope/redeploy", None, 404, "not_found"),
    ],
)
def test_bad_requests_are_refused_in_json_and_make_no_job(client, api_env, token_for, path, body, status, code):
    response = _call(client, "post", path, token_for("operator"), body)

    _assert_error(response, status, code)
    assert not Job.objects.exists()


def test_an_invalid_value_says_which_and_why(client, api_env, token_for):
    body = _call(client, "post", "/services/svc1/scale", token_for("operator"), {"replicas": 1001}).json()

    assert body["errors"] == [
        {"loc": ["body", "replicas"], "message": "Ensure this value is less than or equal to 1000."}
    ]


def test_a_global_service_is_not_scaled_and_a_service_without_previous_spec_not_rolled_back(client, api_env, token_for):
    raw = token_for("operator")
    api_env.raw_service(CRASH).pop("PreviousSpec", None)

    global_id, crash_id = api_env.service_id(GLOBAL), api_env.service_id(CRASH)
    _assert_error(_call(client, "post", f"/services/{global_id}/scale", raw, {"replicas": 2}), 409, "not_scalable")
    _assert_error(_call(client, "post", f"/services/{crash_id}/rollback", raw), 409, "no_previous")
    assert not Job.objects.exists()


def test_an_unreachable_engine_is_a_502_with_its_code(client, api_env, token_for):
    api_env.fail("*", unreachable())

    body = _assert_error(_call(client, "get", "/services", token_for("viewer")), 502, "unreachable")

    assert "cannot be reached" in body["message"]


def test_messages_follow_accept_language(client, api_env, token_for):
    raw = token_for("operator")
    global_id = api_env.service_id(GLOBAL)

    body = _call(
        client, "post", f"/services/{global_id}/scale", raw, {"replicas": 2}, **{"Accept-Language": "es"}
    ).json()

    assert body["code"] == "not_scalable"
    assert "Only replicated" not in body["message"]


def test_token_auth_needs_no_csrf_token(api_env, token_for):
    client = Client(enforce_csrf_checks=True)

    assert _call(client, "post", "/services/svc1/redeploy", token_for("operator")).status_code == 202


# --- reads -------------------------------------------------------------------------------------


def test_service_tasks_history_and_nodes(client, fake_web, no_enqueue, redis_server, admin_login, token_for):
    ratelimit._redis.cache_clear()
    raw = token_for("viewer")

    detail = _call(client, "get", f"/services/{WEB}", raw).json()  # by name, as a script knows it
    tasks = _call(client, "get", "/services/svc1/tasks", raw).json()
    history = _call(client, "get", "/services/svc1/history", raw).json()
    nodes = _call(client, "get", "/nodes", raw).json()

    assert (detail["id"], detail["can_roll_back"], detail["restarts_1h"]) == ("svc1", True, 1)
    assert tasks and {task["name"].split(".")[0] for task in tasks} == {WEB}
    assert [(restart["cause"], restart["exit_code"]) for restart in history] == [("unhealthy", 137)]
    assert len(nodes) == 1 and nodes[0]["role"] == "manager"


def test_jobs_are_listed_with_filters(client, api_env, token_for):
    raw = token_for("viewer")
    Job.objects.create(kind="scale", service_id="svc1", service_name=WEB, state="succeeded")
    Job.objects.create(kind="redeploy", service_id="svc2", service_name="other", state="failed")

    assert len(_call(client, "get", "/jobs", raw).json()) == 2
    assert [job["kind"] for job in _call(client, "get", "/jobs?state=failed", raw).json()] == ["redeploy"]
    assert [job["kind"] for job in _call(client, "get", "/jobs?kind=scale", raw).json()] == ["scale"]
    assert [job["service_name"] for job in _call(client, "get", "/jobs?service=rec-", raw).json()] == [WEB]


# --- rate limit, errors, schema ----------------------------------------------------------------


def test_a_token_past_its_rate_gets_429_with_retry_after(client, api_env, token_for, settings):
    settings.SWARMDECK_API_RATE_PER_MINUTE = 3
    raw, other = token_for("viewer"), token_for("operator")

    assert [_call(client, "get", "/nodes", raw).status_code for _ in range(3)] == [200, 200, 200]
    response = _call(client, "get", "/nodes", raw)

    _assert_error(response, 429, "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert _call(client, "get", "/nodes", other).status_code == 200  # per token


def test_unknown_routes_and_methods_answer_json(client, api_env, token_for):
    raw = token_for("viewer")

    _assert_error(_call(client, "get", "/no/such/thing", raw), 404, "no_route")
    _assert_error(_call(client, "get", "/jobs/not-a-number", raw), 422, "invalid")
    response = _call(client, "get", "/services/svc1/scale", raw)
    _assert_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "POST"


def test_an_unexpected_error_is_a_500_in_json(client, api_env, token_for, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("services.selectors.service_rows", broken)

    body = _assert_error(_call(client, "get", "/services", token_for("viewer")), 500, "server_error")

    assert "a bug" not in json.dumps(body)  # the log has it, not the caller


def test_the_openapi_schema_validates_and_documents_every_error(panel_client):
    response = panel_client.get(reverse("api:v1:openapi-json"))

    schema = response.json()
    validate(schema)
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert len(operations) == 11
    for operation in operations:
        assert {"401", "429", "503"} <= set(operation["responses"]), operation["operationId"]
        assert operation["security"] == [{"TokenAuth": []}]
    scale = schema["paths"]["/api/v1/services/{service_id}/scale"]["post"]
    assert {"202", "403", "409", "422"} <= set(scale["responses"])


def test_the_docs_page_is_for_logged_in_users_and_fits_the_csp(client, panel_client):
    page = panel_client.get(reverse("api:v1:openapi-view"))

    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/ninja/swagger-ui-bundle." in html and "https://" not in html  # bundled, no CDN
    assert "unsafe-inline" not in page["Content-Security-Policy"]
    stranger = Client()
    assert stranger.get(reverse("api:v1:openapi-view"))["Location"].startswith(reverse("login"))
    assert stranger.get(reverse("api:v1:openapi-json"))["Location"].startswith(reverse("login"))


# --- the tokens pages --------------------------------------------------------------------------


def test_a_token_is_shown_once_and_never_in_the_list(role_client, api_env):
    client = role_client("viewer")

    form = client.get(reverse("api:token_create")).content.decode()
    created = client.post(reverse("api:token_create"), {"name": "ci", "role": "viewer", "days": "7"})

    assert 'value="operator"' not in form and 'value="admin"' not in form  # at most the user's role
    assert created.status_code == 201
    assert "no-store" in created["Cache-Control"]
    token = ApiToken.objects.get()
    raw = created.context["raw"]
    assert raw in created.content.decode()
    assert f'curl -H "Authorization: Bearer {raw}" http://testserver/api/v1/services' in created.content.decode()
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert (token.role, token.name, token.user.username) == ("viewer", "ci", "viewer")
    assert timedelta(days=6, hours=23) < token.expires_at - timezone.now() <= timedelta(days=7)
    listed = client.get(reverse("api:tokens")).content.decode()
    assert token.prefix in listed and raw not in listed and raw[len(token.prefix) :] not in listed


def test_the_form_refuses_a_role_above_the_users(role_client, api_env):
    client = role_client("viewer")

    response = client.post(reverse("api:token_create"), {"name": "x", "role": "operator", "days": "7"})

    assert response.status_code == 200
    assert response.context["form"].errors["role"]
    assert not ApiToken.objects.exists()


def test_revoking_is_a_confirmed_post_and_idempotent(role_client, api_env, client):
    viewer = role_client("viewer")
    viewer.post(reverse("api:token_create"), {"name": "ci", "role": "viewer", "days": "30"})
    token = ApiToken.objects.get()
    url = reverse("api:token_revoke", args=[token.id])

    assert viewer.get(url).status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is None  # a GET only asks
    viewer.post(url)
    token.refresh_from_db()
    revoked_at = token.revoked_at
    again = viewer.post(url, follow=True)

    assert revoked_at is not None
    token.refresh_from_db()
    assert token.revoked_at == revoked_at
    assert "already revoked" in again.content.decode()


def test_tokens_are_private_but_an_admin_sees_and_revokes_them(api_env, make_user, token_for):
    token_for("operator")
    theirs = ApiToken.objects.get()
    User = get_user_model()
    make_user("other", "operator")
    other = Client()
    other.force_login(User.objects.get(username="other"))
    admin = Client()
    admin.force_login(User.objects.get(username="admin"))

    assert theirs.prefix not in other.get(reverse("api:tokens")).content.decode()
    assert other.post(reverse("api:token_revoke", args=[theirs.id])).status_code == 404
    assert theirs.prefix in admin.get(reverse("api:tokens")).content.decode()
    assert admin.post(reverse("api:token_revoke", args=[theirs.id])).status_code == 302
    theirs.refresh_from_db()
    assert theirs.revoked_at is not None
