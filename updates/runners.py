"""The update jobs, run by the worker like every other job (jobs.runner claims and finishes them).

``update_check``: ask the registry (through the engine: a manifest request, no pull) for the digest
of every followed tag, record what it found, and request an ``image_update`` job for each target
that should move. ``image_update``: move one target to that digest, so that Swarm (or the helper
container) goes back by itself when the new version does not stay healthy.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

import engine
from jobs.models import Job
from jobs.requests import job_request
from jobs.runner import JobHandedOver, JobOutcome, rollout_follow
from jobs.states import job_step

from . import policy
from .models import UpdateTarget
from .targets import Candidate, candidates_discover

HELPER_POLL = 2.0


def update_check_request(*, user=None) -> Job:
    """A check of every followed tag, as a job (the audit trail shows every check)."""
    return job_request(kind=Job.Kind.UPDATE_CHECK, service_name="", user=user)


def _short(digest: str) -> str:
    return digest.removeprefix("sha256:")[:12]


def _record(candidate: Candidate, **fields) -> UpdateTarget:
    target, _created = UpdateTarget.objects.update_or_create(
        key=candidate.key,
        defaults={
            "kind": candidate.kind,
            "name": candidate.name,
            "object_id": candidate.object_id,
            "image": candidate.image,
            "running_digest": candidate.running_digest,
            "checked_at": timezone.now(),
            "present": True,
            **fields,
        },
    )
    return target


def _wanted(candidate: Candidate) -> bool:
    if candidate.kind == UpdateTarget.Kind.SERVICE:
        return True  # the label is the service's own opt-in
    return policy.auto_update_get().enabled


def _update_open(key: str) -> Job | None:
    return (
        Job.objects.filter(kind=Job.Kind.IMAGE_UPDATE, params__target=key)
        .exclude(state__in=Job.FINISHED_STATES)
        .first()
    )


def target_check(*, job: Job, candidate: Candidate) -> bool:
    """Check one target and request its update when it should move; False when it could not be checked."""
    if candidate.unsupported:
        _record(candidate, result=UpdateTarget.Result.NOT_SUPPORTED, reason=candidate.unsupported, detail="")
        job_step(job, "check_not_supported", name=candidate.name)
        return True
    try:
        remote = engine.image_remote_digest(image=candidate.image)
    except (engine.RegistryUnreachable, engine.TagNotFound) as exc:
        result = (
            UpdateTarget.Result.TAG_NOT_FOUND
            if isinstance(exc, engine.TagNotFound)
            else UpdateTarget.Result.REGISTRY_UNREACHABLE
        )
        _record(candidate, result=result, reason="", detail=exc.detail)
        job_step(job, f"check_{result}", name=candidate.name, image=candidate.image)
        return False
    target = UpdateTarget.objects.filter(key=candidate.key).first()
    rolled_back = target.rolled_back_digests if target else []
    if remote in candidate.local_digests:
        result = UpdateTarget.Result.UP_TO_DATE
        _record(candidate, result=result, reason="", detail="", available_digest=remote, running_digest=remote)
    elif remote in rolled_back:
        result = UpdateTarget.Result.ROLLED_BACK_BEFORE
        _record(candidate, result=result, reason="", detail="", available_digest=remote)
    else:
        result = UpdateTarget.Result.AVAILABLE
        target = _record(candidate, result=result, reason="", detail="", available_digest=remote)
        recent = (
            target.last_update_digest == remote
            and target.last_update_at
            and timezone.now() - target.last_update_at < timedelta(seconds=settings.SWARMDECK_UPDATE_COOLDOWN_SECONDS)
        )
        if _wanted(candidate) and not recent and _update_open(candidate.key) is None:
            update = job_request(
                kind=Job.Kind.IMAGE_UPDATE,
                service_id=candidate.object_id if candidate.kind != UpdateTarget.Kind.PANEL_CONTAINER else "",
                service_name=candidate.name,
                params={
                    "target": candidate.key,
                    "image": candidate.image,
                    "digest": remote,
                    "service_ids": list(candidate.service_ids),
                    **candidate.params,
                },
            )
            UpdateTarget.objects.filter(key=candidate.key).update(result=UpdateTarget.Result.UPDATING)
            job_step(job, "update_requested", name=candidate.name, digest=_short(remote), number=update.id)
            return True
    job_step(job, f"check_{result}", name=candidate.name, digest=_short(remote))
    return True


def run_update_check(job: Job) -> None:
    candidates = candidates_discover()
    present = {c.key for c in candidates}
    UpdateTarget.objects.exclude(key__in=present).update(present=False)
    results = [target_check(job=job, candidate=candidate) for candidate in candidates]
    if not any(results):
        raise JobOutcome(Job.State.FAILED, "check_failed")


# --- image updates ------------------------------------------------------------------------------


def target_updated(*, key: str, digest: str) -> None:
    UpdateTarget.objects.filter(key=key).update(
        running_digest=digest,
        result=UpdateTarget.Result.UP_TO_DATE,
        last_update_digest=digest,
        last_update_at=timezone.now(),
    )


def target_rolled_back(*, key: str, digest: str, reason: str) -> None:
    """Never try this digest again by itself: the tag still names the broken image."""
    target = UpdateTarget.objects.filter(key=key).first()
    if target is None:
        return
    digests = (
        [*target.rolled_back_digests, digest]
        if digest not in target.rolled_back_digests
        else target.rolled_back_digests
    )
    UpdateTarget.objects.filter(key=key).update(
        rolled_back_digests=digests,
        result=UpdateTarget.Result.ROLLED_BACK_BEFORE,
        detail=reason,
        last_update_digest=digest,
        last_update_at=timezone.now(),
    )


def run_image_update(job: Job) -> None:
    if job.params.get("container_id"):
        _container_update(job)
    else:
        _services_update(job)


def _services_update(job: Job) -> None:
    key, image, digest = job.params["target"], job.params["image"], job.params["digest"]
    reference = f"{image}@{digest}"
    monitor = settings.SWARMDECK_UPDATE_MONITOR_SECONDS
    sent_before = {step["params"].get("service") for step in job.steps if step["code"] == "image_sent"}
    for service_id in job.params["service_ids"]:
        service = engine.service_get(service_id=service_id)
        if service_id in sent_before:
            # A resumed job (its worker was replaced by this very update): never send twice, or a
            # version Swarm just rolled back would be tried again.
            job_step(job, "image_already_sent", name=service.name)
            changed = True
        else:
            changed = engine.service_image_set(service_id=service_id, image=reference, monitor_seconds=monitor)
            job_step(job, "image_sent", name=service.name, image=reference, service=service_id)
        try:
            rollout_follow(job, expect_update=changed, service_id=service_id)
        except JobOutcome as outcome:
            if outcome.state == Job.State.ROLLED_BACK:
                target_rolled_back(key=key, digest=digest, reason=outcome.detail)
            raise
    target_updated(key=key, digest=digest)


def _container_update(job: Job) -> None:
    """Start the helper (once) and wait: it stops this container, so it finishes the job itself."""
    if not any(step["code"] == "helper_started" for step in job.steps):
        me = engine.container_self()
        name = f"{me.name}-update-{job.id}"
        # The helper runs the image that runs now: known to work, and it knows how to go back.
        engine.container_helper_run(
            source_id=me.id, image=me.image_id, command=["update-helper", str(job.id)], name=name
        )
        job_step(job, "helper_started", name=name)
    else:
        job_step(job, "helper_waiting")
    name = next(step["params"]["name"] for step in job.steps if step["code"] == "helper_started")
    while True:
        time.sleep(HELPER_POLL)
        job.refresh_from_db(fields=["state"])
        if job.finished:
            raise JobHandedOver()
        helper = engine.container_find(name=name)
        if helper is None or helper.state == "exited":
            job.refresh_from_db(fields=["state"])
            if job.finished:
                raise JobHandedOver()
            detail = f"exit code {helper.exit_code}" if helper else "gone"
            raise JobOutcome(Job.State.FAILED, "helper_lost", detail=detail)
