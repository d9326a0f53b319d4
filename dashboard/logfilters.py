"""Log filters for the console a person reads (LOGGING in settings)."""

from __future__ import annotations

import logging


class PeriodicTaskChatter(logging.Filter):
    """Celery's lines about each run of a periodic task (the stale-job reaper every 30 s: sent by beat,
    received, succeeded) are routine: they show only at the DEBUG level. Their warnings and errors,
    and every line about the jobs people start, still show."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.INFO or logging.getLogger().isEnabledFor(logging.DEBUG):
            return True
        from django.conf import settings

        message = record.getMessage()
        tasks = {entry["task"] for entry in getattr(settings, "CELERY_BEAT_SCHEDULE", {}).values()}
        return not any(task in message for task in tasks)
