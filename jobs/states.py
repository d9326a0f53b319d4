"""Every change of a job's row: conditional updates that cannot go backwards.

A job moves queued → running → one finished state, and each write names the state it expects:
zero rows updated means another process got there first, and the caller stops. Steps are
appended under the row's write lock, so two writers (a worker and the update helper) never lose one.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from live import push

from .models import Job

MAX_ATTEMPTS = 3


def step_new(code: str, **params) -> dict:
    """One step: a code of jobs.messages.STEPS (or "error:" and a code of ERRORS), worded when read."""
    return {"at": timezone.now().isoformat(), "code": code, "params": params}


def _append_step(rows: QuerySet[Job], code: str, params: dict, **updates) -> list | None:
    """Append a step to the job ``rows`` selects (with ``updates``), under the row's write lock.
    None when ``rows`` selects nothing (the job is no longer in the state the caller expected)."""
    with transaction.atomic():
        steps = rows.select_for_update().values_list("steps", flat=True).first()
        if steps is None:
            return None
        steps = [*steps, step_new(code, **params)]
        rows.update(steps=steps, **updates)
    return steps


def job_claim(*, job_id: int) -> Job | None:
    """Take the job if it is queued, or running on a worker that stopped answering."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.SWARMDECK_JOB_STALE_SECONDS)
    claimed = (
        Job.objects.filter(id=job_id)
        .filter(Q(state=Job.State.QUEUED) | Q(state=Job.State.RUNNING, heartbeat_at__lt=stale))
        .update(
            state=Job.State.RUNNING,
            heartbeat_at=now,
            started_at=Coalesce(F("started_at"), now),
            attempts=F("attempts") + 1,
        )
    )
    if not claimed:
        return None
    job = Job.objects.get(id=job_id)
    if job.attempts > MAX_ATTEMPTS:
        job_finish(job_id, Job.State.FAILED, code="too_many_attempts", attempts=MAX_ATTEMPTS)
        return None
    job_step(job, "claimed" if job.attempts == 1 else "resumed", attempt=job.attempts)
    return job


def job_step(job: Job, code: str, **params) -> bool:
    """Record progress of a running job (and its heartbeat); False when the job is no longer running,
    which then takes no more steps. Never raises for that: the update helper must finish putting the
    panel's container back whatever the row says."""
    running = Job.objects.filter(id=job.id, state=Job.State.RUNNING)
    steps = _append_step(running, code, params, heartbeat_at=timezone.now())
    if steps is None:
        return False
    job.steps = steps
    _publish(job)
    return True


def job_heartbeat(job: Job) -> bool:
    """Say the job's worker is alive; False when the job is no longer running (reaped)."""
    return bool(Job.objects.filter(id=job.id, state=Job.State.RUNNING).update(heartbeat_at=timezone.now()))


def job_progress(job: Job, *, done: int, total: int, update_state: str) -> None:
    Job.objects.filter(id=job.id, state=Job.State.RUNNING).update(
        progress_done=done, progress_total=total, update_state=update_state, heartbeat_at=timezone.now()
    )


def job_finish(job_id: int, state: str, *, code: str = "", detail: str = "", **params) -> bool:
    """End a job, once: a finished job never changes state again (False then)."""
    unfinished = Job.objects.filter(id=job_id).exclude(state__in=Job.FINISHED_STATES)
    if code:
        ended = _append_step(
            unfinished, f"error:{code}", params, state=state, finished_at=timezone.now(), error_code=code, error=detail
        )
    else:
        ended = unfinished.update(state=state, finished_at=timezone.now())
    if ended:
        _publish_state(job_id, state)
    return bool(ended)


def job_reap(*, job_id: int, cutoff, seconds: int) -> bool:
    """Fail a running job whose heartbeat is older than ``cutoff``, unless it moved meanwhile."""
    still_stale = Job.objects.filter(id=job_id, state=Job.State.RUNNING, heartbeat_at__lt=cutoff)
    stopped = _append_step(
        still_stale,
        "stale",
        {"seconds": seconds},
        state=Job.State.FAILED,
        error_code="stale",
        error="",
        finished_at=timezone.now(),
    )
    if stopped:
        _publish_state(job_id, Job.State.FAILED)
    return stopped is not None


def _publish(job: Job) -> None:
    # The service's page lists its jobs, so it hears of them too.
    push.publish_job_changed(job_id=job.id, state=job.state, service_id=job.service_id)


def _publish_state(job_id: int, state: str) -> None:
    service_id = Job.objects.filter(id=job_id).values_list("service_id", flat=True).first() or ""
    push.publish_job_changed(job_id=job_id, state=state, service_id=service_id)
