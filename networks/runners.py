"""The network jobs (create, remove): how each is asked for and run.

Both are idempotent: a create job labels its network with its own id (swarmdeck.job) and a resumed
attempt adopts the network it finds so instead of making a second; a removal finds the network
already gone and succeeds.
"""

from __future__ import annotations

import engine
from engine.networks import JOB_LABEL
from jobs.models import Job
from jobs.requests import job_request
from jobs.states import job_step


def job_network_create_request(*, values: dict, user=None) -> Job:
    """``values``: NetworkCreateForm.network_values() (JSON-ready; nothing secret in a network)."""
    return job_request(kind=Job.Kind.NETWORK_CREATE, target_name=values["name"], params={"values": values}, user=user)


def job_network_remove_request(*, network: engine.NetworkSnapshot, user=None) -> Job:
    return job_request(kind=Job.Kind.NETWORK_REMOVE, target_id=network.id, target_name=network.name, user=user)


def _run_create(job: Job) -> None:
    values = job.params["values"]
    made = engine.network_find(job_id=job.id)
    if made is not None:
        network_id = made.id
        job_step(job, "network_adopted", name=made.name)
    else:
        # A name taken meanwhile is refused by the engine (NetworkNameTaken), in its own words.
        network_id = engine.network_create(
            name=values["name"],
            attachable=values["attachable"],
            encrypted=values["encrypted"],
            internal=values["internal"],
            subnet=values["subnet"],
            gateway=values["gateway"],
            labels={**values["labels"], JOB_LABEL: str(job.id)},
        )
        job_step(job, "network_created", name=values["name"])
    Job.objects.filter(id=job.id, state=Job.State.RUNNING).update(target_id=network_id)
    job.target_id = network_id


def _run_remove(job: Job) -> None:
    try:
        engine.network_remove(network_id=job.target_id)
    except engine.NetworkNotFound:
        job_step(job, "network_already_removed", name=job.target_name)
        return
    job_step(job, "network_removed", name=job.target_name)


RUNNERS = {
    Job.Kind.NETWORK_CREATE: _run_create,
    Job.Kind.NETWORK_REMOVE: _run_remove,
}
