"""The restart chart reads only its range: a crash loop's stored history does not slow the page."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

import engine
from history.models import Task
from services.chart import restart_chart

pytestmark = pytest.mark.django_db

WEB_ID = "svc1"  # rec-web on the fake engine (tests/fixtures_fake.py)


def _restart(task_id: str, ended_at, cause: str = Task.EndCause.EXIT, service_id: str = WEB_ID) -> Task:
    return Task(
        task_id=task_id,
        service_id=service_id,
        service_name="rec-web",
        slot=1,
        state="failed",
        exit_code=15,
        created_at=ended_at - timedelta(seconds=1),
        state_at=ended_at,
        ended_at=ended_at,
        end_cause=cause,
        end_cause_final=True,
    )


def _rows_returned(sql: str) -> int:
    """Run a captured query again (its parameters are written into it) and count what it returns."""
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return len(cursor.fetchall())


def test_the_chart_counts_per_bucket_and_cause_within_its_range_only():
    now = timezone.now()
    Task.objects.bulk_create(
        [
            _restart("older", now - timedelta(minutes=61)),  # before the range
            _restart("first-a", now - timedelta(minutes=59)),
            _restart("first-b", now - timedelta(minutes=56), Task.EndCause.UNHEALTHY),
            _restart("middle", now - timedelta(minutes=30), Task.EndCause.NODE),
            _restart("last", now - timedelta(seconds=10), Task.EndCause.UPDATE),
            _restart("skewed", now + timedelta(seconds=5)),  # another node's clock: the last bucket
            _restart("scaled-down", now - timedelta(minutes=20), Task.EndCause.STOPPED),  # not a restart
            _restart("other", now - timedelta(minutes=20), service_id="svc2"),
        ]
    )

    chart = restart_chart(Task.objects.filter(service_id=WEB_ID), now=now, range_key="1h")

    by_bucket = {
        index: {segment.cause: segment.count for segment in bucket.segments}
        for index, bucket in enumerate(chart.buckets)
        if bucket.segments
    }
    assert by_bucket == {0: {"exit": 1, "unhealthy": 1}, 6: {"node": 1}, 11: {"exit": 1, "update": 1}}
    assert (chart.total, chart.peak, len(chart.buckets)) == (5, 2, 12)
    assert chart.buckets[0].start == now - timedelta(hours=1)


def test_200_000_stored_restarts_do_not_reach_the_page(panel_client, fake_web):
    now = timezone.now()
    # A crash loop's week: a restart every 2.6 s between two and eight days ago, outside the 24 h
    # the page shows by default; and seven restarts today.
    Task.objects.bulk_create(
        (_restart(f"old-{number}", now - timedelta(days=2, seconds=2.6 * number)) for number in range(200_000)),
        batch_size=5000,
    )
    Task.objects.bulk_create(_restart(f"today-{number}", now - timedelta(hours=number + 1)) for number in range(7))
    in_range = Task.objects.filter(service_id=WEB_ID, ended_at__gte=now - timedelta(hours=24)).count()
    assert in_range == 8  # the seven and fake_web's own unhealthy kill

    with CaptureQueriesContext(connection) as captured:
        response = panel_client.get(reverse("services:detail", args=[WEB_ID]))

    assert response.status_code == 200
    assert f"{in_range} restarts in this period" in response.content.decode()
    history = [query["sql"] for query in captured.captured_queries if "services_task" in query["sql"]]
    returned = [_rows_returned(sql) for sql in history]
    # The restarts table shows a page of 100; the chart at most a row per restart in range (a row
    # per bucket and cause); then the outlook's count, and the stored rows of the tasks Swarm holds.
    assert max(returned) <= 100, returned
    assert sum(returned) <= 100 + in_range + 1 + len(engine.task_list(service_id=WEB_ID)), returned
    assert len(captured) <= 20
