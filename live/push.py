"""Live updates: group names, message shapes and the one helper that publishes them.

Two kinds of push. A hint ("service X changed") makes a page re-read its fragment from the server.
HTML (the services list's changed rows) is rendered once per change by its publisher, for every
language at once, and each socket sends its viewer the one in its page's language: the cost of a
change grows with the rows that changed, not with the number of viewers.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Literal, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

SWARM_GROUP = "swarm"  # a hint per changed service: the overview and the nodes page re-read
SERVICE_LIST_GROUP = "swarm.service-list"  # the services list: its changed rows, or a hint to re-read
JOBS_GROUP = "jobs"  # every job's changes, for the lists of jobs


def service_group(service_id: str) -> str:
    # Docker ids are [a-z0-9]{25}; anything else is dropped so the name stays a valid group name.
    return "swarm.service." + "".join(ch for ch in service_id if ch.isascii() and ch.isalnum())[:64]


def job_group(job_id: int) -> str:
    return f"job.{job_id}"


def session_group(session_key: str) -> str:
    """Every socket of one login session, so its end (logout, expiry, a password change elsewhere)
    closes them. A digest of the key: group names travel through Redis, the key opens the session."""
    return "session." + hashlib.sha256(session_key.encode()).hexdigest()[:32]


class ServiceChanged(TypedDict):
    type: Literal["service.changed"]
    service_id: str
    action: str
    version: int  # the change's: every viewer's re-read of it shares one render (live.rereads)


class ServiceRows(TypedDict):
    """The services list's rows of the changed services, as HTML by language code."""

    type: Literal["service.rows"]
    html: dict[str, str]


class JobChanged(TypedDict):
    type: Literal["job.changed"]
    job_id: int
    state: str
    version: int


class SessionEnded(TypedDict):
    type: Literal["session.ended"]


Message = ServiceChanged | ServiceRows | JobChanged | SessionEnded


def publish(group: str, message: Message) -> bool:
    """Send to a group; a missing Redis is logged, never raised: the DB stays the truth."""
    return publish_all([(group, message)])


def publish_all(sends: list[tuple[str, Message]]) -> bool:
    """Send each message to its group in one go: from sync code every call of async_to_sync costs an
    event loop and a Redis connection of its own (about 3 ms), one per change rather than per group."""

    async def send_all() -> None:
        layer = get_channel_layer()
        for group, message in sends:
            await layer.group_send(group, message)

    try:
        async_to_sync(send_all)()
    except Exception as exc:
        logger.warning("could not publish %s: %s", ", ".join(sorted({m["type"] for _, m in sends})), exc)
        return False
    return True


def publish_services_changed(*, service_ids: list[str], action: str) -> bool:
    """Hint the swarm's pages and each service's own page ("" means the whole swarm) of one change
    (the services of one watcher batch): the hints share its version, so the pages that re-read
    share one render of it."""
    version = change_version()
    sends: list[tuple[str, Message]] = []
    for service_id in service_ids:
        message = ServiceChanged(type="service.changed", service_id=service_id, action=action, version=version)
        sends.append((SWARM_GROUP, message))
        if service_id:
            sends.append((service_group(service_id), message))
    return publish_all(sends)


def publish_service_rows(*, html: dict[str, str]) -> bool:
    """Push the services list's changed rows (rendered by services.pushes) to every viewer."""
    return publish(SERVICE_LIST_GROUP, ServiceRows(type="service.rows", html=html))


def publish_service_list_reshaped() -> bool:
    """Make every services list re-read: services were created, or more changed than rows can carry."""
    message = ServiceChanged(type="service.changed", service_id="", action="reshaped", version=change_version())
    return publish(SERVICE_LIST_GROUP, message)


def publish_job_changed(*, job_id: int, state: str, service_id: str = "") -> bool:
    """The job's page and the lists of jobs; with ``service_id``, also that service's page (its jobs)."""
    version = change_version()
    message = JobChanged(type="job.changed", job_id=job_id, state=state, version=version)
    sends: list[tuple[str, Message]] = [(job_group(job_id), message), (JOBS_GROUP, message)]
    if service_id:
        changed = ServiceChanged(type="service.changed", service_id=service_id, action="job", version=version)
        sends.append((service_group(service_id), changed))
    return publish_all(sends)


def change_version() -> int:
    """A change's version: its publish time, unique enough to tell two changes apart."""
    return time.time_ns()


def publish_sessions_ended(session_keys: list[str]) -> bool:
    return publish_all([(session_group(key), SessionEnded(type="session.ended")) for key in session_keys])
