"""First run: the printed token, the generated credentials and the one-time activation."""

import re
import threading
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from accounts import activation, announcer
from accounts.models import Installation, SetupToken

ACTIVATE = reverse("accounts:activate")
User = get_user_model()


@pytest.fixture
def token(db) -> str:
    raw, _expiry = activation.setup_token_issue()
    return raw


def _show(client, token):
    response = client.get(ACTIVATE, {"token": token}, follow=True)
    assert response.status_code == 200
    return response, response.context["credentials"]


def _activate(client, token, nonce, username=activation.ADMIN_USERNAME):
    client.get(ACTIVATE, {"token": token})  # the link: its token goes into this client's session
    return client.post(ACTIVATE, {"nonce": nonce, "username": username})


@pytest.mark.django_db
def test_without_token_the_page_explains_where_to_find_it_and_shows_no_credentials(client):
    response = client.get(ACTIVATE)

    assert response.status_code == 403
    html = response.content.decode()
    assert "Activate Swarmdeck at" in html
    assert "make run" in html
    assert 'id="password"' not in html
    assert not User.objects.exists()


@pytest.mark.django_db
def test_a_wrong_token_is_refused(client, token):
    response = client.get(ACTIVATE, {"token": token + "x"}, follow=True)

    assert response.status_code == 403
    assert "not valid" in response.content.decode()
    assert 'id="password"' not in response.content.decode()


@pytest.mark.django_db
def test_an_expired_token_is_refused(client):
    raw, _ = activation.setup_token_issue(lifetime=timedelta(seconds=-1))

    assert client.get(ACTIVATE, {"token": raw}, follow=True).status_code == 403


@pytest.mark.django_db
def test_generated_password_is_long_random_and_unambiguous(client, token):
    _, first = _show(client, token)
    _, second = _show(client, token)

    for credentials in (first, second):
        assert len(credentials.password) >= 20
        assert not set(credentials.password) & set("0O1lIo")
        assert set(credentials.password) <= set(activation.PASSWORD_ALPHABET)
    assert first.password != second.password


@pytest.mark.django_db
def test_activate_creates_the_admin_logs_in_and_opens_the_wizard(client, token):
    _, credentials = _show(client, token)

    response = _activate(client, token, credentials.nonce)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:setup")
    user = User.objects.get()
    assert user.username == credentials.username
    assert user.is_superuser
    assert user.check_password(credentials.password)
    assert Installation.objects.get().admin == user
    assert client.get(reverse("accounts:setup"), follow=True).status_code == 200
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_a_second_submit_and_a_replay_from_another_session_change_nothing(client, token):
    _, credentials = _show(client, token)
    _activate(client, token, credentials.nonce)
    first = User.objects.get()

    again = _activate(client, token, credentials.nonce)
    replay = _activate(Client(), token, credentials.nonce)
    stolen_page = Client().get(ACTIVATE, {"token": token})

    assert again.status_code == replay.status_code == stolen_page.status_code == 302
    assert replay["Location"] == reverse("login")
    assert list(User.objects.all()) == [first]
    assert Installation.objects.count() == 1
    first.refresh_from_db()
    assert first.check_password(credentials.password)


@pytest.mark.django_db
def test_an_older_page_cannot_activate_credentials_nobody_saw(client, token):
    _, old = _show(client, token)
    _, new = _show(Client(), token)  # another tab or browser reloaded: new credentials

    response = _activate(client, token, old.nonce)

    assert response.status_code == 302
    assert not User.objects.exists()
    _activate(client, token, new.nonce)
    assert User.objects.get().check_password(new.password)


@pytest.mark.django_db(transaction=True)
def test_concurrent_submits_create_exactly_one_admin(token):
    _, credentials = _show(Client(), token)
    barrier = threading.Barrier(4)
    statuses = []

    def submit():
        from django.db import connection

        client = Client()
        barrier.wait()
        statuses.append(_activate(client, token, credentials.nonce)["Location"])
        connection.close()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert User.objects.count() == 1
    assert Installation.objects.count() == 1
    assert statuses.count(reverse("accounts:setup")) == 1
    assert statuses.count(reverse("login")) == 3


@pytest.mark.django_db
def test_installation_is_a_singleton_in_the_database(admin_login):
    from django.db import IntegrityError

    other = User.objects.create_user("second", password=activation.password_generate())
    with pytest.raises(IntegrityError):
        Installation.objects.create(admin=other)


