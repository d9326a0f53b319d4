"""Calls a token may make a minute, counted in Redis so every web process shares the count.

A fixed window: one counter per token and clock minute, which expires with its minute. At a
window's edge a client may make up to twice the limit within a few seconds; that bounds the load
well enough, at one Redis round trip a call.
"""

from __future__ import annotations

import functools
import logging
import time

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60


class RateLimited(Exception):
    def __init__(self, *, limit: int, retry_after: int) -> None:
        super().__init__(f"more than {limit} calls a minute")
        self.limit = limit
        self.retry_after = retry_after


@functools.cache
def _redis() -> redis.Redis:
    # Short timeouts: a Redis that does not answer must not hang the API (see rate_limit_check).
    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)


def _key(token_id: int, window: int) -> str:
    return f"swarmdeck:api:rate:{token_id}:{window}"


def rate_limit_check(*, token_id: int) -> None:
    """Count one call of the token; RateLimited past SWARMDECK_API_RATE_PER_MINUTE in this minute."""
    limit = settings.SWARMDECK_API_RATE_PER_MINUTE
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    try:
        pipe = _redis().pipeline()
        pipe.incr(_key(token_id, window))
        pipe.expire(_key(token_id, window), WINDOW_SECONDS + 5)
        count, _expiry_set = pipe.execute()
    except redis.RedisError as exc:
        # Open, not closed: the caller is authenticated already, and Redis being down must not take
        # the read side down with it (job requests fail on their own, with queue_down).
        logger.warning("API rate limit not checked, Redis did not answer: %s", exc)
        return
    if count > limit:
        retry_after = max(1, int((window + 1) * WINDOW_SECONDS - now + 0.999))
        raise RateLimited(limit=limit, retry_after=retry_after)
