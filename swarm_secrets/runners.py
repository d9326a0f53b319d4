"""The secret jobs (create, rotate, remove), and the create and remove runners the config jobs share.

The content of a new secret or config travels from the view to the runner through jobs.handoff
(never the job's row): the runner peeks it, so a retry after a transient engine error still has it,
and drops it once the job will not run again. Each runner looks before it acts: an object this job
already created (its "swarmdeck.job" label) is adopted, one already removed is not removed again.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings

import engine
from jobs.handoff import HandoffLost, handoff_drop, handoff_peek
from jobs.models import Job
from jobs.requests import job_request
from jobs.runner import JobOutcome
from jobs.states import job_progress, job_step

CONTENT = "content"  # the hand-off's name of the new content
JOB_LABEL = "swarmdeck.job"
REPLACES_LABEL = "swarmdeck.replaces"  # on a rotated secret's new version: the name of the one it replaces

KINDS = {
    "secret": {
        "create": Job.Kind.SECRET_CREATE,
        "remove": Job.Kind.SECRET_REMOVE,
    },
    "config": {
        "create": Job.Kind.CONFIG_CREATE,
        "remove": Job.Kind.CONFIG_REMOVE,
    },
}


def _engine(kind: str) -> dict[str, Callable]:
    if kind == "secret":
        return {"find": engine.secret_find, "create": engine.secret_create, "remove": engine.secret_remove}
    return {"find": engine.config_find, "create": engine.config_create, "remove": engine.config_remove}


# --- asking ---------------------------------------------------------------------------------------


def job_create_request(*, kind: str, name: str, data: bytes, user=None) -> Job:
    """Ask for the creation; the content goes to the hand-off, the row holds the name only."""
    return job_request(kind=KINDS[kind]["create"], target_name=name, handoff={CONTENT: data}, user=user)


def job_remove_request(*, kind: str, object_id: str, name: str, user=None) -> Job:
    return job_request(kind=KINDS[kind]["remove"], target_id=object_id, target_name=name, user=user)


def job_rotate_request(*, secret: engine.SecretSnapshot, new_name: str, data: bytes, user=None) -> Job:
    return job_request(
        kind=Job.Kind.SECRET_ROTATE,
        target_id=secret.id,
        target_name=secret.name,
        params={"new_name": new_name},
        handoff={CONTENT: data},
        user=user,
    )


# --- running --------------------------------------------------------------------------------------


def handing_off(run: Callable[[Job], None]) -> Callable[[Job], None]:
    """Drop the job's handed-off content once it will not run again: it ended, or failed for good. A
    transient engine error keeps it (jobs.runner tries the runner again); if no retry succeeds, the
    value expires with the hand-off's time to live. A worker that dies keeps it too, for the resume."""

    @wraps(run)
    def wrapped(job: Job) -> None:
        try:
            run(job)
        except engine.EngineError as exc:
            if not exc.transient:
                handoff_drop(job_id=job.id)
            raise
        except BaseException:
            handoff_drop(job_id=job.id)
            raise
        handoff_drop(job_id=job.id)

    return wrapped


def _content(job: Job) -> bytes:
    try:
        return handoff_peek(job_id=job.id, name=CONTENT)
    except HandoffLost:
        raise JobOutcome(Job.State.FAILED, "handoff_lost") from None


def _create(job: Job, kind: str, *, name: str, labels: dict[str, str] | None = None) -> str:
    """The object's id: the one this job created before (a resumed job), or a new one."""
    calls = _engine(kind)
    existing = calls["find"](name=name)
    if existing is not None and existing.labels.get(JOB_LABEL) == str(job.id):
        job_step(job, f"{kind}_adopted", name=name)
        return existing.id
    # A name taken by another object is refused by the engine, in its own words.
    object_id = calls["create"](name=name, data=_content(job), labels={**(labels or {}), JOB_LABEL: str(job.id)})
    job_step(job, f"{kind}_created", name=name)
    return object_id


def _remove(job: Job, kind: str, *, object_id: str, name: str) -> None:
    try:
        _engine(kind)["remove"](**{f"{kind}_id": object_id})
    except (engine.SecretNotFound, engine.ConfigNotFound):
        if job.attempts == 1:
            raise
        job_step(job, f"{kind}_already_removed", name=name)  # an earlier attempt removed it
        return
    job_step(job, f"{kind}_removed", name=name)


def creating(kind: str) -> Callable[[Job], None]:
    @handing_off
    def run(job: Job) -> None:
        object_id = _create(job, kind, name=job.target_name)
        Job.objects.filter(id=job.id).update(target_id=object_id)

    return run


def removing(kind: str) -> Callable[[Job], None]:
    def run(job: Job) -> None:
        _remove(job, kind, object_id=job.target_id, name=job.target_name)

    return run


def _swapped(spec: dict, *, old_id: str, new_id: str, new_name: str) -> dict:
    """The spec with every reference to the old secret pointing at the new one, file unchanged."""
    container = spec.get("TaskTemplate", {}).get("ContainerSpec", {})
    for reference in container.get("Secrets") or []:
        if reference.get("SecretID") == old_id:
            reference["SecretID"], reference["SecretName"] = new_id, new_name
    return spec


@handing_off
def _run_rotate(job: Job) -> None:
    """Create the new version, point every service using the old one at it (each reference keeps its
    file: target, uid, gid, mode), then remove the old one. Each step looks first, so a resumed job
    goes on where the last one stopped."""
    old_id, old_name, new_name = job.target_id, job.target_name, job.params["new_name"]
    try:
        old = engine.secret_get(secret_id=old_id)
    except engine.SecretNotFound:
        old = None
    new = engine.secret_find(name=new_name)
    if old is None and (new is None or new.labels.get(JOB_LABEL) != str(job.id)):
        raise engine.SecretNotFound(old_name)  # gone before this job made its new version
    new_id = _create(job, "secret", name=new_name, labels={REPLACES_LABEL: old_name})
    services = {use.service_id: use.service_name for use in engine.secret_users().get(old_id, [])}
    job_step(job, "rotate_services", name=old_name, count=len(services))
    for done, (service_id, service_name) in enumerate(sorted(services.items(), key=lambda item: item[1]), start=1):
        changed = engine.service_update(
            service_id=service_id,
            change=lambda spec: _swapped(spec, old_id=old_id, new_id=new_id, new_name=new_name),
            retries=settings.SWARMDECK_JOB_CONFLICT_RETRIES,
            on_retry=lambda attempt: job_step(job, "conflict_retry", attempt=attempt),
        )
        code = "rotate_service_updated" if changed else "rotate_service_unchanged"
        job_step(job, code, service=service_name, name=new_name)
        job_progress(job, done=done, total=len(services), update_state="")
    if old is None:
        job_step(job, "secret_already_removed", name=old_name)
    else:
        _remove(job, "secret", object_id=old_id, name=old_name)


RUNNERS = {
    Job.Kind.SECRET_CREATE: creating("secret"),
    Job.Kind.SECRET_ROTATE: _run_rotate,
    Job.Kind.SECRET_REMOVE: removing("secret"),
}
