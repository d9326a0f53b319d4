"""The updates app without an engine: schedule, flag, the Updates page, and a check's decisions
on the fake engine (the recorded swarm, tests/fake_engine.py)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse

import engine
from jobs.models import Job
from updates import policy, runners, targets
from updates.models import UpdatePolicy, UpdateTarget

from .fake_engine import WEB

UTC = datetime.UTC
pytestmark = pytest.mark.django_db


def _at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    # November 2026: the 23rd is a Monday.
    return datetime.datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("schedule", "last", "now", "due"),
    [
        ("hourly", None, _at(26, 10), True),
        ("hourly", _at(26, 9, 30), _at(26, 10), False),
        ("hourly", _at(26, 9), _at(26, 10), True),
        ("daily", _at(25, 3), _at(26, 2, 59), False),
        ("daily", _at(25, 3), _at(26, 3, 0), True),
        ("daily", _at(26, 3, 1), _at(26, 23), False),
        ("weekly", _at(23, 3), _at(29, 23), False),  # Monday's check ran; Sunday night
        ("weekly", _at(23, 3), _at(30, 3), True),  # the next Monday at 03:00
        ("weekly", _at(16, 3), _at(23, 2), False),  # Monday, before the hour
    ],
)
def test_a_check_is_due_once_per_scheduled_moment(schedule, last, now, due):
    stored = UpdatePolicy(schedule=schedule, at=datetime.time(3, 0), weekday=0, last_check_at=last)

    assert policy.check_due(policy=stored, now=now) is due


def test_a_due_check_is_claimed_once():
    assert policy.check_claim(now=_at(26, 10)) is True
    assert policy.check_claim(now=_at(26, 10, 1)) is False


def test_the_environment_fixes_the_flag(settings):
    policy.auto_update_set(enabled=False)
    settings.SWARMDECK_AUTO_UPDATE = True

    assert policy.auto_update_get() == policy.AutoUpdate(enabled=True, fixed=True)


def test_the_updates_page_saves_the_flag_and_schedule(panel_client):
    response = panel_client.post(
        reverse("updates:settings"), {"auto_update": "on", "schedule": "daily", "at": "04:30", "weekday": "2"}
    )

    assert response.status_code == 302
    stored = UpdatePolicy.objects.get()
    assert (stored.auto_update, stored.schedule, stored.at, stored.weekday) == (True, "daily", datetime.time(4, 30), 2)


def test_bad_schedule_input_is_refused_and_changes_nothing(panel_client):
    response = panel_client.post(reverse("updates:settings"), {"schedule": "sometimes", "at": "25:99", "weekday": "9"})

    assert response.status_code == 400
    assert not UpdatePolicy.objects.filter(schedule="sometimes").exists()


def test_a_fixed_flag_is_shown_and_not_changed_by_the_page(panel_client, settings):
    settings.SWARMDECK_AUTO_UPDATE = False
    policy.auto_update_set(enabled=True)

    html = panel_client.get(reverse("updates:page")).content.decode()
    panel_client.post(reverse("updates:settings"), {"schedule": "hourly", "at": "03:00", "weekday": "0"})

    assert "SWARMDECK_AUTO_UPDATE" in html
    assert UpdatePolicy.objects.get().auto_update is True


def test_check_now_starts_a_check_job(panel_client, django_capture_on_commit_callbacks, no_enqueue):
    with django_capture_on_commit_callbacks(execute=True):
        response = panel_client.post(reverse("updates:check"))

    job = Job.objects.get()
    assert job.kind == Job.Kind.UPDATE_CHECK
    assert no_enqueue == [job.id]
    assert response["Location"] == reverse("jobs:detail", args=[job.id])


# --- a check's decisions, on a fake engine -------------------------------------------------------

DIGEST_OLD = "sha256:" + "1" * 64
DIGEST_NEW = "sha256:" + "2" * 64


def _image(reference: str, *, opted_in: bool = True):
    def change(spec: dict) -> None:
        spec["TaskTemplate"]["ContainerSpec"]["Image"] = reference
        if opted_in:
            spec["Labels"][targets.AUTOUPDATE_LABEL] = "true"

    return change


@pytest.fixture
def followed(fake_engine, no_enqueue):
    """rec-web (svc1), opted in, on DIGEST_OLD of reg:5000/app:1, whose registry holds DIGEST_NEW;
    the tests run outside a container, so the panel itself is not updated."""
    fake_engine.spec_change(WEB, _image(f"reg:5000/app:1@{DIGEST_OLD}"))
    fake_engine.distributions["reg:5000/app:1"] = DIGEST_NEW
    return fake_engine


def _check() -> Job:
    job = Job.objects.create(kind=Job.Kind.UPDATE_CHECK, service_name="", state=Job.State.RUNNING)
    runners.run_update_check(job)
    return job


def test_a_newer_digest_of_an_opted_in_service_requests_its_update(followed):
    _check()

    update = Job.objects.get(kind=Job.Kind.IMAGE_UPDATE)
    assert update.params["image"] == "reg:5000/app:1"
    assert update.params["digest"] == DIGEST_NEW
    assert update.params["service_ids"] == ["svc1"]
    assert UpdateTarget.objects.get(key="service:svc1").result == UpdateTarget.Result.UPDATING
    panel = UpdateTarget.objects.get(key=targets.PANEL_KEY)
    assert (panel.result, panel.reason) == (UpdateTarget.Result.NOT_SUPPORTED, "not_in_container")


def test_an_open_update_is_not_requested_twice(followed):
    _check()
    _check()

    assert Job.objects.filter(kind=Job.Kind.IMAGE_UPDATE).count() == 1


def test_a_rolled_back_digest_is_never_tried_again_by_itself(followed):
    _check()
    runners.target_rolled_back(key="service:svc1", digest=DIGEST_NEW, reason="task failed")
    Job.objects.filter(kind=Job.Kind.IMAGE_UPDATE).update(state=Job.State.ROLLED_BACK)

    _check()

    assert Job.objects.filter(kind=Job.Kind.IMAGE_UPDATE).count() == 1
    assert UpdateTarget.objects.get(key="service:svc1").result == UpdateTarget.Result.ROLLED_BACK_BEFORE


def test_an_unreachable_registry_is_reported_and_changes_nothing(followed):
    followed.distributions.clear()  # the engine's recorded answer: connection refused

    job = _check()

    target = UpdateTarget.objects.get(key="service:svc1")
    assert target.result == UpdateTarget.Result.REGISTRY_UNREACHABLE
    assert "connection refused" in target.detail
    assert not Job.objects.filter(kind=Job.Kind.IMAGE_UPDATE).exists()
    assert any(step["code"] == "check_registry_unreachable" for step in Job.objects.get(id=job.id).steps)


def test_the_same_digest_is_not_updated_to_again_within_the_cooldown(followed):
    _check()
    Job.objects.filter(kind=Job.Kind.IMAGE_UPDATE).update(state=Job.State.SUCCEEDED)
    runners.target_updated(key="service:svc1", digest=DIGEST_NEW)

    _check()  # the spec still names DIGEST_OLD (someone rolled back by hand): not again so soon

    assert Job.objects.filter(kind=Job.Kind.IMAGE_UPDATE).count() == 1


def test_the_updates_page_lists_targets_and_reasons(panel_client, followed):
    _check()

    html = panel_client.get(reverse("updates:page")).content.decode()

    assert "reg:5000/app:1" in html
    assert "make run" in html  # why the panel itself is not updated here
    assert 'data-result="updating"' in html
    row = re.search(r'<tr data-target="service:svc1".*?</tr>', html, re.S)[0]
    assert "<time datetime=" in row  # when it was last checked
    assert DIGEST_NEW.removeprefix("sha256:")[:12] in row  # the available digest


@pytest.mark.parametrize(
    ("reference", "parts"),
    [
        ("busybox", ("busybox", "latest", "")),
        ("reg:5000/app:1", ("reg:5000/app", "1", "")),
        ("reg:5000/app", ("reg:5000/app", "latest", "")),
        (f"reg:5000/app:1@{DIGEST_OLD}", ("reg:5000/app", "1", DIGEST_OLD)),
        (f"reg:5000/app@{DIGEST_OLD}", ("reg:5000/app", "", DIGEST_OLD)),
    ],
)
def test_image_references_are_split_like_the_cli_does(reference, parts):
    assert engine.image_reference_parts(reference) == parts


def test_a_service_pinned_to_a_digest_is_not_supported(fake_engine):
    fake_engine.spec_change(WEB, _image(f"reg:5000/app@{DIGEST_OLD}"))

    (candidate,) = targets.labelled_candidates(exclude=set())

    assert candidate.unsupported == "pinned_digest"
