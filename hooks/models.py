"""Deploy hooks: a URL per service that CI calls, signed with the hook's secret, to redeploy the
service or move it to another tag or digest of its image, as a Job; and every call made to one."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DeployHook(models.Model):
    # Public: it is the URL's last part, and names the hook. The secret is what proves a call.
    key = models.CharField(_("key"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=60)
    service_id = models.CharField(_("service id"), max_length=64)
    service_name = models.CharField(_("service"), max_length=255)
    # Sealed (dashboard.sealing), not hashed: every call's signature is checked against the secret itself.
    secret_sealed = models.TextField()
    enabled = models.BooleanField(_("enabled"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    rotated_at = models.DateTimeField(_("secret rotated"), null=True, blank=True)

    class Meta:
        ordering = ["service_name", "name", "id"]
        verbose_name = _("deploy hook")
        verbose_name_plural = _("deploy hooks")

    def __str__(self) -> str:
        return f"{self.service_name}: {self.name}"


class HookCall(models.Model):
    """One call of a hook, accepted or refused: the hook's audit trail. A call to an unknown key has
    no hook and leaves no row."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", _("accepted")
        BAD_SIGNATURE = "bad_signature", _("wrong or missing signature")
        STALE = "stale", _("timestamp too old or too far ahead")
        REPLAY = "replay", _("replay of an accepted call")
        DISABLED = "disabled", _("hook disabled")
        BAD_REQUEST = "bad_request", _("malformed request")
        NOT_ALLOWED = "not_allowed", _("image outside the service's repository")
        SERVICE_GONE = "service_gone", _("service no longer exists")
        ENGINE_ERROR = "engine_error", _("Docker engine unreachable")

    hook = models.ForeignKey(DeployHook, on_delete=models.CASCADE, related_name="calls", verbose_name=_("hook"))
    at = models.DateTimeField(_("at"), default=timezone.now)
    client = models.CharField(_("client address"), max_length=64, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    # What the call asked for: "redeploy", or the image it would move the service to.
    change = models.CharField(_("requested change"), max_length=300, blank=True)
    # Why a malformed request was refused (a code of hooks.messages.BAD_REQUEST).
    detail = models.CharField(_("detail"), max_length=40, blank=True)
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("job")
    )
    # SHA-256 of an accepted call's signature: unique, so the same signed request is accepted once,
    # even when its copies reach several web processes at the same moment.
    signature_digest = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["hook", "-at"], name="hooks_call_hook_at")]
        verbose_name = _("hook call")
        verbose_name_plural = _("hook calls")

    def __str__(self) -> str:
        return f"{self.hook_id} {self.at:%Y-%m-%d %H:%M:%S} {self.outcome}"
