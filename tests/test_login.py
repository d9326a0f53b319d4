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
def test_a_guesser_cannot_lock_the_administrator_out_from_another_address(admin_login, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(Client(), admin_login.username, "wrong", ip="10.0.1.1")

    assert _login(Client(), admin_login.username, admin_login.password, ip="10.0.1.1").status_code == 429
    assert _login(Client(), admin_login.username, admin_login.password, ip="10.0.1.2").status_code == 302


@pytest.mark.django_db
def test_behind_a_trusted_proxy_each_client_is_counted_alone(admin_login, settings):
    settings.SWARMDECK_TRUSTED_PROXIES = ["10.5.0.0/16"]

    def through_proxy(password, client_ip):
        return Client().post(
            LOGIN,
            {"username": admin_login.username, "password": password},
            REMOTE_ADDR="10.5.0.2",
            # The client's own header first, then the proxy's entry: only the proxy's is believed.
            HTTP_X_FORWARDED_FOR=f"1.2.3.4, {client_ip}",
        )

    for _ in range(settings.AXES_FAILURE_LIMIT):
        through_proxy("wrong", "203.0.113.7")

    assert through_proxy(admin_login.password, "203.0.113.7").status_code == 429
    assert through_proxy(admin_login.password, "203.0.113.8").status_code == 302


@pytest.mark.django_db
def test_forwarded_headers_from_anyone_else_are_ignored(admin_login, settings):
    settings.SWARMDECK_TRUSTED_PROXIES = ["10.5.0.0/16"]
    # A guesser that names a fresh address in each request is still one address.
    for number in range(settings.AXES_FAILURE_LIMIT):
        Client().post(
            LOGIN,
            {"username": admin_login.username, "password": "wrong"},
            REMOTE_ADDR="198.51.100.9",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{number}",
        )

    assert _login(Client(), admin_login.username, admin_login.password, ip="198.51.100.9").status_code == 429


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
def test_reset_admin_password_lifts_the_locks_of_every_address(admin_login, settings, capsys):
    for number in range(settings.AXES_FAILURE_LIMIT):
        _login(Client(), f"guess{number}", "wrong", ip="10.0.3.1")

    call_command("reset_admin_password")

    new_password = capsys.readouterr().out.strip().rsplit(": ", 1)[1]
    assert _login(Client(), admin_login.username, new_password, ip="10.0.3.1").status_code == 302


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
