"""The node jobs (availability, role, labels, removal): how each is asked for and run.

A runner reads the node and writes the change with the version it read: a change made meanwhile
is refused by the engine, and the change is applied again to the node as it is now, as the service
jobs do. Each write compares first, so a resumed or retried job never writes twice; a drain then
follows the node's tasks until none runs there any more.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings

import engine
from jobs.models import Job
from jobs.requests import job_request
from jobs.runner import POLL, POLL_MAX, JobOutcome, JobStopped
from jobs.states import job_heartbeat, job_progress, job_step
from watcher.models import Watcher

from . import drain

AVAILABILITY_STEPS = {"active": "node_activated", "pause": "node_paused", "drain": "node_drained"}
ROLE_STEPS = {"manager": "node_promoted", "worker": "node_demoted"}


def _request(*, kind: str, node: engine.NodeSnapshot, params: dict, user=None) -> Job:
    return job_request(kind=kind, node_id=node.id, node_name=node.hostname, params=params, user=user)


def job_availability_request(*, node: engine.NodeSnapshot, availability: str, user=None) -> Job:
    return _request(kind=Job.Kind.NODE_AVAILABILITY, node=node, params={"availability": availability}, user=user)


def job_role_request(*, node: engine.NodeSnapshot, role: str, user=None) -> Job:
    return _request(kind=Job.Kind.NODE_ROLE, node=node, params={"role": role}, user=user)


def job_labels_request(*, node: engine.NodeSnapshot, add: dict[str, str], remove: list[str], user=None) -> Job:
    return _request(kind=Job.Kind.NODE_LABELS, node=node, params={"add": add, "remove": remove}, user=user)


def job_node_remove_request(*, node: engine.NodeSnapshot, force: bool, user=None) -> Job:
    return _request(kind=Job.Kind.NODE_REMOVE, node=node, params={"force": force}, user=user)


def _change(job: Job, values: Callable[[engine.NodeDetail], dict]) -> bool:
    """Write ``values(node)`` to the node read just before, with its version; on a conflict read it
    again and apply them again, up to SWARMDECK_JOB_CONFLICT_RETRIES times. False: nothing to write."""
    retries = settings.SWARMDECK_JOB_CONFLICT_RETRIES
    attempt = 0
    while True:
        node = engine.node_get(node_id=job.node_id)
        try:
            return engine.node_update(node_id=node.id, version=node.version, spec=node.spec, **values(node))
        except engine.NodeConflict:
            attempt += 1
            if attempt > retries:
                raise
            job_step(job, "node_conflict_retry", attempt=attempt + 1)


def _run_availability(job: Job) -> None:
    availability = job.params["availability"]
    followed = _drain_tasks(job) if availability == "drain" else []
    changed = _change(job, lambda node: {"availability": availability})
    job_step(job, AVAILABILITY_STEPS[availability] if changed else "node_unchanged", node=job.node_name)
    if availability == "drain":
        _drain_follow(job, followed)


def _drain_tasks(job: Job) -> list[dict]:
    """The tasks running on the node before it is drained (id, service, slot), recorded once: a
    resumed job follows the ones its first attempt found, not the few left when it resumed."""
    recorded = drain.followed_tasks(job.steps)
    if recorded is not None:
        return recorded
    running = engine.task_list(node_id=job.node_id, desired_running=True)
    tasks = [
        {"id": task.id, "service_id": task.service_id, "slot": task.slot}
        for task in sorted(running, key=lambda task: task.id)
        if task.state == "running"
    ]
    job_step(job, "drain_tasks", count=len(tasks), tasks=tasks)
    return tasks


def _drain_follow(job: Job, followed: list[dict]) -> None:
    """Succeed once every task that ran on the node runs elsewhere (or has ended for good); fail
    after SWARMDECK_ROLLOUT_TIMEOUT seconds with how many are still to go."""
    timeout = settings.SWARMDECK_ROLLOUT_TIMEOUT
    begun = time.monotonic()
    pause = POLL
    moved_before = None
    while True:
        moved = sum(placement.done for placement in drain.drain_placements(node_id=job.node_id, followed=followed))
        if moved != moved_before:
            moved_before, pause = moved, POLL
            job_progress(job, done=moved, total=len(followed), update_state="")
            if moved:
                job_step(job, "drain_progress", moved=moved, total=len(followed))
        elif not job_heartbeat(job):
            raise JobStopped(job.id)
        else:
            pause = min(pause * 1.5, POLL_MAX)
        if moved == len(followed):
            job_step(job, "drain_done")
            return
        if time.monotonic() - begun > timeout:
            raise JobOutcome(Job.State.FAILED, "drain_timeout", remaining=len(followed) - moved, seconds=timeout)
        time.sleep(pause)


def _run_role(job: Job) -> None:
    role = job.params["role"]
    changed = _change(job, lambda node: {"role": role})
    job_step(job, ROLE_STEPS[role] if changed else "node_unchanged", node=job.node_name)


def _run_labels(job: Job) -> None:
    add, remove = job.params["add"], set(job.params["remove"])

    def labels(node: engine.NodeDetail) -> dict:
        kept = {key: value for key, value in node.labels.items() if key not in remove}
        return {"labels": {**kept, **add}}

    if not _change(job, labels):
        job_step(job, "node_unchanged")
        return
    for key, value in add.items():
        job_step(job, "node_label_set", key=key, value=value, node=job.node_name)
    for key in sorted(remove):
        job_step(job, "node_label_removed", key=key, node=job.node_name)


def _run_remove(job: Job) -> None:
    try:
        engine.node_remove(node_id=job.node_id, force=bool(job.params["force"]))
    except engine.NodeNotFound:
        if job.attempts == 1:
            raise
        # An earlier attempt removed it before its worker stopped.
    # The node is gone for good (a node that joins again gets a new id): rows of its watchers would
    # stay on the overview and in /healthz's heartbeats as a watcher gone silent.
    Watcher.objects.filter(node_id=job.node_id).delete()
    job_step(job, "node_removed", node=job.node_name)


RUNNERS = {
    Job.Kind.NODE_AVAILABILITY: _run_availability,
    Job.Kind.NODE_ROLE: _run_role,
    Job.Kind.NODE_LABELS: _run_labels,
    Job.Kind.NODE_REMOVE: _run_remove,
}
