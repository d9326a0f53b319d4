from django.db import models
from django.utils.translation import gettext_lazy as _

from jobs.messages import ERRORS, render


class Watcher(models.Model):
    """One event watcher (one per node when run as a global service): its state and cursor."""

    class State(models.TextChoices):
        CONNECTED = "connected", _("connected")
        RECONNECTING = "reconnecting", _("reconnecting")
        STOPPED = "stopped", _("stopped")

    # The watcher's own name (its host name unless SWARMDECK_WATCHER_NAME says otherwise): known
    # even while the engine is unreachable, unlike the node id.
    name = models.CharField(_("name"), max_length=255, unique=True)
    node_id = models.CharField(_("node"), max_length=64, blank=True)
    hostname = models.CharField(_("host name"), max_length=255, blank=True)
    is_manager = models.BooleanField(_("manager"), default=False)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.RECONNECTING)
    # Why it is reconnecting: an engine error code (worded by jobs.messages.ERRORS) and its data
    # (detail: the engine's own words, seconds: until the next try, host: the engine it tried).
    problem = models.CharField(_("problem"), max_length=40, blank=True)
    problem_params = models.JSONField(_("problem details"), default=dict, blank=True)
    last_event_ns = models.BigIntegerField(_("last event"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("heartbeat"), auto_now=True)

    class Meta:
        db_table = "services_watcher"  # created by the services app

    def __str__(self) -> str:
        return f"watcher {self.name}"

    @property
    def problem_text(self) -> str:
        """The problem in the reader's language ("" when there is none)."""
        return render(ERRORS, self.problem, self.problem_params) if self.problem else ""
