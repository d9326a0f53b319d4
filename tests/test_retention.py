"""Retention: each prune removes what is past its keeping time and nothing else; the beat runs them
all on a clock (the real stack's run is in tests/test_retention_live.py)."""

import logging
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from dashboard import retention
from dashboard.celery import app
from history import recorder
from history.models import ServiceEvent, Task, TaskTransition
from jobs.models import Job
from jobs.retention import job_prune

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def _task(task_id: str, ended_at) -> Task:
    at, state, cause = (ended_at, "failed", "exit") if ended_at else (timezone.now(), "running", "")
    task = Task.objects.create(
        task_id=task_id, service_id="svc", state=state, created_at=at, state_at=at, ended_at=ended_at, end_cause=cause
    )
    TaskTransition.objects.create(task=task, state=state, at=at)
    return task


def _event(key: str, at) -> ServiceEvent:
    return ServiceEvent.objects.create(key=key, service_id="svc", at=at, kind=ServiceEvent.Kind.CONTAINER_DIE)


def _job(state: str, *, age: timedelta, finished: bool = True) -> Job:
    job = Job.objects.create(kind=Job.Kind.SCALE, service_id="svc", service_name="web", state=state)
    at = timezone.now() - age
    # created_at is auto_now_add: moved back with update().
    Job.objects.filter(pk=job.pk).update(created_at=at, started_at=at, finished_at=at if finished else None)
    return job


def _login_record(model, username: str, age: timedelta, **fields):
    record = model.objects.create(username=username, ip_address="10.0.0.9", user_agent="test", **fields)
    model.objects.filter(pk=record.pk).update(attempt_time=timezone.now() - age)  # auto_now_add
    return record


def test_history_prune_removes_old_tasks_with_their_transitions_and_old_events_a_batch_at_a_time(monkeypatch):
    monkeypatch.setattr(recorder, "PRUNE_BATCH", 2)
    now = timezone.now()
    for number in range(5):
        _task(f"old-{number}", now - 31 * DAY)
        _event(f"old-{number}", now - 31 * DAY)
    _task("recent", now - 29 * DAY)
    _task("running", None)  # not ended: however old, it is current
    _event("recent", now - DAY)

    removed = recorder.history_prune(older_than=30 * DAY)

    assert removed == 5 * 2 + 5  # each old task with its transition, and the old events
    assert set(Task.objects.values_list("task_id", flat=True)) == {"recent", "running"}
    assert TaskTransition.objects.count() == 2
    assert list(ServiceEvent.objects.values_list("key", flat=True)) == ["recent"]


def test_job_prune_removes_only_jobs_finished_before_the_limit():
    old_finished = [_job(state, age=91 * DAY) for state in Job.FINISHED_STATES]
    recent = _job(Job.State.SUCCEEDED, age=89 * DAY)
    queued = _job(Job.State.QUEUED, age=400 * DAY, finished=False)
    running = _job(Job.State.RUNNING, age=400 * DAY, finished=False)

    assert job_prune(older_than=90 * DAY) == len(old_finished)

    assert set(Job.objects.values_list("pk", flat=True)) == {recent.pk, queued.pk, running.pk}


def test_session_prune_removes_only_expired_sessions():
    expired, live = SessionStore(), SessionStore()
    for session in (expired, live):
        session["user"] = "admin"
        session.create()
    Session.objects.filter(session_key=expired.session_key).update(expire_date=timezone.now() - timedelta(seconds=1))

    assert retention.session_prune() == 1

    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]


def test_login_record_prune_removes_attempts_past_their_cool_off_and_old_logs(settings):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    attempt = {"get_data": "", "post_data": "", "failures_since_start": 5, "http_accept": "", "path_info": "/login/"}
    _login_record(AccessAttempt, "cooled", timedelta(minutes=16), **attempt)
    _login_record(AccessAttempt, "locked", timedelta(minutes=14), **attempt)
    for model in (AccessLog, AccessFailureLog):
        _login_record(model, "old", 91 * DAY)
        _login_record(model, "recent", 89 * DAY)

    assert retention.login_record_prune(older_than=90 * DAY) == 3

    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["locked"]  # still locked out
    assert list(AccessLog.objects.values_list("username", flat=True)) == ["recent"]
    assert list(AccessFailureLog.objects.values_list("username", flat=True)) == ["recent"]


def test_a_lockout_without_a_cool_off_is_kept(settings):
    settings.AXES_COOLOFF_TIME = None  # lifted by an administrator only
    attempt = {"get_data": "", "post_data": "", "failures_since_start": 5, "http_accept": "", "path_info": "/login/"}
    _login_record(AccessAttempt, "locked", 365 * DAY, **attempt)

    assert retention.login_record_prune(older_than=90 * DAY) == 0
    assert AccessAttempt.objects.exists()


def test_retention_run_uses_the_configured_days_and_logs_what_it_removed(settings, caplog):
    settings.SWARMDECK_HISTORY_DAYS, settings.SWARMDECK_JOB_DAYS, settings.SWARMDECK_LOGIN_LOG_DAYS = 3, 5, 7
    now = timezone.now()
    _task("old", now - 4 * DAY)
    _task("recent", now - 2 * DAY)
    _job(Job.State.FAILED, age=6 * DAY)
    _job(Job.State.FAILED, age=4 * DAY)
    _login_record(AccessLog, "old", 8 * DAY)
    _login_record(AccessLog, "recent", 6 * DAY)

    with caplog.at_level(logging.INFO, logger="swarmdeck.retention"):
        removed = retention.retention_run()

    assert removed == {"history": 2, "jobs": 1, "sessions": 0, "login records": 1, "log streams": 0}
    assert caplog.messages == ["retention removed 2 history, 1 jobs, 1 login records"]
    assert (Task.objects.count(), Job.objects.count(), AccessLog.objects.count()) == (1, 1, 1)

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="swarmdeck.retention"):
        retention.retention_run()
    assert caplog.messages == []  # nothing removed, nothing said


def test_the_beat_runs_the_retention_hourly():
    entry = settings.CELERY_BEAT_SCHEDULE["retention"]
    app.loader.import_default_modules()  # what a worker does: autodiscover the celery_tasks modules

    assert entry["task"] in app.tasks
    assert entry["schedule"] == 3600.0


def test_the_watcher_leaves_old_history_to_the_retention(monkeypatch):
    from watcher.loop import SwarmWatcher

    _task("old", timezone.now() - 400 * DAY)
    watcher = SwarmWatcher(name="calm")
    monkeypatch.setattr(watcher, "status", lambda *args: None)

    watcher.housekeeping()  # its first round (it used to prune there, then hourly)

    assert Task.objects.filter(task_id="old").exists()
