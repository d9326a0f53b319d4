from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .roles import Role


class Installation(models.Model):
    """Exactly one row once the panel is activated; the unique singleton makes a second one impossible."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    activated_at = models.DateTimeField(_("activated"), auto_now_add=True)
    admin = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("administrator"))
    wizard_step = models.CharField(_("first-run step"), max_length=20, default="language")
    wizard_done_at = models.DateTimeField(_("first run finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("installation")
        constraints = [models.CheckConstraint(condition=models.Q(singleton=True), name="installation_singleton")]

    def __str__(self) -> str:
        return f"Swarmdeck installation ({self.activated_at:%Y-%m-%d})"


class SetupToken(models.Model):
    """A one-time activation token printed by the server; only its hash is kept."""

    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # The credentials shown on the activation page, pending the Activate click: a password hash,
    # never the password, and a nonce so only the page that showed them can activate them.
    pending_username = models.CharField(max_length=150, blank=True)
    pending_password = models.CharField(max_length=128, blank=True)
    pending_nonce = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("setup token")

    def __str__(self) -> str:
        return f"setup token {self.token_hash[:8]}"


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    language = models.CharField(_("language"), max_length=10, blank=True, choices=settings.LANGUAGES)
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        verbose_name = _("profile")

    def __str__(self) -> str:
        return f"profile of {self.user}"
