"""Deploy hooks on the fake engine: a signed call asks for one job, every refusal is recorded and
asks for none; the secret is shown once and kept sealed; only administrators see the pages."""

from __future__ import annotations

import copy
import html
import json
import re
import subprocess
import time

import pytest
from django.db import connection
from django.urls import reverse

from hooks import deploy, references
from hooks.models import DeployHook, HookCall
from jobs.models import Job
from jobs.runner import job_run

from .fake_engine import GLOBAL, WEB

pytestmark = pytest.mark.django_db


@pytest.fixture
def made(panel_client, fake_engine, no_enqueue) -> tuple[DeployHook, str]:
    """A hook of rec-web (svc1) made through its page, and the secret that page showed."""
    response = panel_client.post(reverse("hooks:create", args=["svc1"]), {"name": "ci"})
    assert response.status_code == 200, response.content.decode()[:500]
    return DeployHook.objects.get(), response.context["secret"]


@pytest.fixture
def ci():
    """CI's side: a client with no session."""
    from django.test import Client

    return Client()


def _signed(secret: str, body: bytes = b"{}", at: float | None = None) -> dict:
    timestamp = str(int(time.time() if at is None else at))
    signature = deploy.signature_expected(secret=secret, timestamp=timestamp, body=body)
    return {"HTTP_X_SWARMDECK_TIMESTAMP": timestamp, "HTTP_X_SWARMDECK_SIGNATURE": signature}


def _call(client, hook: DeployHook, body: bytes = b"{}", headers: dict | None = None):
    url = reverse("hooks:call", args=[hook.key])
    return client.post(url, body, content_type="application/json", **(headers or {}))


def _refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert response.json()["message"]


# --- the call ---------------------------------------------------------------------------------


def test_a_signed_call_redeploys_as_one_job_through_the_hook(ci, made, no_enqueue, fake_engine, monkeypatch):
    hook, secret = made
    response = _call(ci, hook, headers=_signed(secret))

    assert response.status_code == 202, response.content
    job = Job.objects.get()
    assert response.json() == {"job": job.id, "url": f"http://testserver/jobs/{job.id}/"}
    assert (job.kind, job.service_id, job.service_name) == (Job.Kind.REDEPLOY, "svc1", WEB)
    assert (job.via, job.via_name, job.requested_by) == (Job.Via.HOOK, "ci", None)
    assert job.params == {"force_update": 1}
    call = HookCall.objects.get()
    assert (call.outcome, call.job, call.change, call.client) == ("accepted", job, "redeploy", "127.0.0.1")
    assert call.signature_digest

    # The job does what the panel's redeploy does: the engine's ForceUpdate counter goes up by one.
    monkeypatch.setattr("services.runners.rollout_follow", lambda job, expect_update: None)
    job_run(job_id=job.id)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, (job.error_code, job.error)
    sent = [write for write in fake_engine.writes if write.path.endswith("/update")][-1].body
    assert sent["TaskTemplate"]["ForceUpdate"] == 1


@pytest.mark.parametrize(
    ("body", "image"),
    [
        (b'{"tag": "2"}', "swarmdeck-test/busybox:2"),
        (b'{"digest": "sha256:' + b"a" * 64 + b'"}', "swarmdeck-test/busybox@sha256:" + "a" * 64),
        (b'{"tag": "v2.1", "digest": "sha256:' + b"b" * 64 + b'"}', "swarmdeck-test/busybox:v2.1@sha256:" + "b" * 64),
        (b'{"image": "docker.io/swarmdeck-test/busybox:3"}', "docker.io/swarmdeck-test/busybox:3"),
    ],
)
def test_a_signed_call_with_a_tag_or_digest_moves_the_image(ci, made, fake_engine, monkeypatch, body, image):
    hook, secret = made
    response = _call(ci, hook, body, headers=_signed(secret, body))

    assert response.status_code == 202, response.content
    job = Job.objects.get()
    assert (job.kind, job.params, job.via) == (Job.Kind.UPDATE, {"groups": {"image": {"image": image}}}, "hook")
    assert HookCall.objects.get().change == image
    expected = copy.deepcopy(fake_engine.inspect_service("svc1")["Spec"])
    expected["TaskTemplate"]["ContainerSpec"]["Image"] = image
    monkeypatch.setattr("services.runners.rollout_follow", lambda job, expect_update: None)
    job_run(job_id=job.id)
    # Only the image changed: the rest of the spec is the service's own.
    assert [write for write in fake_engine.writes if write.path.endswith("/update")][-1].body == expected


