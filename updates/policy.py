"""Whether the panel updates itself and when checks run: read and written only here."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from .models import UpdatePolicy


@dataclass(frozen=True)
class AutoUpdate:
    enabled: bool
    fixed: bool  # set by SWARMDECK_AUTO_UPDATE: the page shows it and cannot change it


def policy_get() -> UpdatePolicy:
    policy, _created = UpdatePolicy.objects.get_or_create(singleton=True)
    return policy


def auto_update_get() -> AutoUpdate:
    if settings.SWARMDECK_AUTO_UPDATE is not None:
        return AutoUpdate(enabled=settings.SWARMDECK_AUTO_UPDATE, fixed=True)
    return AutoUpdate(enabled=policy_get().auto_update, fixed=False)


def auto_update_set(*, enabled: bool) -> None:
    UpdatePolicy.objects.update_or_create(singleton=True, defaults={"auto_update": enabled})


def schedule_set(*, schedule: str, at: datetime.time, weekday: int) -> None:
    UpdatePolicy.objects.update_or_create(singleton=True, defaults={"schedule": schedule, "at": at, "weekday": weekday})


def check_due(*, policy: UpdatePolicy, now: datetime.datetime | None = None) -> bool:
    """Is a scheduled check due? At most one per period: the last one is remembered."""
    now = now or timezone.now()
    last = policy.last_check_at
    if policy.schedule == UpdatePolicy.Schedule.HOURLY:
        return last is None or now - last >= datetime.timedelta(hours=1)
    today_at = now.replace(hour=policy.at.hour, minute=policy.at.minute, second=0, microsecond=0)
    if policy.schedule == UpdatePolicy.Schedule.WEEKLY:
        today_at -= datetime.timedelta(days=(now.weekday() - policy.weekday) % 7)
    elif now < today_at:
        today_at -= datetime.timedelta(days=1)
    # The most recent scheduled moment has passed: due unless a check already ran since then.
    if policy.schedule == UpdatePolicy.Schedule.WEEKLY and now < today_at:
        today_at -= datetime.timedelta(days=7)
    return last is None or last < today_at


def check_claim(*, now: datetime.datetime | None = None) -> bool:
    """Take the due check: a conditional update, so two beats (or a restart) never start two."""
    now = now or timezone.now()
    policy = policy_get()
    if not check_due(policy=policy, now=now):
        return False
    # last_check_at=None filters IS NULL: the first check is claimed the same way.
    return bool(UpdatePolicy.objects.filter(pk=policy.pk, last_check_at=policy.last_check_at).update(last_check_at=now))
