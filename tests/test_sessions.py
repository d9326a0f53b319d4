"""Sessions end: idle, too old, or replaced by a password change, and their websockets with them."""

import time

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts import sessions
from dashboard.asgi import application

from .conftest import ws_headers

OVERVIEW = reverse("overview")
LOGIN = reverse("login")
CLOSE_UNAUTHENTICATED = 4401


@pytest.fixture
def short_sessions(settings, monkeypatch):
    """Sessions idle after 2 s; the idle clock pushed back by every request, not once a minute."""
    settings.SWARMDECK_SESSION_IDLE_MINUTES = 2 / 60
    monkeypatch.setattr(sessions, "TOUCH_EVERY", 0)
    return settings


def _logged_in(admin_login) -> Client:
    client = Client()
    assert client.post(LOGIN, {"username": admin_login.username, "password": admin_login.password}).status_code == 302
    return client


def _is_logged_in(client: Client) -> bool:
    response = client.get(OVERVIEW, headers={"HX-Request": "true"})
    assert response.status_code in (200, 302), response.status_code
    return response.status_code == 200


@pytest.mark.django_db
def test_an_idle_session_expires(short_sessions, admin_login):
    client = _logged_in(admin_login)
    assert _is_logged_in(client)

    time.sleep(2.5)

    assert not _is_logged_in(client)
    assert client.get(OVERVIEW)["Location"].startswith(LOGIN)


@pytest.mark.django_db
def test_the_users_requests_keep_the_session_alive(short_sessions, admin_login):
    client = _logged_in(admin_login)

    for _ in range(4):  # 4 s in all, twice the idle time
        time.sleep(1)
        assert _is_logged_in(client)


@pytest.mark.django_db
def test_a_live_pages_own_rereads_do_not(short_sessions, admin_login):
    client = _logged_in(admin_login)

    statuses = []
    for _ in range(4):
        time.sleep(1)
        statuses.append(client.get(OVERVIEW, headers={"HX-Request": "true", "X-Live-Reread": "1"}).status_code)

    assert statuses[0] == 200
    assert statuses[-1] == 302


@pytest.mark.django_db
def test_a_session_ends_at_its_absolute_age_however_busy(short_sessions, admin_login):
    short_sessions.SWARMDECK_SESSION_IDLE_MINUTES = 60
    short_sessions.SWARMDECK_SESSION_MAX_HOURS = 3 / 3600
    client = _logged_in(admin_login)

    alive = []
    for _ in range(5):
        time.sleep(1)
        alive.append(_is_logged_in(client))

    assert alive[0] is True
    assert alive[-1] is False


@pytest.mark.django_db
def test_the_default_lifetimes(settings, panel_client):
    expiry = panel_client.session.get_expiry_age()

    assert settings.SWARMDECK_SESSION_IDLE_MINUTES == 12 * 60
    assert 12 * 3600 - 5 <= expiry <= 12 * 3600


@pytest.mark.django_db
def test_pages_of_a_logged_in_user_are_never_stored(panel_client):
    fragment = panel_client.get(reverse("services:list"), headers={"HX-Request": "true"})
    for response in (panel_client.get(OVERVIEW), fragment):
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]


def _open_socket(client: Client):
    """A connected communicator on the services list, for the client's session."""

    async def connect():
        communicator = WebsocketCommunicator(application, "/ws/services/", headers=ws_headers(client))
        connected, _ = await communicator.connect()
        assert connected
        return communicator

    return connect


@pytest.mark.django_db(transaction=True)
def test_a_password_change_ends_the_other_sessions_and_closes_their_websockets(memory_channel_layer, admin_login):
    changer, other = _logged_in(admin_login), _logged_in(admin_login)
    new = "a-new-Passphrase-for-the-panel-42"

    async def scenario():
        mine = await _open_socket(changer)()
        theirs = await _open_socket(other)()
        await sync_to_async(changer.post)(
            reverse("accounts:password_change"),
            {"old_password": admin_login.password, "new_password1": new, "new_password2": new},
        )
        closed = await theirs.receive_output(timeout=5)
        mine_quiet = await mine.receive_nothing(timeout=0.5)
        await mine.disconnect()
        return closed, mine_quiet

    closed, mine_quiet = async_to_sync(scenario)()

    assert closed == {"type": "websocket.close", "code": CLOSE_UNAUTHENTICATED}
    assert mine_quiet
    assert not _is_logged_in(other)
    assert _is_logged_in(changer)


@pytest.mark.django_db(transaction=True)
def test_reset_admin_password_ends_every_session(memory_channel_layer, admin_login, capsys):
    client = _logged_in(admin_login)

    async def scenario():
        socket = await _open_socket(client)()
        await sync_to_async(call_command)("reset_admin_password")
        return await socket.receive_output(timeout=5)

    closed = async_to_sync(scenario)()

    assert closed["type"] == "websocket.close"
    assert not _is_logged_in(client)
    assert get_user_model().objects.get().check_password(capsys.readouterr().out.strip().rsplit(": ", 1)[1])


@pytest.mark.django_db(transaction=True)
def test_an_open_websocket_closes_when_its_session_expires(memory_channel_layer, short_sessions, admin_login):
    client = _logged_in(admin_login)

    async def scenario():
        socket = await _open_socket(client)()
        return await socket.receive_output(timeout=6)

    closed = async_to_sync(scenario)()

    assert closed == {"type": "websocket.close", "code": CLOSE_UNAUTHENTICATED}
