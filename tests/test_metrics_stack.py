"""/metrics on the real stack: daphne serves it, Prometheus' parser reads it, and the restarts of a
crash-looping service it counts are the ones the watcher recorded in the history."""

import docker
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from history.models import Task

from .conftest import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SECOND = 1_000_000_000


def _restarts_scraped(url: str, service: str) -> float:
    response = requests.get(f"{url}/metrics", timeout=10)
    assert response.status_code == 200, response.text[:500]
    return sum(
        sample.value
        for family in text_string_to_metric_families(response.text)
        if family.name == "swarmdeck_history_restarts"
        for sample in family.samples
        if sample.labels["service"] == service
    )


def test_metrics_count_the_restarts_the_history_holds(stack, make_service):
    service = make_service(
        command=("sh", "-c", "sleep 1; exit 3"),
        restart_policy=docker.types.RestartPolicy(condition="any", delay=SECOND),
    )
    recorded = Task.objects.filter(service_id=service.id, end_cause=Task.EndCause.EXIT)
    wait_until(lambda: recorded.count() >= 3, timeout=90, message="the watcher recorded no restarts")

    before = recorded.count()
    scraped = _restarts_scraped(stack.url, service.name)
    after = recorded.count()

    # The service keeps crashing: the scrape falls between two counts of the history.
    assert before <= scraped <= after
    assert scraped >= 3
