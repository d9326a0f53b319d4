"""Login, brute-force locks, password change and the shell's password reset."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

LOGIN = reverse("login")


def _login(client, username, password, ip="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_login_with_the_right_password(client, admin_login):
    response = _login(client, admin_login.username, admin_login.password)

    assert response.status_code == 302
    assert response["Location"] == reverse("overview")


@pytest.mark.django_db
def test_a_wrong_password_says_so(client, admin_login):
    response = _login(client, admin_login.username, "not-the-password")

    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


@pytest.mark.django_db
def test_after_the_limit_even_the_right_password_is_refused(client, admin_login, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, admin_login.username, "wrong")

    response = _login(client, admin_login.username, admin_login.password)

    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_user_name_is_locked_from_every_address(admin_login, settings):
    for number in range(settings.AXES_FAILURE_LIMIT):
        _login(Client(), admin_login.username, "wrong", ip=f"10.0.1.{number}")

    assert _login(Client(), admin_login.username, admin_login.password, ip="10.9.9.9").status_code == 429


@pytest.mark.django_db
def test_an_address_is_locked_whatever_user_name_it_tries(admin_login, settings):
    for number in range(settings.AXES_FAILURE_LIMIT):
        _login(Client(), f"guess{number}", "wrong", ip="10.0.2.1")

    assert _login(Client(), admin_login.username, admin_login.password, ip="10.0.2.1").status_code == 429
    assert _login(Client(), admin_login.username, admin_login.password, ip="10.0.2.2").status_code == 302


@pytest.mark.django_db
def test_reset_admin_password_prints_a_new_one_and_lifts_the_lock(admin_login, settings, capsys):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(Client(), admin_login.username, "wrong")

    call_command("reset_admin_password")

    new_password = capsys.readouterr().out.strip().rsplit(": ", 1)[1]
    assert len(new_password) >= 20
    assert new_password != admin_login.password
    assert _login(Client(), admin_login.username, admin_login.password).status_code == 200
    assert _login(Client(), admin_login.username, new_password).status_code == 302


@pytest.mark.django_db
def test_reset_admin_password_before_activation_explains(capsys):
    with pytest.raises(CommandError, match="not activated"):
        call_command("reset_admin_password")


@pytest.mark.django_db
def test_password_change(panel_client, admin_login):
    new = "a-new-Passphrase-for-the-panel-42"
    response = panel_client.post(
        reverse("accounts:password_change"),
        {"old_password": admin_login.password, "new_password1": new, "new_password2": new},
        follow=True,
    )

    assert "Your password was changed." in response.content.decode()
    assert get_user_model().objects.get().check_password(new)


@pytest.mark.django_db
def test_logout_is_a_post_and_ends_the_session(panel_client):
    response = panel_client.post(reverse("logout"))

    assert response["Location"] == LOGIN
    assert panel_client.get(reverse("overview"))["Location"].startswith(LOGIN)