def test_a_wrong_signature_is_refused_and_recorded_without_a_job(ci, made, no_enqueue):
    hook, secret = made
    wrong = _signed("not-the-secret")
    tampered = {**_signed(secret, b"{}"), "HTTP_X_SWARMDECK_TIMESTAMP": str(int(time.time()) + 1)}
    unsigned = {}
    for headers in (wrong, tampered, unsigned, {**_signed(secret), "HTTP_X_SWARMDECK_SIGNATURE": "sha256=zz"}):
        _refused(_call(ci, hook, headers=headers), 401, "bad_signature")
    # Signed for another body: the body is part of what is signed.
    _refused(_call(ci, hook, b'{"tag": "evil"}', headers=_signed(secret, b"{}")), 401, "bad_signature")

    assert Job.objects.count() == 0 and no_enqueue == []
    assert list(HookCall.objects.values_list("outcome", flat=True)) == ["bad_signature"] * 5


@pytest.mark.parametrize("offset", [-deploy.WINDOW_SECONDS - 5, deploy.WINDOW_SECONDS + 5])
def test_a_stale_or_future_timestamp_is_refused(ci, made, no_enqueue, offset):
    hook, secret = made
    _refused(_call(ci, hook, headers=_signed(secret, at=time.time() + offset)), 401, "stale")
    assert Job.objects.count() == 0
    assert HookCall.objects.get().outcome == "stale"


def test_a_replay_of_an_accepted_call_is_refused(ci, made, no_enqueue, fake_engine):
    hook, secret = made
    headers = _signed(secret)
    assert _call(ci, hook, headers=headers).status_code == 202
    engine_calls = len(fake_engine.calls)

    _refused(_call(ci, hook, headers=headers), 401, "replay")

    assert len(fake_engine.calls) == engine_calls  # refused before the engine is asked anything

    assert Job.objects.count() == 1
    assert list(HookCall.objects.order_by("id").values_list("outcome", flat=True)) == ["accepted", "replay"]


def test_copies_racing_past_the_first_check_still_give_one_job(made, no_enqueue, monkeypatch):
    """Two processes each find no accepted call with this signature yet: the unique digest lets one
    of them through, the other is a replay and asks for nothing."""
    hook, secret = made
    headers = _signed(secret)
    timestamp, signature = headers["HTTP_X_SWARMDECK_TIMESTAMP"], headers["HTTP_X_SWARMDECK_SIGNATURE"]
    first = deploy.hook_call_handle(hook=hook, timestamp=timestamp, signature=signature, body=b"{}", client="a")
    real_filter = HookCall.objects.filter

    def nothing_yet(*args, **kwargs):
        return real_filter(*args, **kwargs).none() if "signature_digest" in kwargs else real_filter(*args, **kwargs)

    monkeypatch.setattr(HookCall.objects, "filter", nothing_yet)
    second = deploy.hook_call_handle(hook=hook, timestamp=timestamp, signature=signature, body=b"{}", client="b")

    assert (first.outcome, second.outcome) == ("accepted", "replay")
    assert Job.objects.count() == 1 and second.job is None


def test_an_unknown_key_is_refused_without_a_trace(ci, made, no_enqueue):
    hook, secret = made
    response = ci.post(reverse("hooks:call", args=["no-such-key"]), b"{}", content_type="application/json")
    _refused(response, 404, "unknown_hook")
    assert HookCall.objects.count() == 0 and Job.objects.count() == 0


def test_a_call_for_a_removed_service_is_refused_and_recorded(ci, made, fake_engine, no_enqueue):
    hook, secret = made
    fake_engine.keep([GLOBAL])

    response = _call(ci, hook, headers=_signed(secret))

    _refused(response, 404, "service_gone")
    assert WEB in response.json()["message"]
    assert Job.objects.count() == 0
    assert HookCall.objects.get().outcome == "service_gone"


def test_an_unreachable_engine_is_refused_with_503(ci, made, fake_engine, no_enqueue):
    from .fake_engine import unreachable

    hook, secret = made
    fake_engine.fail("services", unreachable())
    _refused(_call(ci, hook, headers=_signed(secret)), 503, "engine_error")
    assert Job.objects.count() == 0


