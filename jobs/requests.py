"""Asking for a job: the row is written first, the worker is told once it is committed."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.roles import Role, user_may
from live import push

from .handoff import handoff_put
from .models import Job
from .states import job_finish, step_new

logger = logging.getLogger(__name__)


def job_request(
    *,
    kind: str,
    service_name: str = "",
    service_id: str = "",
    node_id: str = "",
    node_name: str = "",
    target_id: str = "",
    target_name: str = "",
    params: dict | None = None,
    handoff: Mapping[str, bytes] | None = None,
    user=None,
    via: str = Job.Via.PANEL,
    via_name: str = "",
) -> Job:
    """Persist a job (of a service, a node, or a stack, network, secret or config: the target) and
    hand it to the worker once the row is committed.

    A user's request is refused (PermissionDenied) when the kind takes a role above theirs,
    whichever view, API call or form asked; the panel's own jobs (image updates, deploy hooks) have
    no user and were allowed when they were set up.
    """
    user = user if user is not None and user.is_authenticated else None
    if user is not None and not user_may(user, role_needed(kind)):
        raise PermissionDenied(role_needed(kind).value)
    job = Job.objects.create(
        kind=kind,
        service_id=service_id,
        service_name=service_name,
        node_id=node_id,
        node_name=node_name,
        target_id=target_id,
        target_name=target_name,
        params=params or {},
        requested_by=user,
        via=via,
        via_name=via_name[:100],
        steps=[step_new("queued", user=user.get_username() if user else "-")],
    )

    # Handed off before the worker can hear of the job: outside a transaction on_commit runs at once.
    for name, value in (handoff or {}).items():
        handoff_put(job_id=job.id, name=name, value=value)

    def committed() -> None:
        # The worker first, so it starts as soon as it can; then the lists of jobs (and the
        # service's page) show it queued, unless the worker's own "running" has overtaken it (a
        # hint is a hint: the pages re-read the state).
        job_enqueue(job.id)
        push.publish_job_changed(job_id=job.id, state=Job.State.QUEUED, service_id=job.service_id)

    transaction.on_commit(committed)
    return job


# What an operator may ask for: the day-to-day changes of a running service. Every other kind
# (creating and removing, stacks, nodes, networks, secrets, configs) takes an admin.
OPERATOR_KINDS = frozenset(
    {
        Job.Kind.SCALE,
        Job.Kind.UPDATE,
        Job.Kind.REDEPLOY,
        Job.Kind.ROLLBACK,
        Job.Kind.UPDATE_CHECK,
        Job.Kind.IMAGE_UPDATE,
    }
)


def role_needed(kind: str) -> Role:
    return Role.OPERATOR if kind in OPERATOR_KINDS else Role.ADMIN


def job_enqueue(job_id: int) -> None:
    """Hand a job to the worker; a queue that cannot be reached fails the job, saying so."""
    from .celery_tasks import run_job_task

    try:
        run_job_task.apply_async((job_id,), retry=True, retry_policy=settings.CELERY_TASK_PUBLISH_RETRY_POLICY)
    except Exception as exc:  # kombu/redis raise several types; all mean "not queued"
        logger.warning("could not enqueue job %s: %s", job_id, exc)
        job_finish(job_id, Job.State.FAILED, code="queue_down", detail=str(exc))
