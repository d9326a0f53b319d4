"""Values a job needs but no table may hold: a secret's content, the files a stack's secrets are read from.

The view that asks for the job puts each value here, in Redis, sealed (Fernet, a key derived from
SECRET_KEY) and with a time to live; the job takes it once, which deletes it. The database, the job's
row and its steps never see it, and neither does the worker's log (tasks take only the job's id).
A value the job finds gone (Redis restarted, or the job waited longer than HANDOFF_SECONDS) fails
the job with "handoff_lost": the user enters it again, nothing half-made is left.
"""

from __future__ import annotations

import functools

import redis
from cryptography.fernet import InvalidToken, MultiFernet
from django.conf import settings

from dashboard.sealing import fernet

HANDOFF_SECONDS = 3600  # a queued job normally starts within a second; an hour covers a worker restart


class HandoffLost(Exception):
    """The value is no longer in Redis (or does not open with any key the panel has)."""


@functools.cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


def _fernet() -> MultiFernet:
    return fernet(salt="swarmdeck.jobs.handoff", purpose="job hand-off")


def _key(job_id: int, name: str) -> str:
    return f"swarmdeck:handoff:{job_id}:{name}"


def handoff_put(*, job_id: int, name: str, value: bytes) -> None:
    """Keep ``value`` for the job under ``name`` (a job may carry several: one per secret file)."""
    _redis().set(_key(job_id, name), _fernet().encrypt(value), ex=HANDOFF_SECONDS)


def handoff_take(*, job_id: int, name: str) -> bytes:
    """The value, removed from Redis as it is read; HandoffLost when it is not there (any more)."""
    return _open(_redis().getdel(_key(job_id, name)), name)


def handoff_peek(*, job_id: int, name: str) -> bytes:
    """The value, left in Redis: for a job that may be retried after this attempt (take it at the end)."""
    return _open(_redis().get(_key(job_id, name)), name)


def _open(sealed: bytes | None, name: str) -> bytes:
    if sealed is None:
        raise HandoffLost(name)
    try:
        return _fernet().decrypt(sealed)
    except InvalidToken:
        raise HandoffLost(name) from None


def handoff_drop(*, job_id: int) -> None:
    """Remove whatever is still kept for the job (it finished, or failed for good)."""
    client = _redis()
    keys = list(client.scan_iter(match=_key(job_id, "*"), count=100))
    if keys:
        client.delete(*keys)
