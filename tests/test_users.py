"""Users: invites that serve once, roles the admins change, removals that end everything the user
had open, and an admin always left."""

import re
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Profile
from dashboard.asgi import application
from jobs.models import Job
from live.consumers import CLOSE_UNAUTHENTICATED
from users.models import Invite

from .conftest import ws_headers

GOOD_PASSWORD = "Correct-Horse-Battery-9"


def _invite(client, role="operator", note="Ana") -> str:
    page = client.post(reverse("users:invite"), {"role": role, "note": note, "hours": "72"})
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    return re.search(r'id="invite-link">([^<]+)<', page.content.decode()).group(1)


def _join_path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


@pytest.mark.django_db
def test_an_invite_link_makes_one_user_with_its_role_and_logs_them_in(panel_client):
    link = _invite(panel_client)
    invitee = Client()

    assert "Ana" in panel_client.get(reverse("users:list")).content.decode()
    assert invitee.get(_join_path(link)).status_code == 200
    joined = invitee.post(_join_path(link), {"username": "ana", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD})

    assert joined["Location"] == reverse("overview")
    ana = get_user_model().objects.get(username="ana")
    assert ana.profile.role == "operator"
    assert ana.check_password(GOOD_PASSWORD)
    assert invitee.get(reverse("overview")).status_code == 200
    assert Invite.objects.get().used_by == ana


@pytest.mark.django_db
def test_an_invite_is_kept_as_a_hash_and_shown_once(panel_client):
    link = _invite(panel_client)
    token = link.rstrip("/").rsplit("/", 1)[1]

    assert Invite.objects.filter(token_hash__contains=token).count() == 0
    assert token not in panel_client.get(reverse("users:list")).content.decode()


@pytest.mark.django_db
def test_an_invite_cannot_be_replayed(panel_client):
    path = _join_path(_invite(panel_client))
    form = {"username": "ana", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD}
    Client().post(path, form)

    replay = Client().post(path, {**form, "username": "mallory"})

    assert replay.status_code == 410
    assert not get_user_model().objects.filter(username="mallory").exists()
    assert Client().get(path).status_code == 410


@pytest.mark.django_db
def test_an_expired_or_revoked_invite_does_not_work(panel_client):
    expired = _join_path(_invite(panel_client, note="late"))
    Invite.objects.filter(note="late").update(expires_at=timezone.now() - timedelta(seconds=1))
    revoked = _join_path(_invite(panel_client, note="gone"))
    panel_client.post(reverse("users:invite_revoke", args=[Invite.objects.get(note="gone").id]))

    for path in (expired, revoked):
        page = Client().post(path, {"username": "x", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD})
        assert page.status_code == 410
        assert "already used, has expired or was revoked" in page.content.decode()
    assert get_user_model().objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("password", ["short-1", "password1234", "12345678901234", "ana-ana-ana-ana"])
def test_the_invitee_s_password_meets_the_policy(panel_client, password):
    path = _join_path(_invite(panel_client))

    page = Client().post(path, {"username": "ana-ana-ana-ana", "password1": password, "password2": password})

    assert page.status_code == 200
    assert 'class="errorlist"' in page.content.decode()
    assert not get_user_model().objects.filter(username="ana-ana-ana-ana").exists()
    assert Invite.objects.get().used_at is None  # the link still works for a better password


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_only_admins_manage_users(role_client, role):
    client = role_client(role)

    assert client.get(reverse("users:list")).status_code == 403
    assert client.post(reverse("users:invite"), {"role": "admin", "hours": "72"}).status_code == 403
    assert not Invite.objects.exists()


@pytest.mark.django_db
def test_an_admin_changes_a_role(panel_client, make_user):
    make_user("bo", "viewer")
    bo = get_user_model().objects.get(username="bo")

    panel_client.post(reverse("users:role", args=[bo.id]), {"role": "operator"})

    assert Profile.objects.get(user=bo).role == "operator"


@pytest.mark.django_db
def test_the_last_admin_can_be_neither_demoted_nor_removed(panel_client, make_user):
    admin = get_user_model().objects.get(username="admin")

    page = panel_client.post(reverse("users:role", args=[admin.id]), {"role": "viewer"}, follow=True)
    assert "The last admin cannot be demoted" in page.content.decode()
    assert admin.profile.role == "admin"

    make_user("second", "admin")
    second = get_user_model().objects.get(username="second")
    panel_client.post(reverse("users:role", args=[second.id]), {"role": "viewer"})
    assert Profile.objects.get(user=second).role == "viewer"
    page = panel_client.post(reverse("users:remove", args=[admin.id]), follow=True)
    assert "You cannot remove yourself" in page.content.decode()
    assert get_user_model().objects.get(username="admin").is_active


@pytest.mark.django_db
def test_two_admins_cannot_demote_each_other_to_none(make_user):
    from users import members

    make_user("second", "admin")
    first, second = get_user_model().objects.order_by("id")
    members.member_role_set(user_id=first.id, role="viewer")

    with pytest.raises(members.LastAdmin):
        members.member_role_set(user_id=second.id, role="operator")


@pytest.mark.django_db(transaction=True)
def test_a_removed_user_is_logged_out_and_their_socket_closes(memory_channel_layer, panel_client, make_user):
    login = make_user("bo", "operator")
    bo_client = Client()
    bo = get_user_model().objects.get(username="bo")
    bo_client.force_login(bo)
    Job.objects.create(kind="scale", service_name="web", requested_by=bo)

    async def scenario():
        socket = WebsocketCommunicator(application, "/ws/services/", headers=ws_headers(bo_client))
        connected, _ = await socket.connect()
        assert connected
        await sync_to_async(panel_client.post)(reverse("users:remove", args=[bo.id]))
        return await socket.receive_output(timeout=5)

    closed = async_to_sync(scenario)()

    assert closed == {"type": "websocket.close", "code": CLOSE_UNAUTHENTICATED}
    assert bo_client.get(reverse("overview"))["Location"].startswith(reverse("login"))
    again = Client().post(reverse("login"), {"username": login.username, "password": login.password})
    assert again.status_code == 200  # the login form again, with its error: no session
    # The audit trail keeps their name.
    assert Job.objects.get().requested_by.username == "bo"
    assert "removed" in panel_client.get(reverse("users:list")).content.decode()
