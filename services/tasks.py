from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_job_task(job_id: int) -> None:
    from .jobs import job_run

    job_run(job_id=job_id)
