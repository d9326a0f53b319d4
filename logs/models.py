from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LogStream(models.Model):
    """One open log websocket, in the database so the limits hold across every web process.

    A row whose heartbeat (``seen_at``) stopped belongs to a process that died without closing its
    sockets: it counts for nothing after logs.registry.STALE and the retention removes it.
    """

    class Kind(models.TextChoices):
        SERVICE = "service", _("Service")
        TASK = "task", _("Task")

    channel_name = models.CharField(_("channel"), max_length=255, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, verbose_name=_("user"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    target_id = models.CharField(_("target"), max_length=64)
    opened_at = models.DateTimeField(_("opened"), auto_now_add=True)
    seen_at = models.DateTimeField(_("seen"), db_index=True)

    def __str__(self) -> str:
        return f"log stream {self.kind} {self.target_id}"
