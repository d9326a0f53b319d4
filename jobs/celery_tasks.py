"""Celery entry points: thin, JSON arguments only (ids); the work is in jobs.runner."""

from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_job_task(job_id: int) -> None:
    from .runner import job_run

    job_run(job_id=job_id)


@shared_task
def reap_stale_jobs_task() -> int:
    from .runner import job_reap_stale, job_resume_lost

    job_resume_lost()
    return job_reap_stale()
