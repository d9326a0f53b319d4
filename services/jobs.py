"""Jobs: every change the panel makes to the swarm, requested here and run by a Celery worker."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import live, swarm
from .models import Job

logger = logging.getLogger(__name__)

CONVERGE_TIMEOUT = 120  # seconds a job waits for the tasks to reach the requested count
CONVERGE_POLL = 0.5


class JobFailed(Exception):
    """The job could not reach its goal; the message says why, in the user's words."""


def job_scale_request(*, service: swarm.ServiceSummary, replicas: int, user=None) -> Job:
    """Persist a scale job and hand it to the worker once the row is committed."""
    job = Job.objects.create(
        kind=Job.Kind.SCALE,
        service_id=service.id,
        service_name=service.name,
        params={"replicas": replicas},
        requested_by=user if user and user.is_authenticated else None,
    )
    transaction.on_commit(lambda: _enqueue(job.id))
    return job


def _enqueue(job_id: int) -> None:
    from .tasks import run_job_task

    try:
        run_job_task.apply_async((job_id,), retry=True, retry_policy=settings.CELERY_TASK_PUBLISH_RETRY_POLICY)
    except Exception as exc:  # kombu/redis raise several types; all mean "not queued"
        logger.warning("could not enqueue job %s: %s", job_id, exc)
        _finish(
            job_id,
            Job.State.FAILED,
            error=_("The job queue (Redis) cannot be reached, so the job was not started: {reason}").format(reason=exc),
        )


def job_run(*, job_id: int) -> None:
    """Run one job. Safe to call twice: only the caller that claims a queued row acts."""
    claimed = Job.objects.filter(id=job_id, state=Job.State.QUEUED).update(
        state=Job.State.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now()
    )
    if not claimed:
        logger.info("job %s is not queued any more; nothing to do", job_id)
        return
    job = Job.objects.get(id=job_id)
    Job.objects.filter(id=job_id).update(attempts=job.attempts + 1)
    live.publish_job_changed(job_id=job_id, state=Job.State.RUNNING)
    try:
        message = _RUNNERS[job.kind](job)
    except swarm.SwarmError as exc:
        _finish(job_id, Job.State.FAILED, error=exc.describe())
    except JobFailed as exc:
        _finish(job_id, Job.State.FAILED, error=str(exc))
    except Exception as exc:
        logger.exception("job %s crashed", job_id)
        _finish(job_id, Job.State.FAILED, error=_("Unexpected error: {error}").format(error=exc))
    else:
        _finish(job_id, Job.State.SUCCEEDED, message=message)


def _finish(job_id: int, state: str, *, message: str = "", error: str = "") -> None:
    Job.objects.filter(id=job_id).update(state=state, message=message, error=error, finished_at=timezone.now())
    live.publish_job_changed(job_id=job_id, state=state)


def _heartbeat(job_id: int) -> None:
    Job.objects.filter(id=job_id).update(heartbeat_at=timezone.now())


def _run_scale(job: Job) -> str:
    replicas = int(job.params["replicas"])
    service = swarm.service_scale(service_id=job.service_id, replicas=replicas)
    deadline = time.monotonic() + CONVERGE_TIMEOUT
    while service.tasks_running != replicas:
        if time.monotonic() > deadline:
            raise JobFailed(
                _("{running} of {replicas} tasks running after {seconds} seconds.").format(
                    running=service.tasks_running, replicas=replicas, seconds=CONVERGE_TIMEOUT
                )
            )
        time.sleep(CONVERGE_POLL)
        _heartbeat(job.id)
        service = swarm.service_get(service_id=job.service_id)
    return _("{name} runs {replicas} tasks.").format(name=service.name, replicas=replicas)


_RUNNERS = {Job.Kind.SCALE: _run_scale}
