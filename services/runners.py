"""The service jobs (create, update, scale, redeploy, roll back, remove): how each is asked for and run.

Each runner reads the engine before it acts, so a resumed or retried job never applies its change
twice; then it follows the rollout (jobs.runner.rollout_follow).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings

import engine
from jobs.models import Job
from jobs.requests import job_request
from jobs.runner import JobOutcome, rollout_follow
from jobs.states import job_step

from . import masking, specs


def job_scale_request(
    *, service: engine.ServiceSummary, replicas: int, user=None, via: str = Job.Via.PANEL, via_name: str = ""
) -> Job:
    return job_request(
        kind=Job.Kind.SCALE,
        service_id=service.id,
        service_name=service.name,
        params={"replicas": replicas},
        user=user,
        via=via,
        via_name=via_name,
    )


def job_create_request(*, values: dict, user=None) -> Job:
    return job_request(kind=Job.Kind.CREATE, service_name=values["name"], params={"values": values}, user=user)


def job_update_request(
    *, service: engine.ServiceSummary, groups: dict, user=None, via: str = Job.Via.PANEL, via_name: str = ""
) -> Job:
    return job_request(
        kind=Job.Kind.UPDATE,
        service_id=service.id,
        service_name=service.name,
        params={"groups": groups},
        user=user,
        via=via,
        via_name=via_name,
    )


def job_image_request(
    *, service: engine.ServiceSummary, image: str, user=None, via: str = Job.Via.PANEL, via_name: str = ""
) -> Job:
    """An update of the image alone, as the service form asks for it when only the image changed."""
    groups = specs.changed_groups(["image"], {"image": image})
    return job_update_request(service=service, groups=groups, user=user, via=via, via_name=via_name)


def job_redeploy_request(
    *, detail: engine.ServiceDetail, user=None, via: str = Job.Via.PANEL, via_name: str = ""
) -> Job:
    # A ForceUpdate counter other than the spec's makes Swarm replace every task, on the spec as it is.
    service = detail.summary
    return job_request(
        kind=Job.Kind.REDEPLOY,
        service_id=service.id,
        service_name=service.name,
        params={"force_update": detail.force_update + 1},
        user=user,
        via=via,
        via_name=via_name,
    )


def job_rollback_request(
    *, service: engine.ServiceSummary, user=None, via: str = Job.Via.PANEL, via_name: str = ""
) -> Job:
    # The version the user looked at: the rollback is sent only from there, never twice.
    params = {"from_version": service.version}
    return job_request(
        kind=Job.Kind.ROLLBACK,
        service_id=service.id,
        service_name=service.name,
        params=params,
        user=user,
        via=via,
        via_name=via_name,
    )


def job_remove_request(*, service: engine.ServiceSummary, user=None) -> Job:
    return job_request(kind=Job.Kind.REMOVE, service_id=service.id, service_name=service.name, user=user)


def _secrets_let_go(run: Callable[[Job], None]) -> Callable[[Job], None]:
    """Run a job whose params may hold sealed secrets (masking), then drop them from its row: the
    engine has them now, or the job failed. This attempt keeps its own copy in memory, so a retry
    after a transient engine error still has them; only this attempt's row is changed, so a worker
    that took the job over meanwhile (another attempt number) keeps its copy until it ends."""

    @wraps(run)
    def wrapped(job: Job) -> None:
        try:
            run(job)
        except masking.SecretUnavailable as exc:
            raise JobOutcome(Job.State.FAILED, "crashed", detail=str(exc)) from None
        finally:
            if masking.has_sealed(job.params):
                Job.objects.filter(id=job.id, attempts=job.attempts).update(
                    params=masking.params_sealed_dropped(job.params)
                )

    return wrapped


@_secrets_let_go
def _run_create(job: Job) -> None:
    values = job.params["values"]
    existing = engine.service_find(name=values["name"])
    if existing and existing.labels.get("swarmdeck.job") == str(job.id):
        service_id = existing.id
        job_step(job, "adopted", name=values["name"])
    else:
        # A name taken by another service is refused by the engine, in its own words.
        service_id = engine.service_create(spec=specs.spec_create(name=values["name"], values=values, job_id=job.id))
        job_step(job, "created", name=values["name"])
    Job.objects.filter(id=job.id, state=Job.State.RUNNING).update(service_id=service_id)
    job.service_id = service_id
    rollout_follow(job, expect_update=False)


@_secrets_let_go
def _run_update(job: Job) -> None:
    groups = job.params["groups"]
    changed = _update(job, lambda spec: specs.spec_apply(spec, groups))
    job_step(job, "updated" if changed else "unchanged")
    rollout_follow(job, expect_update=changed)


def _run_scale(job: Job) -> None:
    replicas = int(job.params["replicas"])
    engine.service_scale(service_id=job.service_id, replicas=replicas)
    job_step(job, "scaled", replicas=replicas)
    rollout_follow(job, expect_update=False)


def _run_redeploy(job: Job) -> None:
    # Idempotent: a resumed job finds the counter already at its target and sends nothing.
    changed = engine.service_redeploy(
        service_id=job.service_id,
        force_update=int(job.params["force_update"]),
        retries=settings.SWARMDECK_JOB_CONFLICT_RETRIES,
        on_retry=lambda attempt: job_step(job, "conflict_retry", attempt=attempt),
    )
    job_step(job, "redeployed" if changed else "unchanged")
    rollout_follow(job, expect_update=changed)


def _run_rollback(job: Job) -> None:
    sent = engine.service_rollback(service_id=job.service_id, from_version=job.params["from_version"])
    job_step(job, "rollback_sent" if sent else "rollback_already")
    rollout_follow(job, expect_update=True)


def _run_remove(job: Job) -> None:
    try:
        engine.service_remove(service_id=job.service_id)
    except engine.ServiceNotFound:
        if job.attempts == 1:
            raise
        # An earlier attempt removed it before its worker stopped.
    job_step(job, "removed")


def _update(job: Job, change) -> bool:
    return engine.service_update(
        service_id=job.service_id,
        change=change,
        retries=settings.SWARMDECK_JOB_CONFLICT_RETRIES,
        on_retry=lambda attempt: job_step(job, "conflict_retry", attempt=attempt),
    )


RUNNERS = {
    Job.Kind.CREATE: _run_create,
    Job.Kind.UPDATE: _run_update,
    Job.Kind.SCALE: _run_scale,
    Job.Kind.REDEPLOY: _run_redeploy,
    Job.Kind.ROLLBACK: _run_rollback,
    Job.Kind.REMOVE: _run_remove,
}
