"""Apprise, the one library that speaks to every channel: check a URL, mask it, send one delivery."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit, urlunsplit

import apprise
from django.db.models import F
from django.utils import timezone

from .messages import delivery_message
from .models import Delivery

NOTIFY_TYPES = {
    Delivery.Kind.OPENED: apprise.NotifyType.FAILURE,
    Delivery.Kind.RESOLVED: apprise.NotifyType.SUCCESS,
    Delivery.Kind.TEST: apprise.NotifyType.INFO,
}


def channel_display_url(url: str) -> str | None:
    """The URL as a page may show it, or None if Apprise does not understand it: Apprise's privacy
    form (passwords and tokens masked), without the query, where some services carry headers or keys."""
    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        return None
    parts = urlsplit(plugin.url(privacy=True))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def apprise_send(*, url: str, title: str, body: str, notify_type: str) -> str:
    """Send one message; "" when it went, else Apprise's own words for what went wrong."""
    sender = apprise.Apprise()
    if not sender.add(url):
        return "Apprise does not understand this URL."
    with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured:
        sent = sender.notify(title=title, body=body, notify_type=notify_type)
        words = captured.getvalue().strip()
    if sent:
        return ""
    return words or "Apprise could not send the notification."


def delivery_send(*, delivery_id: int, last_try: bool) -> bool:
    """Send a queued delivery once; True when it failed and should be tried again.

    A delivery no longer queued (sent, or given up) is left alone, so a message redelivered after a
    success sends nothing; the outcome is written only where the row is still queued.
    """
    delivery = (
        Delivery.objects.select_related("channel", "incident__rule")
        .filter(id=delivery_id, state=Delivery.State.QUEUED)
        .first()
    )
    if delivery is None:
        return False
    message = delivery_message(delivery)
    error = apprise_send(
        url=delivery.channel.url, title=message.title, body=message.body, notify_type=NOTIFY_TYPES[delivery.kind]
    )
    queued = Delivery.objects.filter(id=delivery_id, state=Delivery.State.QUEUED)
    if not error:
        queued.update(state=Delivery.State.SENT, sent_at=timezone.now(), attempts=F("attempts") + 1, error="")
        return False
    if last_try:
        queued.update(state=Delivery.State.FAILED, attempts=F("attempts") + 1, error=error)
        return False
    queued.update(attempts=F("attempts") + 1, error=error)
    return True
