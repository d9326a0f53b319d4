"""Retention: what the panel stores, and how long it keeps it.

One periodic task (dashboard.celery_tasks.retention_task, from the Celery beat every
SWARMDECK_RETENTION_SECONDS) runs retention_run, which removes what is past its keeping time:

- the history (tasks, their transitions, service events): SWARMDECK_HISTORY_DAYS, history.recorder;
- finished jobs: SWARMDECK_JOB_DAYS, jobs.retention (queued and running jobs stay);
- expired sessions (Django never removes them itself);
- django-axes' records: a lockout's attempts once their cool-off is over (they lock nobody out any
  more), the login and failure logs after SWARMDECK_LOGIN_LOG_DAYS;
- the open log streams of web processes that died without closing them (logs.registry).

It runs on a clock in the worker, not in the watcher: a watcher on a worker node may write only the
history, and a busy engine must not be what decides whether old rows go.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from axes.helpers import get_cool_off
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from history.recorder import history_prune
from jobs.retention import job_prune
from logs.registry import log_stream_prune

logger = logging.getLogger("swarmdeck.retention")


def session_prune() -> int:
    """Remove the expired sessions (what `clearsessions` does), counting them."""
    removed, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return removed


def login_record_prune(*, older_than: timedelta) -> int:
    """Remove django-axes' attempts past their cool-off and its logs older than `older_than`."""
    now = timezone.now()
    removed = 0
    cool_off = get_cool_off()
    if cool_off is not None:  # None: a lockout lasts until an administrator lifts it
        removed += AccessAttempt.objects.filter(attempt_time__lt=now - cool_off).delete()[0]
    for model in (AccessLog, AccessFailureLog):
        removed += model.objects.filter(attempt_time__lt=now - older_than).delete()[0]
    return removed


def retention_run() -> dict[str, int]:
    """Prune everything the panel stores; return the rows removed of each kind (logged when any)."""
    removed = {
        "history": history_prune(older_than=timedelta(days=settings.SWARMDECK_HISTORY_DAYS)),
        "jobs": job_prune(older_than=timedelta(days=settings.SWARMDECK_JOB_DAYS)),
        "sessions": session_prune(),
        "login records": login_record_prune(older_than=timedelta(days=settings.SWARMDECK_LOGIN_LOG_DAYS)),
        "log streams": log_stream_prune(),
    }
    if any(removed.values()):
        logger.info("retention removed %s", ", ".join(f"{count} {kind}" for kind, count in removed.items() if count))
    return removed
