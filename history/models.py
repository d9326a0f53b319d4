from django.db import models
from django.utils.translation import gettext_lazy as _

import engine

from .labels import EventKind, event_detail


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
        db_table = "services_task"  # the tables were created by the services app
        ordering = ["-created_at"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            models.Index(fields=["service_id", "ended_at"]),
            # The node page: a node's tasks, newest first.
            models.Index(fields=["node_id", "-created_at"], name="task_node_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.task_id[:12]}"

    @property
    def name(self) -> str:
        return engine.task_display_name(self.service_name, slot=self.slot, node_id=self.node_id)


class TaskTransition(models.Model):
    """Each state a task went through, stored once however often it is read."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="transitions")
    state = models.CharField(_("state"), max_length=20)
    at = models.DateTimeField(_("time"))
    exit_code = models.IntegerField(_("exit code"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        db_table = "services_tasktransition"
        ordering = ["at"]
        constraints = [models.UniqueConstraint(fields=["task", "state"], name="task_transition_once")]

    def __str__(self) -> str:
        return f"{self.task_id} {self.state}"


class ServiceEvent(models.Model):
    """What happened to a service: Docker events and update status changes, stored once each.

    Stored as a code (``kind``) and data (``params``, see history.labels), worded when shown.
    """

    Kind = EventKind

    key = models.CharField(max_length=200, unique=True)
    service_id = models.CharField(_("service ID"), max_length=64, db_index=True)
    service_name = models.CharField(_("service"), max_length=255, blank=True)
    at = models.DateTimeField(_("time"), db_index=True)
    kind = models.CharField(_("event"), max_length=40, choices=EventKind.choices)
    params = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        db_table = "services_serviceevent"
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.service_name} {self.kind}"

    @property
    def detail(self) -> str:
        """The variable part in the reader's language ("web.2: exit code 15")."""
        return event_detail(self.kind, self.params)

    @property
    def note(self) -> str:
        """The engine's own words that came with the event (an update's message), shown as they are."""
        return self.params.get("message", "") if self.kind == EventKind.UPDATE_STATUS else ""
