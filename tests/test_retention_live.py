"""Retention on the real stack: the beat prunes on its clock while the engine keeps the watcher busy."""

from datetime import timedelta

import docker
import pytest
from axes.models import AccessAttempt, AccessLog
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from history.models import ServiceEvent, Task, TaskTransition
from jobs.models import Job
from watcher.models import Watcher

from .conftest import running_tasks, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
SECOND = 1_000_000_000
DAY = timedelta(days=1)


def _seed_old_and_recent() -> dict[str, object]:
    """Rows past the default keeping times (what must go) and rows within them (what must stay)."""
    now = timezone.now()
    old_at, recent_at = now - 31 * DAY, now - DAY
    tasks = Task.objects.bulk_create(
        Task(
            task_id=f"old-{number}",
            service_id="gone",
            state="failed",
            created_at=old_at,
            state_at=old_at,
            ended_at=old_at,
            end_cause="exit",
        )
        for number in range(3000)  # several batches of history_prune, each its own transaction
    )
    TaskTransition.objects.bulk_create(TaskTransition(task=task, state="failed", at=old_at) for task in tasks)
    ServiceEvent.objects.create(key="old", service_id="gone", at=old_at, kind=ServiceEvent.Kind.CONTAINER_DIE)
    recent_event = ServiceEvent.objects.create(
        key="recent", service_id="gone", at=recent_at, kind=ServiceEvent.Kind.CONTAINER_DIE
    )
    jobs = {}
    for name, age in (("old", 91 * DAY), ("recent", DAY)):
        jobs[name] = Job.objects.create(kind=Job.Kind.SCALE, service_name="gone", state=Job.State.SUCCEEDED)
        Job.objects.filter(pk=jobs[name].pk).update(created_at=now - age, finished_at=now - age)
    sessions = {}
    for name in ("expired", "live"):
        sessions[name] = SessionStore()
        sessions[name].create()
    Session.objects.filter(session_key=sessions["expired"].session_key).update(expire_date=now - DAY)
    access = {"username": "admin", "user_agent": "test", "http_accept": "", "path_info": "/login/"}
    old_log = AccessLog.objects.create(**access)
    AccessLog.objects.filter(pk=old_log.pk).update(attempt_time=now - 91 * DAY)
    recent_log = AccessLog.objects.create(**access)
    attempt = AccessAttempt.objects.create(**access, get_data="", post_data="", failures_since_start=5)
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=now - timedelta(hours=1))  # cool-off over
    return {
        "recent event": recent_event,
        "recent job": jobs["recent"],
        "live session": Session.objects.get(session_key=sessions["live"].session_key),
        "recent login log": recent_log,
    }


def _old_left() -> dict[str, int]:
    cutoff = timezone.now() - 30 * DAY
    return {
        name: count
        for name, count in {
            "tasks": Task.objects.filter(ended_at__lt=cutoff).count(),
            "transitions": TaskTransition.objects.filter(task__ended_at__lt=cutoff).count(),
            "events": ServiceEvent.objects.filter(at__lt=cutoff).count(),
            "jobs": Job.objects.filter(finished_at__lt=cutoff).count(),
            "sessions": Session.objects.filter(expire_date__lt=timezone.now()).count(),
            "login logs": AccessLog.objects.filter(attempt_time__lt=cutoff).count(),
            "attempts": AccessAttempt.objects.count(),
        }.items()
        if count
    }


def test_the_beat_prunes_what_is_past_its_time_while_events_keep_coming(stack, make_service):
    # A health check every 0.5 s: three container events each time (exec create, start, die).
    service = make_service(
        healthcheck=docker.types.Healthcheck(test=["CMD-SHELL", "true"], interval=SECOND // 2, timeout=SECOND)
    )
    wait_until(lambda: running_tasks(service) == 1, timeout=60, message="the service did not start")
    watcher = wait_until(
        lambda: Watcher.objects.filter(last_event_ns__isnull=False).order_by("-last_event_ns").first(),
        timeout=30,
        message="the watcher recorded no event",
    )
    kept = _seed_old_and_recent()
    assert set(_old_left()) == {"tasks", "transitions", "events", "jobs", "sessions", "login logs", "attempts"}
    cursor = Watcher.objects.get(name=watcher.name).last_event_ns

    stack.start("beat")
    try:
        wait_until(lambda: not _old_left(), timeout=60, interval=0.5, message=f"old rows are left: {_old_left()}")
    finally:
        stack.stop("beat")

    # The watcher kept following the engine meanwhile: its cursor moved on, and so does its heartbeat.
    assert Watcher.objects.get(name=watcher.name).last_event_ns > cursor
    wait_until(
        lambda: Watcher.objects.get(name=watcher.name).heartbeat_at > watcher.heartbeat_at,
        timeout=15,
        message="the watcher's heartbeat stopped",
    )
    for name, row in kept.items():
        assert type(row).objects.filter(pk=row.pk).exists(), f"the {name} was removed"
    assert Task.objects.filter(service_id=service.id).exists()  # the history being recorded stays
    assert "retention removed" in stack.log("worker")
