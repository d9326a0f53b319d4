"""Roles: viewer, operator, admin. Each refusal is the server's (a forged POST included), changes
nothing, and the pages hide what a role may not do."""

import re

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.roles import Role, role_of, roles_up_to
from dashboard.asgi import application
from jobs.models import Job
from jobs.requests import job_request

from .conftest import ROOT, ws_headers
from .fixtures_fake import WEB_ID

# The POSTs any logged-in user may make: their own language, password, session and API tokens,
# and the URLs that check a token or signature of their own instead of a login.
OPEN_TO_EVERY_ROLE = {
    "set_language",
    "logout",
    "login",
    "accounts:activate",
    "accounts:password_change",
    "users:join",
    "api:token_create",
    "api:token_revoke",
    "hooks:call",
    "metrics",
    "favicon",  # a redirect to the icon, whatever the method
}
# Mounted apps whose URLs answer with their own authentication (a token, a signature).
OWN_AUTH_PREFIXES = ("api/v1/", "metrics")


def _patterns(resolver=None, prefix="", namespace=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            space = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry, prefix + str(entry.pattern), space)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), f"{namespace}{entry.name}" if entry.name else ""


def _example(route: str) -> str:
    """A URL matching the route: every converter filled with a plausible value."""
    url = re.sub(r"<int:[^>]+>", "1", route)
    url = re.sub(r"<(str:)?[^>]+>", "x", url)
    return "/" + url.lstrip("^").rstrip("$")


def _every_post_url():
    for route, name in _patterns():
        if name in OPEN_TO_EVERY_ROLE or route.startswith(OWN_AUTH_PREFIXES) or "<path:" in route:
            continue
        yield pytest.param(_example(route), id=name or route)


@pytest.mark.django_db
@pytest.mark.parametrize("url", list(_every_post_url()))
def test_a_viewer_s_forged_post_is_refused_everywhere(role_client, fake_engine, no_enqueue, url):
    """Every URL but the ones open to all: a viewer's POST gets 403 (or 405 where the URL takes no
    POST at all), before any engine call."""
    client = role_client("viewer")
    response = client.post(url, {"replicas": "3", "confirm": "1", "confirm_name": "rec-web"})

    assert response.status_code in (403, 405), (url, response.status_code)
    assert fake_engine.writes == []
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_a_viewer_reads_the_swarm_but_cannot_scale(role_client, fake_engine, no_enqueue):
    client = role_client("viewer")

    assert client.get(reverse("services:list")).status_code == 200
    page = client.get(reverse("services:detail", args=[WEB_ID]))
    assert page.status_code == 200
    assert "can-operate" not in page.content.decode().split("<body", 1)[1].split(">", 1)[0]
    assert client.get(reverse("jobs:list")).status_code == 200

    refused = client.post(reverse("services:scale", args=[WEB_ID]), {"replicas": "3"})
    assert refused.status_code == 403
    assert "Your role (Viewer) does not allow this." in refused.content.decode()
    assert client.get(reverse("services:scale", args=[WEB_ID])).status_code == 403
    assert not Job.objects.exists()
    assert no_enqueue == []


@pytest.mark.django_db
def test_a_viewer_does_not_read_secrets(role_client, fake_engine):
    client = role_client("viewer")

    assert client.get(reverse("swarm_secrets:list")).status_code == 403
    assert client.get(reverse("swarm_secrets:detail", args=["x"])).status_code == 403


@pytest.mark.django_db
def test_an_operator_scales_but_cannot_remove(role_client, fake_engine, no_enqueue):
    client = role_client("operator")

    scaled = client.post(reverse("services:scale", args=[WEB_ID]), {"replicas": "3"})
    job = Job.objects.get()
    assert scaled["Location"] == reverse("jobs:detail", args=[job.id])
    assert (job.kind, job.requested_by.username) == ("scale", "operator")

    removed = client.post(reverse("services:remove", args=[WEB_ID]), {"confirm_name": "rec-web"})
    assert removed.status_code == 403
    assert Job.objects.count() == 1
    assert client.get(reverse("services:create")).status_code == 403
    assert client.post(reverse("nodes:availability", args=["x"]), {"availability": "drain"}).status_code == 403


@pytest.mark.django_db
def test_an_admin_scales_and_removes(panel_client, fake_engine, no_enqueue):
    panel_client.post(reverse("services:scale", args=[WEB_ID]), {"replicas": "3"})
    panel_client.post(reverse("services:remove", args=[WEB_ID]), {"confirm_name": "rec-web"})

    assert sorted(Job.objects.values_list("kind", flat=True)) == ["remove", "scale"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("viewer", set()),
        ("operator", {"scale", "update", "redeploy", "rollback", "update_check", "image_update"}),
        ("admin", set(Job.Kind.values)),
    ],
)
def test_job_request_itself_refuses_a_kind_above_the_role(make_user, no_enqueue, role, allowed):
    """The last word, whatever asked: a form, the API, a forged request."""
    from django.contrib.auth import get_user_model

    make_user("someone", role)
    user = get_user_model().objects.get(username="someone")
    for kind in Job.Kind.values:
        if kind in allowed:
            job_request(kind=kind, service_name="web", user=user)
        else:
            with pytest.raises(PermissionDenied):
                job_request(kind=kind, service_name="web", user=user)

    assert set(Job.objects.values_list("kind", flat=True)) == allowed


@pytest.mark.django_db
def test_the_pages_hide_what_the_role_may_not_do(role_client, fake_engine):
    """The page's body says the role; app.css hides .needs-operator and .needs-admin below it."""

    def body_classes(client) -> str:
        html = client.get(reverse("services:detail", args=[WEB_ID])).content.decode()
        return html.split("<body", 1)[1].split(">", 1)[0]

    css = (ROOT / "static/css/app.css").read_text()
    assert "body:not(.can-operate) .needs-operator, body:not(.can-admin) .needs-admin" in css

    operator = body_classes(role_client("operator"))
    assert "can-operate" in operator and "can-admin" not in operator

    page = Client().get("/")  # not logged in: no role at all
    assert page.status_code == 302


@pytest.mark.django_db
def test_the_service_page_marks_each_action_with_its_role(panel_client, fake_engine):
    html = panel_client.get(reverse("services:detail", args=[WEB_ID])).content.decode()
    assert re.search(r'class="button needs-operator" id="redeploy"', html)
    assert re.search(r'class="button danger needs-admin" href="/services/svc1/remove/"', html)
    assert re.search(r'class="scale needs-operator"', html)


@pytest.mark.django_db
def test_roles_up_to_and_role_of(make_user):
    from django.contrib.auth import get_user_model

    assert roles_up_to(Role.OPERATOR) == [Role.VIEWER, Role.OPERATOR]
    make_user("o", "operator")
    user = get_user_model().objects.get(username="o")
    assert role_of(user) == Role.OPERATOR
    user.is_active = False
    assert role_of(user) is None


@pytest.mark.django_db(transaction=True)
def test_a_viewer_s_socket_connects(memory_channel_layer, role_client):
    client = role_client("viewer")

    async def connect():
        communicator = WebsocketCommunicator(application, "/ws/services/", headers=ws_headers(client))
        connected, _ = await communicator.connect()
        await communicator.disconnect()
        return connected

    assert async_to_sync(connect)() is True
