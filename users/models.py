from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role


class Invite(models.Model):
    """A one-time link that lets one person choose a user name and password, with the role given.

    Only the token's hash is kept: the link is shown once, to the administrator who made it. It
    serves once (``used_at`` is set by a conditional update, so two submits cannot both join), and
    not after ``expires_at`` or a revocation.
    """

    token_hash = models.CharField(max_length=64, unique=True)
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    # Whom the link is for, in the administrator's words: tells the pending invites apart.
    note = models.CharField(_("for"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("invited by")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invite")

    def __str__(self) -> str:
        return f"invite {self.token_hash[:8]} ({self.role})"
