"""Running jobs: the worker's side. Every state change goes through jobs.states.

A job is claimed with a conditional update (queued, or running with a stale heartbeat after a
worker died), so a redelivered message never runs it twice at once; each kind's runner (registered
by the app that owns the kind: services.runners, updates.runners) checks the engine's state before
acting, so a resumed or retried job never applies its change twice. After the API call the job
follows the rollout until Swarm reports it completed, paused or rolled back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

import engine
from history.labels import UpdateState

from . import requests as job_requests
from .models import Job
from .states import job_claim, job_finish, job_heartbeat, job_progress, job_reap, job_step

logger = logging.getLogger(__name__)

LOST_QUEUED_SECONDS = 60  # a queued job not claimed by then is handed to the worker again
# Seconds between two looks at the rollout: POLL while it moves, then longer and longer up to
# POLL_MAX while nothing changes (a health check's start period, a slow pull), so fifty rollouts
# followed at once do not keep the manager busy answering the same question.
POLL = 0.5
POLL_MAX = 2.0
SETTLE = 3.0  # seconds a change without rolling update may take to show up as converged
# Seconds the tasks may stay short of the desired count once Swarm considers the rollout done
# (tasks failing, no node with room...) before the job fails with their error.
CONVERGE_GRACE = 30.0
# Swarm is replacing tasks, or stopped part-way: progress counts the tasks made since it began.
UPDATE_STATES_UNDER_WAY = frozenset(
    {UpdateState.UPDATING, UpdateState.ROLLBACK_STARTED, UpdateState.PAUSED, UpdateState.ROLLBACK_PAUSED}
)


class JobHandedOver(Exception):
    """Another process finishes this job (the update helper that replaces the panel's container)."""


class JobStopped(Exception):
    """The job is no longer running (reaped, or finished by another process): stop without a word."""


class JobOutcome(Exception):
    """The job ended other than succeeded: a state, an error code and its parameters."""

    def __init__(self, state: str, code: str, detail: str = "", **params) -> None:
        super().__init__(code)
        self.state, self.code, self.detail, self.params = state, code, detail, params


def job_run(*, job_id: int) -> None:
    """Run one job; safe to call for a job another worker runs or has finished (it returns)."""
    job = job_claim(job_id=job_id)
    if job is None:
        logger.info("job %s is not mine to run", job_id)
        return
    try:
        _run_with_retries(job)
    except (JobHandedOver, JobStopped):
        return
    except JobOutcome as outcome:
        job_finish(job.id, outcome.state, code=outcome.code, detail=outcome.detail, **outcome.params)
    except engine.EngineError as exc:
        job_finish(job.id, Job.State.FAILED, code=exc.code, detail=exc.detail)
    except Exception as exc:
        logger.exception("job %s crashed", job.id)
        job_finish(job.id, Job.State.FAILED, code="crashed", detail=repr(exc))
    else:
        job_step(job, "succeeded")
        job_finish(job.id, Job.State.SUCCEEDED)


def _run_with_retries(job: Job) -> None:
    """Run the kind's runner; a transient engine error (refused connection, timeout, 5xx) runs it
    again after a pause that doubles each time. Runners are idempotent, so a retry is safe."""
    retries = settings.SWARMDECK_JOB_ENGINE_RETRIES
    delay = settings.SWARMDECK_JOB_ENGINE_RETRY_SECONDS
    for attempt in range(1, retries + 2):
        try:
            _RUNNERS[job.kind](job)
            return
        except engine.EngineError as exc:
            if not exc.transient or attempt > retries:
                raise
            job_step(job, "engine_retry", attempt=attempt, seconds=delay, detail=exc.detail[:200])
            time.sleep(delay)
            delay *= 2


def job_resume_lost() -> int:
    """Hand the worker again the jobs whose message was lost: queued for a minute, or running with
    a stale heartbeat (its worker was replaced, e.g. by the panel's own update, and the broker went
    with it). The claim is conditional, so a job that is in fact running is never run twice."""
    now = timezone.now()
    lost = Job.objects.filter(
        Q(state=Job.State.QUEUED, created_at__lt=now - timedelta(seconds=LOST_QUEUED_SECONDS))
        | Q(
            state=Job.State.RUNNING,
            heartbeat_at__lt=now - timedelta(seconds=settings.SWARMDECK_JOB_STALE_SECONDS),
            heartbeat_at__gte=now - timedelta(seconds=settings.SWARMDECK_JOB_REAP_SECONDS),
        )
    ).values_list("id", flat=True)
    count = 0
    for job_id in lost:
        job_requests.job_enqueue(job_id)
        count += 1
    return count


def job_reap_stale() -> int:
    """Fail running jobs whose worker stopped and that no worker resumed."""
    limit = settings.SWARMDECK_JOB_REAP_SECONDS
    cutoff = timezone.now() - timedelta(seconds=limit)
    stale = Job.objects.filter(state=Job.State.RUNNING, heartbeat_at__lt=cutoff).values_list("id", flat=True)
    return sum(job_reap(job_id=job_id, cutoff=cutoff, seconds=limit) for job_id in stale)


def rollout_follow(job: Job, *, expect_update: bool, service_id: str = "") -> None:
    """Watch the rollout of the job's service (or ``service_id``) until Swarm says how it ended."""
    service_id = service_id or job.service_id
    timeout = settings.SWARMDECK_ROLLOUT_TIMEOUT
    begun = time.monotonic()
    started_at = Job.objects.values_list("started_at", flat=True).get(id=job.id) - timedelta(seconds=1)
    last = (None, None, None)
    short_since = None
    pause = POLL
    while True:
        detail = engine.service_detail(service_id=service_id)
        update = detail.update_status
        fresh = update if update and update.started_at and update.started_at >= started_at else None
        summary = detail.summary
        if fresh and fresh.state in UPDATE_STATES_UNDER_WAY:
            tasks = engine.task_list(service_id=summary.id, desired_running=True)
            done = sum(1 for t in tasks if t.state == "running" and t.created_at >= fresh.started_at)
        else:
            done = summary.tasks_running
        state = fresh.state if fresh else ""
        if (state, done, summary.tasks_desired) != last:
            last = (state, done, summary.tasks_desired)
            pause = POLL
            job_progress(job, done=min(done, summary.tasks_desired), total=summary.tasks_desired, update_state=state)
            if state:
                job_step(job, "update_state", state=state)
                job_step(job, "progress", done=min(done, summary.tasks_desired), total=summary.tasks_desired)
            else:
                job_step(job, "converged", running=summary.tasks_running, desired=summary.tasks_desired)
        elif not job_heartbeat(job):
            raise JobStopped(job.id)
        else:
            pause = min(pause * 1.5, POLL_MAX)
        if _rollout_done(job, fresh, summary, expect_update, time.monotonic() - begun):
            return
        if (fresh is None or fresh.state == UpdateState.COMPLETED) and summary.tasks_running < summary.tasks_desired:
            short_since = short_since or time.monotonic()
            if time.monotonic() - short_since > CONVERGE_GRACE:
                raise JobOutcome(
                    Job.State.FAILED,
                    "not_converged",
                    detail=_task_trouble(summary.id),
                    running=summary.tasks_running,
                    desired=summary.tasks_desired,
                    seconds=int(CONVERGE_GRACE),
                )
        else:
            short_since = None
        if time.monotonic() - begun > timeout:
            raise JobOutcome(Job.State.FAILED, "timeout", seconds=timeout)
        time.sleep(pause)


def _task_trouble(service_id: str) -> str:
    """The latest error or status message among the service's tasks, in the engine's words."""
    tasks = sorted(engine.task_list(service_id=service_id), key=lambda t: t.state_at, reverse=True)
    return next((t.error or t.message for t in tasks if t.error), tasks[0].message if tasks else "")


def _rollout_done(
    job: Job, update: engine.UpdateStatus | None, summary: engine.ServiceSummary, expect_update: bool, waited: float
) -> bool:
    """True when the rollout succeeded; raises JobOutcome when it ended otherwise."""
    converged = summary.tasks_running == summary.tasks_desired
    if update is not None:
        message = update.message
        if update.state == UpdateState.COMPLETED:
            return converged
        if update.state == UpdateState.PAUSED:
            raise JobOutcome(Job.State.PAUSED, "paused", detail=message, message=message)
        if update.state == UpdateState.ROLLBACK_PAUSED:
            raise JobOutcome(Job.State.PAUSED, "rollback_paused", detail=message, message=message)
        if update.state == UpdateState.ROLLBACK_COMPLETED:
            if job.kind == Job.Kind.ROLLBACK:
                return converged
            raise JobOutcome(Job.State.ROLLED_BACK, "rolled_back", detail=message, message=message)
        return False
    # No rolling update (create, scale, or a change that replaces no task): converged is done.
    return converged and (not expect_update or waited > SETTLE)


def runner_register(*, kind: str, runner: Callable[[Job], None]) -> None:
    """Let the app that owns a job kind run it (services.runners, updates.runners)."""
    _RUNNERS[kind] = runner


_RUNNERS: dict[str, Callable[[Job], None]] = {}
