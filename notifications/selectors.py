"""What the notifications page reads."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from .messages import incident_fact, incident_path
from .models import Channel, Delivery, Incident, Rule

HISTORY_ROWS = 50


@dataclass(frozen=True)
class IncidentRow:
    incident: Incident
    fact: str  # in the reader's language
    path: str


def notifications_page() -> dict:
    incidents = Incident.objects.filter(resolved_at__isnull=True).select_related("rule")
    deliveries = Delivery.objects.select_related("channel", "incident__rule")[:HISTORY_ROWS]
    return {
        "channels": Channel.objects.all(),
        "rules": Rule.objects.prefetch_related("channels"),
        "incidents": [IncidentRow(row, incident_fact(row), incident_path(row)) for row in incidents],
        "deliveries": deliveries,
        "swarmdeck_url": settings.SWARMDECK_URL,
    }
