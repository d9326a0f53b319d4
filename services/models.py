from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Job(models.Model):
    """One change the panel makes to the swarm; the row is the truth about it."""

    class Kind(models.TextChoices):
        SCALE = "scale", _("Scale")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    FINISHED_STATES = (State.SUCCEEDED, State.FAILED)

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    service_id = models.CharField(_("service ID"), max_length=64)
    service_name = models.CharField(_("service"), max_length=64)
    params = models.JSONField(_("requested change"), default=dict)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.QUEUED)
    message = models.TextField(_("message"), blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("requested by")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("heartbeat"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.service_name} ({self.get_state_display()})"

    @property
    def finished(self) -> bool:
        return self.state in self.FINISHED_STATES
