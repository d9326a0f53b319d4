import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _


class UpdateTarget(models.Model):
    """An image tag Swarmdeck follows: the panel's own service(s) or container, or a service that
    opted in with the label ``swarmdeck.autoupdate=true``. The row remembers what every check found."""

    class Kind(models.TextChoices):
        PANEL_SERVICE = "panel_service", _("Swarmdeck (Swarm service)")
        PANEL_CONTAINER = "panel_container", _("Swarmdeck (container)")
        SERVICE = "service", _("Service")

    class Result(models.TextChoices):
        UP_TO_DATE = "up_to_date", _("Up to date")
        AVAILABLE = "available", _("Update available")
        UPDATING = "updating", _("Updating")
        REGISTRY_UNREACHABLE = "registry_unreachable", _("Registry unreachable")
        TAG_NOT_FOUND = "tag_not_found", _("Tag not found")
        NOT_SUPPORTED = "not_supported", _("Not supported")
        ROLLED_BACK_BEFORE = "rolled_back_before", _("Skipped: rolled back before")
        ERROR = "error", _("Error")

    key = models.CharField(max_length=100, unique=True)  # "service:<id>" or "container:<name>"
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=255)
    object_id = models.CharField(_("service or container ID"), max_length=64, blank=True)
    image = models.CharField(_("image"), max_length=512, blank=True)  # repository:tag, without digest
    running_digest = models.CharField(_("running digest"), max_length=80, blank=True)
    available_digest = models.CharField(_("available digest"), max_length=80, blank=True)
    checked_at = models.DateTimeField(_("last check"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=30, choices=Result.choices, blank=True)
    # Why: a code from updates.messages.REASONS (not supported...) and the engine's own words.
    reason = models.CharField(_("reason"), max_length=40, blank=True)
    detail = models.TextField(_("detail"), blank=True)
    # Digests Swarm or the helper rolled back: never tried again by itself (the tag still names them).
    rolled_back_digests = models.JSONField(default=list)
    last_update_digest = models.CharField(max_length=80, blank=True)
    last_update_at = models.DateTimeField(null=True, blank=True)
    present = models.BooleanField(default=True)  # false once the service or container is gone

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("update target")

    def __str__(self) -> str:
        return f"{self.name} ({self.image})"

    @property
    def update_available(self) -> bool:
        return bool(self.available_digest) and self.available_digest != self.running_digest


class UpdatePolicy(models.Model):
    """Whether and when the panel updates itself: one row, the one place this is stored
    (SWARMDECK_AUTO_UPDATE, when set, overrides ``auto_update``; see updates.policy)."""

    class Schedule(models.TextChoices):
        HOURLY = "hourly", _("Every hour")
        DAILY = "daily", _("Every day")
        WEEKLY = "weekly", _("Every week")

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    auto_update = models.BooleanField(_("update the panel automatically"), default=False)
    schedule = models.CharField(_("check"), max_length=10, choices=Schedule.choices, default=Schedule.HOURLY)
    at = models.TimeField(_("at (UTC)"), default=datetime.time(3, 0))  # daily and weekly checks
    weekday = models.PositiveSmallIntegerField(
        _("on"),
        default=0,
        choices=[
            (0, _("Monday")),
            (1, _("Tuesday")),
            (2, _("Wednesday")),
            (3, _("Thursday")),
            (4, _("Friday")),
            (5, _("Saturday")),
            (6, _("Sunday")),
        ],
    )
    last_check_at = models.DateTimeField(_("last scheduled check"), null=True, blank=True)

    class Meta:
        verbose_name = _("update policy")
        constraints = [models.CheckConstraint(condition=models.Q(singleton=True), name="update_policy_singleton")]

    def __str__(self) -> str:
        return f"update policy ({self.schedule})"
