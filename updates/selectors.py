"""What the Updates page shows: the followed images, each with its reason worded and its jobs."""

from __future__ import annotations

from jobs.models import Job

from .messages import REASONS
from .models import UpdateTarget

RECENT_JOBS = 20


def updates_overview() -> tuple[list[UpdateTarget], list[Job]]:
    """The present targets (with ``reason_text`` and ``jobs``, their image updates among the recent
    jobs) and the recent check and update jobs."""
    recent = list(
        Job.objects.filter(kind__in=[Job.Kind.UPDATE_CHECK, Job.Kind.IMAGE_UPDATE]).select_related("requested_by")[
            :RECENT_JOBS
        ]
    )
    targets = list(UpdateTarget.objects.filter(present=True))
    for target in targets:
        target.reason_text = REASONS.get(target.reason, target.reason)
        target.jobs = [
            job for job in recent if job.kind == Job.Kind.IMAGE_UPDATE and job.params.get("target") == target.key
        ]
    return targets, recent