@pytest.mark.parametrize(
    "image",
    [
        "evil/miner:1",
        "busybox:2",
        "registry.example:5000/swarmdeck-test/busybox:1",
        "swarmdeck-test/busybox-other:1",
    ],
)
def test_an_image_of_another_repository_is_not_allowed(ci, made, no_enqueue, image):
    hook, secret = made
    body = json.dumps({"image": image}).encode()

    response = _call(ci, hook, body, headers=_signed(secret, body))

    _refused(response, 403, "not_allowed")
    assert image in response.json()["message"]
    assert Job.objects.count() == 0
    assert (HookCall.objects.get().outcome, HookCall.objects.get().change) == ("not_allowed", image)


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"{not json", "not_json"),
        (b'["tag"]', "not_object"),
        (b'{"tag": "v2", "command": "sh"}', "unknown_field"),
        (b'{"tag": 2}', "not_text"),
        (b'{"tag": "v2", "image": "swarmdeck-test/busybox:2"}', "image_and_tag"),
        # A "tag" that would name another registry once written after the repository.
        (b'{"tag": "5000/evil/x"}', "bad_tag"),
        (b'{"tag": "-v2"}', "bad_tag"),
        (b'{"digest": "sha256:abc"}', "bad_digest"),
        (b'{"image": "Busybox"}', "bad_image"),
        (b'{"image": "busybox:"}', "bad_image"),
        (b'{"tag": "' + b"x" * deploy.MAX_BODY + b'"}', "too_large"),
    ],
)
def test_a_malformed_body_is_refused_in_words(ci, made, no_enqueue, body, detail):
    hook, secret = made
    response = _call(ci, hook, body, headers=_signed(secret, body))

    _refused(response, 400, "bad_request")
    assert Job.objects.count() == 0
    assert (HookCall.objects.get().outcome, HookCall.objects.get().detail) == ("bad_request", detail)


def test_an_empty_body_redeploys(ci, made, no_enqueue):
    hook, secret = made
    assert _call(ci, hook, b"", headers=_signed(secret, b"")).status_code == 202
    assert Job.objects.get().kind == Job.Kind.REDEPLOY


def test_a_hook_takes_posts_only(ci, made):
    hook, _secret = made
    assert ci.get(reverse("hooks:call", args=[hook.key])).status_code == 405
    assert HookCall.objects.count() == 0


def test_a_disabled_hook_refuses_its_calls_until_enabled(panel_client, ci, made, no_enqueue):
    hook, secret = made
    panel_client.post(reverse("hooks:enable", args=[hook.id]), {"enabled": "0"})
    _refused(_call(ci, hook, headers=_signed(secret)), 403, "disabled")
    # Without the secret, nothing is said about the hook, not even that it is disabled.
    _refused(_call(ci, hook, headers=_signed("wrong")), 401, "bad_signature")
    assert Job.objects.count() == 0

    panel_client.post(reverse("hooks:enable", args=[hook.id]), {"enabled": "1"})
    assert _call(ci, hook, headers=_signed(secret)).status_code == 202


def test_refused_calls_are_kept_to_the_newest(made, no_enqueue, monkeypatch):
    hook, secret = made
    monkeypatch.setattr(deploy, "REFUSED_KEPT", 3)
    headers = _signed(secret)
    timestamp, signature = headers["HTTP_X_SWARMDECK_TIMESTAMP"], headers["HTTP_X_SWARMDECK_SIGNATURE"]
    accepted = deploy.hook_call_handle(hook=hook, timestamp=timestamp, signature=signature, body=b"{}", client="x")
    for _ in range(5):
        deploy.hook_call_handle(hook=hook, timestamp="1", signature="sha256=00", body=b"{}", client="x")

    assert HookCall.objects.filter(outcome="bad_signature").count() == 3
    assert HookCall.objects.filter(id=accepted.id).exists()


def test_a_panel_not_yet_activated_refuses_hook_calls(ci, fake_engine, no_enqueue):
    """No login is needed (CI has none), yet a panel not activated answers nothing but its activation."""
    response = ci.post("/hooks/some-key/", b"{}", content_type="application/json")
    assert response.status_code == 302 and "/activate/" in response["Location"]


# --- the secret: shown once, never in clear in the database -------------------------------------


def test_the_secret_is_shown_once_and_sealed_in_the_database(panel_client, ci, made):
    hook, secret = made
    pages = [
        panel_client.get(reverse("hooks:list")),
        panel_client.get(reverse("hooks:detail", args=[hook.id])),
        panel_client.get(reverse("hooks:rotate", args=[hook.id])),
        panel_client.get(reverse("hooks:remove", args=[hook.id])),
        panel_client.get(reverse("hooks:create", args=["svc1"])),
    ]
    for page in pages:
        assert page.status_code == 200
        assert secret not in page.content.decode()
    assert hook.key in pages[1].content.decode()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM hooks_deployhook")
        assert secret not in repr(cursor.fetchall())


def test_the_answer_page_holds_a_curl_example_that_signs_as_the_panel_checks(panel_client, fake_engine, no_enqueue):
    response = panel_client.post(reverse("hooks:create", args=["svc1"]), {"name": "ci"})
    page = html.unescape(response.content.decode())
    secret, hook = response.context["secret"], DeployHook.objects.get()

    assert f"HOOK_SECRET='{secret}'" in page
    assert f"HOOK_URL='http://testserver/hooks/{hook.key}/'" in page
    # The example's own shell lines compute the signature the panel expects.
    snippet = re.search(r"<code>(.*?)</code></pre>", page, re.S)[1]
    lines = snippet.splitlines()
    signing = "\n".join([*lines[:5], 'printf "%s %s" "$TS" "$SIG"'])
    out = subprocess.run(["bash", "-c", signing], capture_output=True, text=True, check=True).stdout
    timestamp, signature = out.split()
    assert f"sha256={signature}" == deploy.signature_expected(secret=secret, timestamp=timestamp, body=b"{}")


