"""The stack jobs: deploy (and roll back: a deploy of an earlier deploy's file), remove.

A deploy runs `docker stack deploy`, which is idempotent (what already is as the file says is left
alone), then follows each of the stack's services until it runs as desired. The files of `file:`
secrets and configs come from jobs.handoff, dropped once the CLI has used them. A removal asks the
CLI again until nothing of the stack is left: the CLI returns before the engine has stopped the
tasks, and a network is only removed once no task is attached to it.
"""

from __future__ import annotations

import time

from django.conf import settings

import engine
from history.labels import UPDATE_STATES_RUNNING, UpdateState
from jobs.handoff import HandoffLost, handoff_drop, handoff_peek
from jobs.models import Job
from jobs.requests import job_request
from jobs.runner import POLL, POLL_MAX, JobOutcome, JobStopped
from jobs.states import job_heartbeat, job_progress, job_step

from .models import StackDeploy

STUCK_UPDATE_STATES = frozenset({UpdateState.PAUSED, UpdateState.ROLLBACK_PAUSED})
# Seconds a stack without services may keep refusing the removal of what is left before the job
# fails with the engine's words (a secret or network a service outside the stack uses).
REFUSED_SECONDS = 30


def job_deploy_request(
    *, deploy: StackDeploy, files: dict[str, str], uploads: dict[str, bytes] | None = None, user=None
) -> Job:
    """Ask for the deploy of ``deploy`` (a rollback when it rolls back to an earlier one); ``files``
    maps each `file:` path of its compose file to the name its content is handed off under, and
    ``uploads`` holds those contents by name."""
    kind = Job.Kind.STACK_ROLLBACK if deploy.rollback_of_id else Job.Kind.STACK_DEPLOY
    job = job_request(
        kind=kind,
        target_id=deploy.stack_name,
        target_name=deploy.stack_name,
        params={"deploy_id": deploy.id, "files": files},
        handoff={name: (uploads or {})[name] for name in set(files.values())},
        user=user,
    )
    StackDeploy.objects.filter(id=deploy.id).update(job=job)
    deploy.job = job
    return job


def job_remove_request(*, name: str, user=None) -> Job:
    return job_request(kind=Job.Kind.STACK_REMOVE, target_id=name, target_name=name, user=user)


def _stepped(job: Job, code: str) -> bool:
    return any(step.get("code") == code for step in job.steps)


def _run_deploy(job: Job) -> None:
    deploy = StackDeploy.objects.filter(id=job.params["deploy_id"]).first()
    if deploy is None:
        handoff_drop(job_id=job.id)
        raise JobOutcome(Job.State.FAILED, "stack_deploy_missing")
    name = deploy.stack_name
    if _stepped(job, "stack_sent"):
        job_step(job, "stack_already_sent", stack=name)
    else:
        _send(job, deploy)
    _follow(job, name)


def _send(job: Job, deploy: StackDeploy) -> None:
    try:
        files = {path: handoff_peek(job_id=job.id, name=upload) for path, upload in job.params["files"].items()}
    except HandoffLost:
        handoff_drop(job_id=job.id)
        raise JobOutcome(Job.State.FAILED, "handoff_lost") from None
    job_step(job, "stack_deploying", stack=deploy.stack_name, deploy=deploy.id)
    try:
        engine.stack_deploy(name=deploy.stack_name, compose=deploy.compose, variables=deploy.variables, files=files)
    except engine.EngineError as exc:
        # A transient error runs this again (jobs.runner): the files are still needed then.
        if not exc.transient:
            handoff_drop(job_id=job.id)
        raise
    stack = engine.stack_get(name=deploy.stack_name)
    job_step(job, "stack_sent", stack=deploy.stack_name, services=len(stack.services))
    handoff_drop(job_id=job.id)


def _follow(job: Job, name: str) -> None:
    """Until every service of the stack runs as desired: a step for each service whose count
    changes, progress = services running as desired out of the stack's services."""
    timeout = settings.SWARMDECK_ROLLOUT_TIMEOUT
    begun = time.monotonic()
    seen: dict[str, tuple[int, int]] = {}
    pause = POLL
    while True:
        stack = engine.stack_get(name=name)
        services = engine.service_list(ids=stack.services)
        done = 0
        changed = False
        for service in services:
            counts = (service.tasks_running, service.tasks_desired)
            if seen.get(service.id) != counts:
                seen[service.id], changed = counts, True
                job_step(job, "stack_service_running", service=service.name, running=counts[0], desired=counts[1])
            if service.update_state in STUCK_UPDATE_STATES:
                raise JobOutcome(
                    Job.State.FAILED, "stack_service_failed", service=service.name, state=service.update_state
                )
            if service.converged and service.update_state not in UPDATE_STATES_RUNNING:
                done += 1
        job_progress(job, done=done, total=len(services), update_state="")
        if done == len(services):
            job_step(job, "stack_converged", stack=name)
            return
        if time.monotonic() - begun > timeout:
            raise JobOutcome(Job.State.FAILED, "stack_timeout", converged=done, total=len(services), seconds=timeout)
        if not job_heartbeat(job):
            raise JobStopped(job.id)
        pause = POLL if changed else min(pause * 1.5, POLL_MAX)
        time.sleep(pause)


def _run_remove(job: Job) -> None:
    name = job.target_name
    stack = engine.stack_get(name=name)
    if stack.empty:
        job_step(job, "stack_already_removed", stack=name)
        return
    total = len(stack.objects)
    if not _stepped(job, "stack_remove_sent"):
        job_step(
            job,
            "stack_remove_sent",
            stack=name,
            services=len(stack.services),
            networks=len(stack.networks),
            secrets=len(stack.secrets),
            configs=len(stack.configs),
        )
    timeout = settings.SWARMDECK_ROLLOUT_TIMEOUT
    begun = time.monotonic()
    left_before: tuple[str, ...] = ()
    unchanged_since = begun
    pause = POLL
    while True:
        refusal = _remove_once(name)
        stack = engine.stack_get(name=name)
        left = stack.objects
        job_progress(job, done=max(total - len(left), 0), total=total, update_state="")
        if stack.empty:
            job_step(job, "stack_removed", stack=name)
            return
        now = time.monotonic()
        if left != left_before:
            left_before, pause, unchanged_since = left, POLL, now
            job_step(job, "stack_remove_waiting", left=", ".join(left))
        elif not job_heartbeat(job):
            raise JobStopped(job.id)
        else:
            pause = min(pause * 1.5, POLL_MAX)
        # The services are gone and what is left stays refused: something outside the stack uses it.
        if refusal and not stack.services and now - unchanged_since > REFUSED_SECONDS:
            raise refusal
        if now - begun > timeout:
            raise JobOutcome(Job.State.FAILED, "stack_remove_timeout", seconds=timeout, left=", ".join(left))
        time.sleep(pause)


def _remove_once(name: str) -> engine.EngineError | None:
    """Ask the CLI to remove what is left of the stack; the refusal that may pass with time, or raise.

    While the tasks stop, a network still has their endpoints ("in use"), and an object the previous
    call removed may still be listed and then be gone ("not found"): both are asked again."""
    try:
        engine.stack_remove(name=name)
    except engine.StackInUse as exc:
        return exc
    except engine.EngineError as exc:
        if exc.transient or "not found" not in exc.detail:
            raise
        return None
    return None


RUNNERS = {
    Job.Kind.STACK_DEPLOY: _run_deploy,
    Job.Kind.STACK_ROLLBACK: _run_deploy,
    Job.Kind.STACK_REMOVE: _run_remove,
}
