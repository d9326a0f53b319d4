"""The open log streams, counted across every web process, so the limits hold for the whole panel.

Each log websocket holds a row while it is open (logs.consumers) and refreshes its heartbeat every
HEARTBEAT_SECONDS; a process that dies leaves rows behind, which count for nothing once their
heartbeat is older than STALE and go with the retention (dashboard.retention).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from .models import LogStream

HEARTBEAT_SECONDS = 30
STALE = timedelta(seconds=60)


def _alive():
    return LogStream.objects.filter(seen_at__gte=timezone.now() - STALE)


def log_stream_open(*, channel_name: str, user: AbstractBaseUser, kind: str, target_id: str) -> LogStream | None:
    """Register a stream; None (and nothing kept) when the user or the panel has too many open.

    Written first, then counted among those opened before it (lower ids), outside a transaction: two
    sockets opened at once in two processes then see each other's row, and only the later one is
    refused; a count taken before writing would let both in.
    """
    stream = LogStream.objects.create(
        channel_name=channel_name, user=user, kind=kind, target_id=target_id[:64], seen_at=timezone.now()
    )
    before = _alive().filter(id__lte=stream.id)
    if (
        before.count() > settings.SWARMDECK_LOG_STREAMS
        or before.filter(user=user).count() > settings.SWARMDECK_LOG_STREAMS_PER_USER
    ):
        stream.delete()
        return None
    return stream


def log_stream_seen(*, stream_id: int) -> None:
    LogStream.objects.filter(id=stream_id).update(seen_at=timezone.now())


def log_stream_close(*, stream_id: int) -> None:
    LogStream.objects.filter(id=stream_id).delete()


def log_stream_count() -> int:
    """The streams open now, in every web process."""
    return _alive().count()


def log_stream_prune() -> int:
    """Remove the rows of streams whose process died without closing them, counting them."""
    removed, _ = LogStream.objects.filter(seen_at__lt=timezone.now() - STALE).delete()
    return removed