@pytest.mark.django_db
def test_only_a_hash_of_the_token_is_stored(token):
    stored = SetupToken.objects.get()
    assert token not in stored.token_hash
    assert stored.token_hash == activation._hash(token)


@pytest.mark.django_db(transaction=True)
def test_the_announcer_prints_a_link_and_a_fresh_one_when_it_expires(settings, caplog):
    settings.SWARMDECK_SETUP_TOKEN_MINUTES = 0.002  # 120 ms
    stop = threading.Event()
    thread = threading.Thread(target=announcer.announce_until_activated, args=("http://panel:8000", stop, 0.05))
    with caplog.at_level("WARNING", logger="swarmdeck.activation"):
        thread.start()
        threading.Event().wait(0.6)
        stop.set()
        thread.join()

    tokens = re.findall(r"Activate Swarmdeck at http://panel:8000/activate/\?token=(\S+)", caplog.text)
    assert len(set(tokens)) >= 2
    assert not activation.setup_token_valid(tokens[0])


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("guessed", [True, False])
def test_a_guessed_address_comes_with_how_to_set_swarmdeck_url(caplog, guessed):
    stop = threading.Event()
    thread = threading.Thread(
        target=announcer.announce_until_activated,
        args=("http://127.0.0.1:8000", stop, 0.05),
        kwargs={"guessed": guessed},
    )
    with caplog.at_level("WARNING", logger="swarmdeck.activation"):
        thread.start()
        threading.Event().wait(0.2)
        stop.set()
        thread.join()

    token = re.search(r"/activate/\?token=(\S+)", caplog.text)[1]
    assert ("SWARMDECK_URL=http://<that address>" in caplog.text) is guessed
    assert ("open the link above with that address instead" in caplog.text) is guessed
    assert caplog.text.count(token) == 1  # the one line meant to show it


@pytest.mark.django_db(transaction=True)
def test_the_announcer_stops_once_activated(admin_login, caplog):
    stop = threading.Event()
    thread = threading.Thread(target=announcer.announce_until_activated, args=("http://panel:8000", stop, 0.01))
    with caplog.at_level("WARNING", logger="swarmdeck.activation"):
        thread.start()
        thread.join(5)

    assert not thread.is_alive()
    assert "Activate Swarmdeck" not in caplog.text
    assert not SetupToken.objects.exists()


@pytest.mark.django_db
def test_password_is_in_no_log_no_later_response_and_not_in_clear_in_the_database(client, token, caplog):
    from django.apps import apps

    with caplog.at_level("DEBUG"):
        page, credentials = _show(client, token)
        later = [_activate(client, token, credentials.nonce)]
        later.append(client.get(reverse("accounts:setup"), follow=True))
        later.append(client.get(ACTIVATE, {"token": token}, follow=True))
    password = credentials.password

    assert password in page.content.decode()
    assert page["Cache-Control"].startswith("max-age=0") or "no-store" in page["Cache-Control"]
    assert password not in caplog.text
    for response in later:
        assert password not in response.content.decode()
    for model in apps.get_models():
        for row in model.objects.values():
            assert password not in repr(row), model


@pytest.mark.django_db
def test_the_link_puts_its_token_in_the_session_and_leaves_no_trace_of_it(client, token):
    entered = client.get(ACTIVATE, {"token": token})
    page = client.get(entered["Location"])

    assert entered.status_code == 302
    assert entered["Location"] == ACTIVATE  # the address bar and the history show no token
    assert page.status_code == 200
    assert token not in page.content.decode()  # not in the language bar's "next", nor in a field


@pytest.mark.django_db
def test_a_stale_page_leads_back_to_a_clean_address(client, token):
    _, old = _show(client, token)
    _show(client, token)

    response = _activate(client, token, old.nonce)

    assert response["Location"] == ACTIVATE
    assert not User.objects.exists()


@pytest.mark.django_db
def test_the_owner_may_choose_the_user_name_before_activating(client, token):
    _, credentials = _show(client, token)

    _activate(client, token, credentials.nonce, username="ops-lead")

    user = User.objects.get()
    assert user.username == "ops-lead"
    assert user.check_password(credentials.password)


@pytest.mark.django_db
def test_a_bad_user_name_is_refused_with_fresh_credentials(client, token):
    _, credentials = _show(client, token)

    response = _activate(client, token, credentials.nonce, username="no spaces/here")

    assert response.status_code == 200
    assert "Enter a valid username" in response.content.decode()
    assert response.context["credentials"].password != credentials.password
    assert not User.objects.exists()
