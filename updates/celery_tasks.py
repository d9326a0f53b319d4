"""Celery entry points of the updates app: thin, the work is in updates.runners and updates.policy."""

from celery import shared_task


@shared_task
def update_check_due_task() -> int | None:
    """Run by beat every minute: start a check when the stored schedule says one is due."""
    from .policy import check_claim
    from .runners import update_check_request

    if not check_claim():
        return None
    return update_check_request().id
