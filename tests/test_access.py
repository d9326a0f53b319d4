"""Nothing but the activation page before activation; nothing but login for strangers after it."""

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import reverse

from dashboard.asgi import application
from jobs.models import Job

from .conftest import ws_headers

PAGES = ["/", "/services/", "/jobs/1/", "/setup/", "/account/password/"]


def _ws_connects(headers, path="/ws/services/") -> bool:
    async def connect():
        communicator = WebsocketCommunicator(application, path, headers=headers)
        connected, _ = await communicator.connect()
        await communicator.disconnect()
        return connected

    return async_to_sync(connect)()


@pytest.mark.django_db
@pytest.mark.parametrize("path", [*PAGES, "/login/"])
def test_before_activation_every_page_leads_to_activation(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:activate")


@pytest.mark.django_db
def test_before_activation_posts_change_nothing(client):
    response = client.post(reverse("services:scale", args=["svc"]), {"replicas": "3"})

    assert response["Location"] == reverse("accounts:activate")
    assert not Job.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/ws/services/", "/ws/swarm/", "/ws/jobs/", "/ws/jobs/1/"])
def test_before_activation_websockets_are_refused(memory_channel_layer, path):
    assert _ws_connects(ws_headers(), path) is False


@pytest.mark.django_db
def test_language_can_be_chosen_before_activation(client):
    response = client.post(reverse("set_language"), {"language": "es", "next": "/activate/"})

    assert response.status_code == 302
    assert response.cookies["django_language"].value == "es"


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_after_activation_strangers_are_sent_to_login(client, admin_login, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.django_db
def test_after_activation_the_activation_page_leads_to_login(client, admin_login):
    assert client.get(reverse("accounts:activate"))["Location"] == reverse("login")


@pytest.mark.django_db(transaction=True)
def test_websocket_without_a_session_is_closed(memory_channel_layer, admin_login):
    assert _ws_connects(ws_headers()) is False


@pytest.mark.django_db(transaction=True)
def test_websocket_with_a_session_connects_and_a_foreign_origin_does_not(memory_channel_layer, panel_client):
    assert _ws_connects(ws_headers(panel_client)) is True
    assert _ws_connects(ws_headers(panel_client, origin="http://evil.test")) is False


@pytest.mark.django_db(transaction=True)
def test_logging_out_closes_the_open_websockets(memory_channel_layer, panel_client):
    headers = ws_headers(panel_client)

    async def connect_then_logout():
        from asgiref.sync import sync_to_async

        communicator = WebsocketCommunicator(application, "/ws/services/", headers=headers)
        connected, _ = await communicator.connect()
        assert connected
        await sync_to_async(panel_client.post)(reverse("logout"))
        closed = await communicator.receive_output(timeout=5)
        await communicator.wait()
        return closed

    closed = async_to_sync(connect_then_logout)()

    assert closed["type"] == "websocket.close"
    assert _ws_connects(headers) is False


@pytest.mark.django_db
def test_posts_without_csrf_token_are_rejected(admin_login):
    from django.contrib.auth import get_user_model

    client = Client(enforce_csrf_checks=True)
    client.force_login(get_user_model().objects.get())

    assert client.post(reverse("services:scale", args=["svc"]), {"replicas": "2"}).status_code == 403
    assert client.post(reverse("logout")).status_code == 403
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_login_and_activation_posts_need_csrf_too(admin_login):
    client = Client(enforce_csrf_checks=True)

    assert client.post(reverse("login"), {"username": "admin", "password": admin_login.password}).status_code == 403


@pytest.mark.django_db
def test_security_headers(panel_client):
    response = panel_client.get(reverse("services:list"), headers={"HX-Request": "true"})

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_after_activation_a_page_view_asks_the_database_nothing_about_activation(panel_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert panel_client.get(reverse("accounts:password_change")).status_code == 200  # learns it once
    with CaptureQueriesContext(connection) as queries:
        assert panel_client.get(reverse("accounts:password_change")).status_code == 200

    assert queries.captured_queries  # the session and the user are still read
    assert not [query for query in queries.captured_queries if "accounts_installation" in query["sql"]]


@pytest.mark.django_db
def test_an_activation_is_seen_by_the_next_request_and_not_cached_before(client, admin_login):
    from accounts.models import Installation

    installation = Installation.objects.get()
    installation.delete()
    assert client.get(reverse("login"))["Location"] == reverse("accounts:activate")

    Installation.objects.create(admin=installation.admin)
    assert client.get(reverse("login")).status_code == 200
