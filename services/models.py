from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Job(models.Model):
    """One change the panel makes to the swarm; the row is the truth about it (and the audit trail)."""

    class Kind(models.TextChoices):
        CREATE = "create", _("Create")
        UPDATE = "update", _("Update")
        SCALE = "scale", _("Scale")
        REDEPLOY = "redeploy", _("Redeploy")
        ROLLBACK = "rollback", _("Roll back")
        REMOVE = "remove", _("Remove")
        UPDATE_CHECK = "update_check", _("Check for updates")
        IMAGE_UPDATE = "image_update", _("Update image")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        ROLLED_BACK = "rolled_back", _("Rolled back")
        PAUSED = "paused", _("Paused")

    FINISHED_STATES = (State.SUCCEEDED, State.FAILED, State.ROLLED_BACK, State.PAUSED)

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    service_id = models.CharField(_("service ID"), max_length=64, blank=True, db_index=True)
    service_name = models.CharField(_("service"), max_length=64)
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
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("heartbeat"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        indexes = [models.Index(fields=["state", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.service_name} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in self.FINISHED_STATES

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 100 if self.state == self.State.SUCCEEDED else 0
        return min(100, round(100 * self.progress_done / self.progress_total))


class Task(models.Model):
    """Every Swarm task the panel has seen, kept long after Swarm forgets it (5 per slot)."""

    class EndCause(models.TextChoices):
        EXIT = "exit", _("non-zero exit")
        UNHEALTHY = "unhealthy", _("unhealthy")
        NODE = "node", _("node down")
        UPDATE = "update", _("update")
        STOPPED = "stopped", _("stopped")
        COMPLETED = "completed", _("completed")

    # Causes that count as a restart: the task was replaced without anyone scaling down.
    RESTART_CAUSES = (EndCause.EXIT, EndCause.UNHEALTHY, EndCause.NODE, EndCause.UPDATE)

    task_id = models.CharField(_("task ID"), max_length=64, unique=True)
    service_id = models.CharField(_("service ID"), max_length=64, db_index=True)
    service_name = models.CharField(_("service"), max_length=255, blank=True)
    slot = models.PositiveIntegerField(_("slot"), null=True, blank=True)
    node_id = models.CharField(_("node"), max_length=64, blank=True)
    container_id = models.CharField(_("container"), max_length=64, blank=True)
    image = models.CharField(_("image"), max_length=512, blank=True)
    state = models.CharField(_("state"), max_length=20)
    desired_state = models.CharField(_("desired state"), max_length=20, blank=True)
    message = models.CharField(_("message"), max_length=255, blank=True)
    error = models.TextField(_("error"), blank=True)
    exit_code = models.IntegerField(_("exit code"), null=True, blank=True)
    health = models.CharField(_("health"), max_length=20, blank=True)
    health_node = models.CharField(_("health reported by"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"))
    state_at = models.DateTimeField(_("state since"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True, db_index=True)
    end_cause = models.CharField(_("cause"), max_length=20, choices=EndCause.choices, blank=True)
    # A cause read from the API is final; one guessed from a container's die event is not.
    end_cause_final = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [models.Index(fields=["service_id", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.service_name}.{self.slot or self.node_id} {self.task_id[:12]}"


class TaskTransition(models.Model):
    """Each state a task went through, stored once however often it is read."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="transitions")
    state = models.CharField(_("state"), max_length=20)
    at = models.DateTimeField(_("time"))
    exit_code = models.IntegerField(_("exit code"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["at"]
        constraints = [models.UniqueConstraint(fields=["task", "state"], name="task_transition_once")]

    def __str__(self) -> str:
        return f"{self.task_id} {self.state}"


class ServiceEvent(models.Model):
    """What happened to a service: Docker events and update status changes, stored once each."""

    key = models.CharField(max_length=200, unique=True)
    service_id = models.CharField(_("service ID"), max_length=64, db_index=True)
    service_name = models.CharField(_("service"), max_length=255, blank=True)
    at = models.DateTimeField(_("time"), db_index=True)
    kind = models.CharField(_("event"), max_length=40)
    detail = models.TextField(_("detail"), blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.service_name} {self.kind}"


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

    def __str__(self) -> str:
        return f"watcher {self.name}"
