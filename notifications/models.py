"""Notifications: where to send (channels), what to watch (rules), what happened (incidents) and
what was sent (deliveries, the history).

An incident is one subject in trouble by one rule, from the pass that saw it to the pass that saw
it clear: it is what makes one notification per incident, however many restarts it holds.
Facts are stored as codes and data (``notifications.messages`` words them when sending).
"""

from __future__ import annotations

from cryptography.fernet import MultiFernet
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from dashboard.sealing import fernet


def _fernet() -> MultiFernet:
    return fernet(salt="swarmdeck.notifications.channel", purpose="notification channel URL")


class Channel(models.Model):
    """One Apprise URL. It often holds a token or a password, so it is stored sealed and shown only
    as ``display_url`` (Apprise's own privacy form of it, without the query)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    sealed_url = models.TextField(editable=False)
    display_url = models.CharField(_("address"), max_length=500, editable=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("channel")
        verbose_name_plural = _("channels")

    def __str__(self) -> str:
        return self.name

    @property
    def url(self) -> str:
        return _fernet().decrypt(self.sealed_url.encode()).decode()

    @url.setter
    def url(self, value: str) -> None:
        self.sealed_url = _fernet().encrypt(value.encode()).decode()


class Rule(models.Model):
    class Kind(models.TextChoices):
        CRASH_LOOP = "crash_loop", _("Crash loop")
        UNHEALTHY = "unhealthy", _("Unhealthy task")
        SHORT_OF_REPLICAS = "short_of_replicas", _("Short of replicas")
        UPDATE_FAILED = "update_failed", _("Update paused or rolled back")
        JOB_FAILED = "job_failed", _("Job failed")
        NODE_DOWN = "node_down", _("Node down")
        WATCHER_DOWN = "watcher_down", _("Watcher disconnected")

    # The kinds that wait for their duration before notifying, and those the service filter applies to
    # (the restarts and the window are read by the crash loop, the window by the unhealthy task too).
    USES_DURATION = frozenset({Kind.SHORT_OF_REPLICAS, Kind.NODE_DOWN, Kind.WATCHER_DOWN})
    USES_SERVICE_FILTER = frozenset(
        {Kind.CRASH_LOOP, Kind.UNHEALTHY, Kind.SHORT_OF_REPLICAS, Kind.UPDATE_FAILED, Kind.JOB_FAILED}
    )

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    restarts = models.PositiveIntegerField(
        _("restarts"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=_("Crash loop: this many restarts…"),
    )
    window_minutes = models.PositiveIntegerField(
        _("within (minutes)"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(1440)],
        help_text=_("…within this many minutes. A crash loop or an unhealthy task clears after as long without one."),
    )
    duration_minutes = models.PositiveIntegerField(
        _("for at least (minutes)"),
        default=2,
        validators=[MinValueValidator(0), MaxValueValidator(1440)],
        help_text=_("Short of replicas, node down, watcher disconnected: notify only once it lasts this long."),
    )
    service_filter = models.CharField(
        _("services"),
        max_length=255,
        blank=True,
        help_text=_("Only services whose name matches this pattern (* and ? allowed); empty: every service."),
    )
    channels = models.ManyToManyField(Channel, related_name="rules", verbose_name=_("channels"), blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("rule")
        verbose_name_plural = _("rules")

    def __str__(self) -> str:
        return self.name


class Incident(models.Model):
    """One subject (a service, node, job or watcher) in trouble by one rule.

    ``noticed_at`` is the first pass that saw it; ``opened_at`` is set when it is notified (at once,
    or once it has lasted the rule's duration); one that clears before that is deleted unsent.
    A job failure is one-shot: opened and resolved at once, with no "resolved" message.
    """

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="incidents", verbose_name=_("rule"))
    subject = models.CharField(_("subject ID"), max_length=100)  # service id, node id, job id, watcher name
    subject_name = models.CharField(_("subject"), max_length=255)
    code = models.CharField(_("what happened"), max_length=40)  # a key of notifications.messages.FACTS
    params = models.JSONField(_("details"), default=dict)
    noticed_at = models.DateTimeField(_("noticed"))
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        ordering = ["-noticed_at", "-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        constraints = [
            # Two passes at once (two beats, a slow pass overtaken) cannot open the same one twice.
            models.UniqueConstraint(
                fields=["rule", "subject"], condition=models.Q(resolved_at__isnull=True), name="incident_open_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.subject_name}"


class Delivery(models.Model):
    """One message to one channel: the history of what was sent, or failed to be."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        RESOLVED = "resolved", _("Resolved")
        TEST = "test", _("Test")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("incident")
    )
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("channel"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)  # Apprise's own words
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return f"{self.kind} to {self.channel} ({self.state})"
