"""Open and resolve incidents, and queue their messages: one evaluation pass over every rule.

Every change is a conditional write (a unique open incident per rule and subject; ``opened_at``
and ``resolved_at`` set only where still empty), so two passes at once notify once: only the pass
whose write changed the row queues the deliveries, in the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

import engine

from .models import Delivery, Incident, Rule
from .rules import Finding, Swarm, findings

log = logging.getLogger(__name__)

ONE_SHOT = frozenset({Rule.Kind.JOB_FAILED})  # notified once, with no "resolved"


def notifications_evaluate(*, now: datetime | None = None) -> None:
    """One pass: every enabled rule's findings against its open incidents."""
    now = now or timezone.now()
    swarm = Swarm()
    # A disabled rule says nothing more: its open incidents close quietly.
    Incident.objects.filter(rule__enabled=False, resolved_at__isnull=True).update(resolved_at=now)
    for rule in Rule.objects.filter(enabled=True):
        open_incidents = {incident.subject: incident for incident in rule.incidents.filter(resolved_at__isnull=True)}
        try:
            found = findings(rule, swarm=swarm, open_subjects=set(open_incidents), now=now)
        except engine.EngineError as exc:
            # Without the engine's answer nothing opens and nothing clears: silence is no all-clear.
            log.warning("notification rule %s skipped: %s", rule.id, exc)
            continue
        for subject, finding in found.items():
            incident = open_incidents.get(subject)
            if incident is None:
                incident_notice(rule=rule, finding=finding, now=now)
            elif incident.opened_at is None and _lasted(rule, incident.noticed_at, now):
                incident_open(incident=incident, finding=finding, now=now)
        for subject, incident in open_incidents.items():
            if subject not in found:
                incident_clear(incident=incident, now=now)


def _lasted(rule: Rule, noticed_at: datetime, now: datetime) -> bool:
    if rule.kind not in Rule.USES_DURATION:
        return True
    return now - noticed_at >= timedelta(minutes=rule.duration_minutes)


def incident_notice(*, rule: Rule, finding: Finding, now: datetime) -> Incident | None:
    """A subject newly in trouble: an incident, notified now unless the rule wants it to last."""
    notify = _lasted(rule, now, now)
    one_shot = rule.kind in ONE_SHOT
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                rule=rule,
                subject=finding.subject,
                subject_name=finding.name[:255],
                code=finding.code,
                params=finding.params,
                noticed_at=now,
                opened_at=now if notify else None,
                resolved_at=now if one_shot else None,
            )
            if notify:
                _deliveries_queue(incident, Delivery.Kind.OPENED)
    except IntegrityError:
        return None  # another pass opened it first
    return incident


def incident_open(*, incident: Incident, finding: Finding, now: datetime) -> bool:
    """A noticed incident that lasted the rule's duration: notified now, with the facts as they are."""
    with transaction.atomic():
        changed = Incident.objects.filter(id=incident.id, opened_at__isnull=True, resolved_at__isnull=True).update(
            opened_at=now, code=finding.code, params=finding.params
        )
        if changed:
            incident.refresh_from_db()
            _deliveries_queue(incident, Delivery.Kind.OPENED)
    return bool(changed)


def incident_clear(*, incident: Incident, now: datetime) -> bool:
    """The subject is fine: "resolved" for a notified incident; one never notified is forgotten."""
    if incident.opened_at is None:
        Incident.objects.filter(id=incident.id, opened_at__isnull=True).delete()
        return False
    with transaction.atomic():
        changed = Incident.objects.filter(id=incident.id, resolved_at__isnull=True).update(resolved_at=now)
        if changed:
            _deliveries_queue(incident, Delivery.Kind.RESOLVED)
    return bool(changed)


def _deliveries_queue(incident: Incident, kind: Delivery.Kind) -> None:
    channels = incident.rule.channels.filter(enabled=True)
    deliveries = Delivery.objects.bulk_create(
        [Delivery(incident=incident, channel=channel, kind=kind) for channel in channels]
    )
    deliveries_enqueue(delivery.id for delivery in deliveries)


def delivery_test_queue(*, channel_id: int) -> Delivery:
    """A test message to one channel, from its "Send test" button."""
    with transaction.atomic():
        delivery = Delivery.objects.create(channel_id=channel_id, kind=Delivery.Kind.TEST)
        deliveries_enqueue([delivery.id])
    return delivery


def deliveries_enqueue(ids: Iterable[int]) -> None:
    """Hand the deliveries to the worker once the rows are committed (it reads them by id)."""
    from .celery_tasks import delivery_send_task

    for delivery_id in list(ids):
        transaction.on_commit(lambda delivery_id=delivery_id: _enqueue(delivery_send_task, delivery_id))


def _enqueue(task, delivery_id: int) -> None:
    try:
        task.delay(delivery_id)
    except Exception as exc:  # Redis down: the history says so, rather than "queued" for ever
        log.exception("delivery %s could not be queued", delivery_id)
        Delivery.objects.filter(id=delivery_id, state=Delivery.State.QUEUED).update(
            state=Delivery.State.FAILED, error=str(exc)[:1000]
        )
