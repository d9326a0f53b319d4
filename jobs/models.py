from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Job(models.Model):
    """One change the panel makes to the swarm; the row is the truth about it (and the audit trail)."""

    class Kind(models.TextChoices):
        # Named as things, not as the buttons' actions ("Scale"): Spanish says "Escalado", not "Escalar".
        CREATE = "create", pgettext_lazy("job kind", "Create")
        UPDATE = "update", pgettext_lazy("job kind", "Update")
        SCALE = "scale", pgettext_lazy("job kind", "Scale")
        REDEPLOY = "redeploy", pgettext_lazy("job kind", "Redeploy")
        ROLLBACK = "rollback", pgettext_lazy("job kind", "Roll back")
        REMOVE = "remove", pgettext_lazy("job kind", "Remove")
        UPDATE_CHECK = "update_check", pgettext_lazy("job kind", "Check for updates")
        IMAGE_UPDATE = "image_update", pgettext_lazy("job kind", "Update image")
        NODE_AVAILABILITY = "node_availability", pgettext_lazy("job kind", "Node availability")
        NODE_ROLE = "node_role", pgettext_lazy("job kind", "Node role")
        NODE_LABELS = "node_labels", pgettext_lazy("job kind", "Node labels")
        NODE_REMOVE = "node_remove", pgettext_lazy("job kind", "Remove node")
        STACK_DEPLOY = "stack_deploy", pgettext_lazy("job kind", "Deploy stack")
        STACK_ROLLBACK = "stack_rollback", pgettext_lazy("job kind", "Roll back stack")
        STACK_REMOVE = "stack_remove", pgettext_lazy("job kind", "Remove stack")
        NETWORK_CREATE = "network_create", pgettext_lazy("job kind", "Create network")
        NETWORK_REMOVE = "network_remove", pgettext_lazy("job kind", "Remove network")
        SECRET_CREATE = "secret_create", pgettext_lazy("job kind", "Create secret")
        SECRET_ROTATE = "secret_rotate", pgettext_lazy("job kind", "Rotate secret")
        SECRET_REMOVE = "secret_remove", pgettext_lazy("job kind", "Remove secret")
        CONFIG_CREATE = "config_create", pgettext_lazy("job kind", "Create config")
        CONFIG_REMOVE = "config_remove", pgettext_lazy("job kind", "Remove config")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        ROLLED_BACK = "rolled_back", _("Rolled back")
        PAUSED = "paused", _("Paused")

    class Via(models.TextChoices):
        """How the request reached the panel: the audit trail's second half, beside who made it."""

        PANEL = "panel", _("the panel")
        API = "api", _("an API token")
        HOOK = "hook", _("a deploy hook")

    FINISHED_STATES = (State.SUCCEEDED, State.FAILED, State.ROLLED_BACK, State.PAUSED)

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # A job's target: a service (service jobs, image updates) or a node (node jobs), each in fields
    # of its own, so an empty name always means "no such target", never "the other kind's".
    service_id = models.CharField(_("service ID"), max_length=64, blank=True, db_index=True)
    service_name = models.CharField(_("service"), max_length=64, blank=True)
    # A default in the table too: a process of the release before (say, during the panel's own
    # update) writes rows without these columns. Host names run to 255 characters.
    node_id = models.CharField(_("node ID"), max_length=64, blank=True, default="", db_default="", db_index=True)
    node_name = models.CharField(_("node"), max_length=255, blank=True, default="", db_default="")
    # The target of the other jobs: a stack, network, secret or config, as ``kind`` says. A stack
    # has a name only; the others are found by id (empty until a create job has made the object).
    target_id = models.CharField(_("target ID"), max_length=64, blank=True, default="", db_default="", db_index=True)
    target_name = models.CharField(_("target"), max_length=255, blank=True, default="", db_default="")
    params = models.JSONField(_("requested change"), default=dict)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.QUEUED)
    progress_done = models.PositiveIntegerField(_("tasks updated"), default=0)
    progress_total = models.PositiveIntegerField(_("tasks in total"), default=0)
    update_state = models.CharField(_("update status"), max_length=30, blank=True)
    # Each step: {"at": ISO time, "code": a key of services.job_messages.STEPS, "params": {...}};
    # stored as codes so every reader sees them in their own language.
    steps = models.JSONField(_("steps"), default=list)
    error_code = models.CharField(_("error"), max_length=40, blank=True)
    error = models.TextField(_("error detail"), blank=True)  # the engine's own words
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("requested by")
    )
    # With the API, the token's name; with a hook, the hook's (a hook's job has no requesting user).
    via = models.CharField(
        _("requested through"), max_length=10, choices=Via.choices, default=Via.PANEL, db_default=Via.PANEL
    )
    via_name = models.CharField(_("token or hook"), max_length=100, blank=True, default="", db_default="")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("heartbeat"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        db_table = "services_job"  # created by the services app; moved here without a copy
        ordering = ["-created_at", "-id"]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        indexes = [models.Index(fields=["state", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.target_label} ({self.state})"

    @property
    def target_label(self) -> str:
        """What the job changes, by name: its service, node, stack, network, secret or config."""
        return self.service_name or self.node_name or self.target_name

    @property
    def finished(self) -> bool:
        return self.state in self.FINISHED_STATES

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 100 if self.state == self.State.SUCCEEDED else 0
        return min(100, round(100 * self.progress_done / self.progress_total))
