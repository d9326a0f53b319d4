"""The first-run wizard: language, Docker check, auto-update; skippable and resumable."""

import pytest
from django.urls import reverse

from accounts.models import Installation, Profile
from updates.models import UpdatePolicy


def step(name):
    return reverse("accounts:setup_step", args=[name])


@pytest.fixture
def fresh_installation(admin_login):
    Installation.objects.update(wizard_done_at=None, wizard_step="language")


@pytest.fixture
def engine_ok(fake_engine):
    """The recorded swarm: one manager node."""
    return fake_engine


def test_setup_resumes_at_the_stored_step(panel_client, fresh_installation):
    assert panel_client.get(reverse("accounts:setup"))["Location"] == step("language")
    Installation.objects.update(wizard_step="updates")
    assert panel_client.get(reverse("accounts:setup"))["Location"] == step("updates")


def test_language_step_stores_the_choice_and_sets_the_cookie(panel_client, fresh_installation):
    response = panel_client.post(step("language"), {"language": "zh-hans", "action": "next"})

    assert response["Location"] == step("docker")
    assert response.cookies["django_language"].value == "zh-hans"
    assert Profile.objects.get().language == "zh-hans"
    assert Installation.objects.get().wizard_step == "docker"


def test_an_unknown_language_is_an_error_and_changes_nothing(panel_client, fresh_installation):
    response = panel_client.post(step("language"), {"language": "xx", "action": "next"})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert Profile.objects.get().language == ""
    assert Installation.objects.get().wizard_step == "language"


def test_docker_step_reports_a_healthy_swarm(panel_client, fresh_installation, engine_ok):
    html = panel_client.get(step("docker")).content.decode()

    assert "It is a Swarm manager." in html
    assert "The swarm has 1 node." in html


def test_docker_step_explains_an_unreachable_engine(panel_client, fresh_installation, settings):
    settings.DOCKER_HOST = "unix:///nonexistent.sock"

    html = panel_client.get(step("docker")).content.decode()

    assert "cannot be reached" in html
    assert "DOCKER_HOST" in html


def test_updates_step_stores_the_flag_and_finishes(panel_client, fresh_installation):
    response = panel_client.post(step("updates"), {"auto_update": "on", "action": "next"})

    installation = Installation.objects.get()
    assert response["Location"] == reverse("overview")
    assert UpdatePolicy.objects.get().auto_update is True
    assert installation.wizard_done_at is not None


def test_updates_step_shows_a_flag_fixed_by_the_environment_and_keeps_it(panel_client, fresh_installation, settings):
    settings.SWARMDECK_AUTO_UPDATE = True

    html = panel_client.get(step("updates")).content.decode()
    panel_client.post(step("updates"), {"action": "next"})  # the box is not there, so not ticked

    assert "SWARMDECK_AUTO_UPDATE" in html
    assert 'name="auto_update"' not in html
    assert not UpdatePolicy.objects.filter(auto_update=True).exists()


def test_back_goes_to_the_previous_step(panel_client, fresh_installation):
    assert panel_client.post(step("updates"), {"action": "back"})["Location"] == step("docker")


def test_skip_finishes_the_wizard(panel_client, fresh_installation):
    response = panel_client.post(step("language"), {"action": "skip"})

    assert response["Location"] == reverse("overview")
    assert Installation.objects.get().wizard_done_at is not None
    assert not UpdatePolicy.objects.filter(auto_update=True).exists()


def test_login_restores_the_stored_language(client, admin_login):
    Profile.objects.update(language="es")

    response = client.post(reverse("login"), {"username": admin_login.username, "password": admin_login.password})

    assert response.cookies["django_language"].value == "es"
