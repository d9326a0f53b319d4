"""Live updates: group names, message shapes and the one helper that publishes them.

Pushes are hints ("service X changed"); the browser re-reads the truth from the server.
"""

from __future__ import annotations

import logging
from typing import Literal, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

SERVICES_GROUP = "swarm.services"
JOBS_GROUP = "jobs"  # every job's changes, for the lists of jobs


def service_group(service_id: str) -> str:
    # Docker ids are [a-z0-9]{25}; anything else is dropped so the name stays a valid group name.
    return "swarm.service." + "".join(ch for ch in service_id if ch.isascii() and ch.isalnum())[:64]


def job_group(job_id: int) -> str:
    return f"job.{job_id}"


def user_group(user_id: int) -> str:
    """Every socket of one user, so logging out can close them all."""
    return f"user.{user_id}"


class ServiceChanged(TypedDict):
    type: Literal["service.changed"]
    service_id: str
    action: str


class JobChanged(TypedDict):
    type: Literal["job.changed"]
    job_id: int
    state: str


class UserLoggedOut(TypedDict):
    type: Literal["user.logged_out"]


def publish(group: str, message: ServiceChanged | JobChanged | UserLoggedOut) -> bool:
    """Send to a group; a missing Redis is logged, never raised: the DB stays the truth."""
    try:
        async_to_sync(get_channel_layer().group_send)(group, message)
    except Exception as exc:
        logger.warning("could not publish %s to %s: %s", message["type"], group, exc)
        return False
    return True


def publish_service_changed(*, service_id: str, action: str) -> bool:
    message = ServiceChanged(type="service.changed", service_id=service_id, action=action)
    delivered = publish(SERVICES_GROUP, message)
    if service_id:
        delivered = publish(service_group(service_id), message) and delivered
    return delivered


def publish_job_changed(*, job_id: int, state: str, service_id: str = "") -> bool:
    """The job's page and the lists of jobs; with ``service_id``, also that service's page (its jobs)."""
    message = JobChanged(type="job.changed", job_id=job_id, state=state)
    delivered = publish(job_group(job_id), message)
    delivered = publish(JOBS_GROUP, message) and delivered
    if service_id:
        changed = ServiceChanged(type="service.changed", service_id=service_id, action="job")
        delivered = publish(service_group(service_id), changed) and delivered
    return delivered


def publish_user_logged_out(*, user_id: int) -> bool:
    return publish(user_group(user_id), UserLoggedOut(type="user.logged_out"))
