"""Celery entry points of the project itself (the apps' own live in their celery_tasks.py)."""

from celery import shared_task


@shared_task
def retention_task() -> dict[str, int]:
    from .retention import retention_run

    return retention_run()
