"""Celery entry points: thin, JSON arguments only (ids); the work is in incidents and sending."""

from celery import shared_task

SEND_RETRIES = 3  # after the first try: 4 in all, 10, 20 and 40 seconds apart
SEND_RETRY_SECONDS = 10


@shared_task
def notifications_evaluate_task() -> None:
    from .incidents import notifications_evaluate

    notifications_evaluate()


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=SEND_RETRIES)
def delivery_send_task(self, delivery_id: int) -> None:
    from .sending import delivery_send

    if delivery_send(delivery_id=delivery_id, last_try=self.request.retries >= self.max_retries):
        raise self.retry(countdown=SEND_RETRY_SECONDS * 2**self.request.retries)
