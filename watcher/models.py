from django.db import models
from django.utils.translation import gettext_lazy as _


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
    message = models.TextField(_("message"), blank=True)
    last_event_ns = models.BigIntegerField(_("last event"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("heartbeat"), auto_now=True)

    class Meta:
        db_table = "services_watcher"  # created by the services app

    def __str__(self) -> str:
        return f"watcher {self.name}"
