from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role


class ApiToken(models.Model):
    """A personal API token: the hash of the secret (shown once, never stored), its role and its life.

    The role is at most the user's when the token is made; at each call the lower of the token's
    and the user's current role applies (api.tokens.token_role), so demoting a user demotes their
    tokens, and a deactivated user's tokens stop working.
    """

    class State(models.TextChoices):
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Revoked")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100)
    # The token's public start ("sd_1a2b3c4d"): lists show it so users tell their tokens apart.
    prefix = models.CharField(_("prefix"), max_length=20, unique=True)
    token_hash = models.CharField(max_length=64, unique=True)  # sha256 of the whole token, hex
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))  # always set: no token lives for ever
    # Written at most once a minute (api.tokens.token_used): a busy script costs no write per call.
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    last_used_from = models.GenericIPAddressField(_("last used from"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix} ({self.name})"

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return self.State.REVOKED
        if self.expires_at <= timezone.now():
            return self.State.EXPIRED
        return self.State.ACTIVE

    @property
    def state_label(self) -> str:
        return self.State(self.state).label
