"""How long the jobs are kept: the retention (dashboard/retention.py) calls job_prune."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from .models import Job


def job_prune(*, older_than: timedelta) -> int:
    """Remove the jobs that finished more than `older_than` ago; return how many went.

    Only finished jobs: a queued or running one is work in progress, however old (a worker may still
    resume it), and the reaper, not the retention, decides when it has failed.
    """
    cutoff = timezone.now() - older_than
    removed, _ = Job.objects.filter(state__in=Job.FINISHED_STATES, finished_at__lt=cutoff).delete()
    return removed
