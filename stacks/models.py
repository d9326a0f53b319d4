"""Every deploy of a stack, kept: what was deployed when and by whom, for the diff and the rollback."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class StackDeploy(models.Model):
    """One compose file sent (or to be sent) to the engine as a stack, with its variables.

    The files its `file:` secrets and configs read are never kept (their content travels to the job
    through jobs.handoff): only their names, which a rollback asks for again."""

    stack_name = models.CharField(_("stack"), max_length=63, db_index=True)
    compose = models.TextField(_("compose file"))
    # Substituted into the compose file by the CLI, and shown on the stack's page: secrets belong
    # in secrets (the form says so).
    variables = models.JSONField(_("variables"), default=dict, blank=True)
    file_names = models.JSONField(_("uploaded files"), default=list, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("requested by")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("job")
    )
    # A rollback is a new deploy of an earlier one's compose file and variables.
    rollback_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("rolled back to")
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("stack deploy")
        verbose_name_plural = _("stack deploys")

    def __str__(self) -> str:
        return f"{self.stack_name} #{self.id}"