def test_rotating_gives_a_new_secret_once_and_the_old_one_stops(panel_client, ci, made, no_enqueue):
    hook, old = made
    response = panel_client.post(reverse("hooks:rotate", args=[hook.id]))

    new = response.context["secret"]
    assert new != old and new in response.content.decode()
    assert "The previous secret no longer works." in response.content.decode()
    _refused(_call(ci, hook, headers=_signed(old)), 401, "bad_signature")
    assert _call(ci, hook, headers=_signed(new)).status_code == 202
    hook.refresh_from_db()
    assert hook.rotated_at is not None
    assert new not in panel_client.get(reverse("hooks:detail", args=[hook.id])).content.decode()


def test_removing_a_hook_ends_its_url(panel_client, ci, made, no_enqueue):
    hook, secret = made
    response = panel_client.post(reverse("hooks:remove", args=[hook.id]))

    assert response.status_code == 302 and response["Location"] == reverse("hooks:list")
    _refused(_call(ci, hook, headers=_signed(secret)), 404, "unknown_hook")
    assert DeployHook.objects.count() == 0


# --- the pages ----------------------------------------------------------------------------------


def test_the_pages_show_the_calls_their_outcome_and_job(panel_client, ci, made, no_enqueue):
    hook, secret = made
    _call(ci, hook, headers=_signed(secret))
    _call(ci, hook, headers=_signed("wrong"))
    job = Job.objects.get()

    detail = panel_client.get(reverse("hooks:detail", args=[hook.id])).content.decode()
    assert f'href="/jobs/{job.id}/"' in detail
    assert "wrong or missing signature" in detail and "accepted" in detail
    listing = panel_client.get(reverse("hooks:list")).content.decode()
    assert WEB in listing and "wrong or missing signature" in listing


def test_the_service_page_links_to_the_hooks_for_admins_only(panel_client, fake_web):
    page = panel_client.get(reverse("services:detail", args=["svc1"])).content.decode()
    assert re.search(r'class="button needs-admin" id="deploy-hook" href="/hooks/create/svc1/"', page)


def test_a_hook_for_an_unknown_service_cannot_be_made(panel_client, fake_engine):
    assert panel_client.get(reverse("hooks:create", args=["nope"])).status_code == 404
    assert panel_client.post(reverse("hooks:create", args=["nope"]), {"name": "x"}).status_code == 404
    assert DeployHook.objects.count() == 0


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_only_admins_see_and_change_hooks(role_client, made, role):
    hook, secret = made
    client = role_client(role)
    for response in (
        client.get(reverse("hooks:list")),
        client.get(reverse("hooks:create", args=["svc1"])),
        client.post(reverse("hooks:create", args=["svc1"]), {"name": "mine"}),
        client.get(reverse("hooks:detail", args=[hook.id])),
        client.post(reverse("hooks:rotate", args=[hook.id])),
        client.post(reverse("hooks:enable", args=[hook.id]), {"enabled": "0"}),
        client.post(reverse("hooks:remove", args=[hook.id])),
    ):
        assert response.status_code == 403
        assert secret not in response.content.decode()
    assert DeployHook.objects.count() == 1
    hook.refresh_from_db()
    assert (hook.enabled, hook.rotated_at) == (True, None)


def test_anonymous_visitors_are_sent_to_log_in(client, made):
    hook, _secret = made
    client.logout()
    response = client.get(reverse("hooks:detail", args=[hook.id]))
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- the references ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("busybox", "docker.io/library/busybox:1"),
        ("library/busybox:1@sha256:" + "a" * 64, "index.docker.io/library/busybox"),
        ("localhost/app:1", "localhost/app:2"),
        ("registry:5000/team/app:v1", "registry:5000/team/app"),
        ("Registry/app:1", "Registry/app"),
    ],
)
def test_one_repository_written_two_ways(one, other):
    assert references.repository_canonical(one) == references.repository_canonical(other)


def test_a_registry_port_is_not_a_tag():
    assert references.image_target({"tag": "v2"}, "registry:5000/app@sha256:" + "c" * 64) == "registry:5000/app:v2"
    assert references.repository_canonical("registry:5000/app") != references.repository_canonical("registry/app")
    assert references.repository_canonical("Registry/app") != references.repository_canonical("registry/app")
