"""Jobs: every change the panel makes to the swarm, requested here and run by a Celery worker.

A job is claimed with a conditional update (queued, or running with a stale heartbeat after a
worker died), so a redelivered message never runs it twice at once; each runner checks the
engine's state before acting, so a resumed job never applies its change twice. After the API
call the job follows the rollout until Swarm reports it completed, paused or rolled back.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import live, specs, swarm
from .models import Job

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
LOST_QUEUED_SECONDS = 60  # a queued job not claimed by then is handed to the worker again
POLL = 0.5  # seconds between two looks at the rollout
SETTLE = 3.0  # seconds a change without rolling update may take to show up as converged
# Seconds the tasks may stay short of the desired count once Swarm considers the rollout done
# (tasks failing, no node with room...) before the job fails with their error.
CONVERGE_GRACE = 30.0


class JobHandedOver(Exception):
    """Another process finishes this job (the update helper that replaces the panel's container)."""


class JobOutcome(Exception):
    """The job ended other than succeeded: a state, an error code and its parameters."""

    def __init__(self, state: str, code: str, detail: str = "", **params) -> None:
        super().__init__(code)
        self.state, self.code, self.detail, self.params = state, code, detail, params


# --- requesting -------------------------------------------------------------------------------


def job_request(*, kind: str, service_name: str, service_id: str = "", params: dict | None = None, user=None) -> Job:
    """Persist a job and hand it to the worker once the row is committed."""
    user = user if user is not None and user.is_authenticated else None
    job = Job.objects.create(
        kind=kind,
        service_id=service_id,
        service_name=service_name,
        params=params or {},
        requested_by=user,
        steps=[_step("queued", user=user.get_username() if user else "-")],
    )
    transaction.on_commit(lambda: _enqueue(job.id))
    return job


def job_scale_request(*, service: swarm.ServiceSummary, replicas: int, user=None) -> Job:
    return job_request(
        kind=Job.Kind.SCALE, service_id=service.id, service_name=service.name, params={"replicas": replicas}, user=user
    )


def job_create_request(*, values: dict, user=None) -> Job:
    return job_request(kind=Job.Kind.CREATE, service_name=values["name"], params={"values": values}, user=user)


def job_update_request(*, service: swarm.ServiceSummary, groups: dict, user=None) -> Job:
    return job_request(
        kind=Job.Kind.UPDATE, service_id=service.id, service_name=service.name, params={"groups": groups}, user=user
    )


def job_redeploy_request(*, service: swarm.ServiceSummary, force_update: int, user=None) -> Job:
    return job_request(
        kind=Job.Kind.REDEPLOY,
        service_id=service.id,
        service_name=service.name,
        params={"force_update": force_update},
        user=user,
    )


def job_rollback_request(*, service: swarm.ServiceSummary, user=None) -> Job:
    # The version the user looked at: the rollback is sent only from there, never twice.
    params = {"from_version": service.version}
    return job_request(
        kind=Job.Kind.ROLLBACK, service_id=service.id, service_name=service.name, params=params, user=user
    )


def job_remove_request(*, service: swarm.ServiceSummary, user=None) -> Job:
    return job_request(kind=Job.Kind.REMOVE, service_id=service.id, service_name=service.name, user=user)


def _enqueue(job_id: int) -> None:
    from .tasks import run_job_task

    try:
        run_job_task.apply_async((job_id,), retry=True, retry_policy=settings.CELERY_TASK_PUBLISH_RETRY_POLICY)
    except Exception as exc:  # kombu/redis raise several types; all mean "not queued"
        logger.warning("could not enqueue job %s: %s", job_id, exc)
        job_finish(job_id, Job.State.FAILED, code="queue_down", detail=str(exc))


# --- running ----------------------------------------------------------------------------------


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


def job_run(*, job_id: int) -> None:
    """Run one job; safe to call for a job another worker runs or has finished (it returns)."""
    job = job_claim(job_id=job_id)
    if job is None:
        logger.info("job %s is not mine to run", job_id)
        return
    try:
        _RUNNERS[job.kind](job)
    except JobHandedOver:
        return
    except JobOutcome as outcome:
        job_finish(job.id, outcome.state, code=outcome.code, detail=outcome.detail, **outcome.params)
    except swarm.SwarmError as exc:
        job_finish(job.id, Job.State.FAILED, code=exc.code, detail=exc.detail or exc.message)
    except Exception as exc:
        logger.exception("job %s crashed", job.id)
        job_finish(job.id, Job.State.FAILED, code="crashed", detail=repr(exc))
    else:
        job_step(job, "succeeded")
        job_finish(job.id, Job.State.SUCCEEDED)


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
        _enqueue(job_id)
        count += 1
    return count


def job_reap_stale() -> int:
    """Fail running jobs whose worker stopped and that no worker resumed."""
    limit = settings.SWARMDECK_JOB_REAP_SECONDS
    cutoff = timezone.now() - timedelta(seconds=limit)
    reaped = 0
    for job_id in Job.objects.filter(state=Job.State.RUNNING, heartbeat_at__lt=cutoff).values_list("id", flat=True):
        still_stale = Job.objects.filter(id=job_id, state=Job.State.RUNNING, heartbeat_at__lt=cutoff)
        stopped = _append_step(
            still_stale,
            "stale",
            {"seconds": limit},
            state=Job.State.FAILED,
            error_code="stale",
            error="",
            finished_at=timezone.now(),
        )
        if stopped:
            live.publish_job_changed(job_id=job_id, state=Job.State.FAILED)
            reaped += 1
    return reaped


def _step(code: str, **params) -> dict:
    return {"at": timezone.now().isoformat(), "code": code, "params": params}


def _append_step(rows, code: str, params: dict, **updates) -> list | None:
    """Append a step to the job ``rows`` selects (with ``updates``), under the row's write lock:
    two processes writing one job (the update helper and a worker) never lose a step. None when
    ``rows`` selects nothing (e.g. the job is no longer in the state the caller expected)."""
    with transaction.atomic():
        steps = rows.select_for_update().values_list("steps", flat=True).first()
        if steps is None:
            return None
        steps = [*steps, _step(code, **params)]
        rows.update(steps=steps, **updates)
    return steps


def job_step(job: Job, code: str, **params) -> None:
    steps = _append_step(Job.objects.filter(id=job.id), code, params, heartbeat_at=timezone.now())
    job.steps = steps if steps is not None else job.steps
    _publish(job)


def _publish(job: Job) -> None:
    live.publish_job_changed(job_id=job.id, state=job.state)
    if job.service_id:
        live.publish_service_changed(service_id=job.service_id, action="job")


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
        live.publish_job_changed(job_id=job_id, state=state)
    return bool(ended)


# --- the runners: act once, then follow the rollout -------------------------------------------


def _run_create(job: Job) -> None:
    values = job.params["values"]
    existing = swarm.service_find(name=values["name"])
    if existing and existing.labels.get("swarmdeck.job") == str(job.id):
        service_id = existing.id
        job_step(job, "adopted", name=values["name"])
    else:
        # A name taken by another service is refused by the engine, in its own words.
        service_id = swarm.service_create(spec=specs.spec_create(name=values["name"], values=values, job_id=job.id))
        job_step(job, "created", name=values["name"])
    Job.objects.filter(id=job.id).update(service_id=service_id)
    job.service_id = service_id
    rollout_follow(job, expect_update=False)


def _run_update(job: Job) -> None:
    groups = job.params["groups"]
    changed = _update(job, lambda spec: specs.spec_apply(spec, groups))
    job_step(job, "updated" if changed else "unchanged")
    rollout_follow(job, expect_update=changed)


def _run_scale(job: Job) -> None:
    replicas = int(job.params["replicas"])
    swarm.service_scale(service_id=job.service_id, replicas=replicas)
    job_step(job, "scaled", replicas=replicas)
    rollout_follow(job, expect_update=False)


def _run_redeploy(job: Job) -> None:
    target = int(job.params["force_update"])

    def force(spec: dict) -> dict:
        template = spec.setdefault("TaskTemplate", {})
        # Idempotent: a resumed job finds the counter already at its target and sends nothing.
        template["ForceUpdate"] = max(template.get("ForceUpdate", 0), target)
        return spec

    changed = _update(job, force)
    job_step(job, "redeployed" if changed else "unchanged")
    rollout_follow(job, expect_update=changed)


def _run_rollback(job: Job) -> None:
    sent = swarm.service_rollback(service_id=job.service_id, from_version=job.params["from_version"])
    job_step(job, "rollback_sent" if sent else "rollback_already")
    rollout_follow(job, expect_update=True)


def _run_remove(job: Job) -> None:
    try:
        swarm.service_remove(service_id=job.service_id)
    except swarm.ServiceNotFound:
        if job.attempts == 1:
            raise
        # An earlier attempt removed it before its worker stopped.
    job_step(job, "removed")


def _update(job: Job, change) -> bool:
    tries = []

    def counted(spec: dict) -> dict:
        tries.append(1)
        if len(tries) > 1:
            job_step(job, "conflict_retry", attempt=len(tries))
        return change(copy.deepcopy(spec))

    return swarm.service_update(
        service_id=job.service_id, change=counted, retries=settings.SWARMDECK_JOB_CONFLICT_RETRIES
    )


def rollout_follow(job: Job, *, expect_update: bool, service_id: str = "") -> None:
    """Watch the rollout of the job's service (or ``service_id``) until Swarm says how it ended."""
    service_id = service_id or job.service_id
    timeout = settings.SWARMDECK_ROLLOUT_TIMEOUT
    begun = time.monotonic()
    started_at = Job.objects.values_list("started_at", flat=True).get(id=job.id) - timedelta(seconds=1)
    last = (None, None, None)
    short_since = None
    while True:
        detail = swarm.service_detail(service_id=service_id)
        update = detail.update_status
        fresh = update if update and update.started_at and update.started_at >= started_at else None
        summary = detail.summary
        if fresh and fresh.state in ("updating", "rollback_started", "paused", "rollback_paused"):
            tasks = swarm.task_list(service_id=summary.id, desired_running=True)
            done = sum(1 for t in tasks if t.state == "running" and t.created_at >= fresh.started_at)
        else:
            done = summary.tasks_running
        state = fresh.state if fresh else ""
        if (state, done, summary.tasks_desired) != last:
            last = (state, done, summary.tasks_desired)
            Job.objects.filter(id=job.id).update(
                progress_done=min(done, summary.tasks_desired), progress_total=summary.tasks_desired, update_state=state
            )
            if state:
                job_step(job, "update_state", state=state)
                job_step(job, "progress", done=min(done, summary.tasks_desired), total=summary.tasks_desired)
            else:
                job_step(job, "converged", running=summary.tasks_running, desired=summary.tasks_desired)
        else:
            Job.objects.filter(id=job.id).update(heartbeat_at=timezone.now())
        if _ended(job, fresh, summary, expect_update, time.monotonic() - begun):
            return
        if (fresh is None or fresh.state == "completed") and summary.tasks_running < summary.tasks_desired:
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
        time.sleep(POLL)


def _task_trouble(service_id: str) -> str:
    """The latest error or status message among the service's tasks, in the engine's words."""
    tasks = sorted(swarm.task_list(service_id=service_id), key=lambda t: t.state_at, reverse=True)
    return next((t.error or t.message for t in tasks if t.error), tasks[0].message if tasks else "")


def _ended(job: Job, update: swarm.UpdateStatus | None, summary: swarm.ServiceSummary, expect_update, waited) -> bool:
    """True when the rollout succeeded; raises JobOutcome when it ended otherwise."""
    converged = summary.tasks_running == summary.tasks_desired
    if update is not None:
        message = update.message
        if update.state == "completed":
            return converged
        if update.state == "paused":
            raise JobOutcome(Job.State.PAUSED, "paused", detail=message, message=message)
        if update.state == "rollback_paused":
            raise JobOutcome(Job.State.PAUSED, "rollback_paused", detail=message, message=message)
        if update.state == "rollback_completed":
            if job.kind == Job.Kind.ROLLBACK:
                return converged
            raise JobOutcome(Job.State.ROLLED_BACK, "rolled_back", detail=message, message=message)
        return False
    # No rolling update (create, scale, or a change that replaces no task): converged is done.
    return converged and (not expect_update or waited > SETTLE)


def runner_register(*, kind: str, runner: Callable[[Job], None]) -> None:
    """Let another app run a job kind (updates: checks and image updates)."""
    _RUNNERS[kind] = runner


_RUNNERS: dict[str, Callable[[Job], None]] = {
    Job.Kind.CREATE: _run_create,
    Job.Kind.UPDATE: _run_update,
    Job.Kind.SCALE: _run_scale,
    Job.Kind.REDEPLOY: _run_redeploy,
    Job.Kind.ROLLBACK: _run_rollback,
    Job.Kind.REMOVE: _run_remove,
}
