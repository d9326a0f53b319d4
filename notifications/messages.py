"""The words of every notification, by code: incidents store codes and data, and a message is
worded when it is sent, in the panel's language (``panel_language``), never when it is recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext, gettext_lazy, ngettext, override

from history.labels import NodeState, UpdateState, label
from jobs.messages import ERRORS, render

from .models import Delivery, Incident, Rule

# What happened, by Incident.code; the params are the incident's.
FACTS = {
    "crash_loop": None,  # plural: worded by _crash_loop
    "unhealthy": gettext_lazy("{name}: a task is failing its health check ({task})."),
    "short_of_replicas": gettext_lazy("{name}: {running} of {desired} tasks running."),
    "update_failed": gettext_lazy("{name}: {state}. {message}"),
    "job_failed": gettext_lazy("Job #{job} ({kind}) on {name} did not succeed: {state}. {error}"),
    "node_down": gettext_lazy("Node {name} is {state}."),
    "watcher_down": gettext_lazy("The watcher {name} is not connected to its Docker engine; last heartbeat {since}."),
}
RESOLVED = gettext_lazy("{name} is fine again ({rule}, since {opened}).")
EXIT_CODE = gettext_lazy("Last exit code: {code}.")


@dataclass(frozen=True)
class Message:
    title: str
    body: str


def panel_language() -> str:
    """The installation admin's language when they chose one, else the panel's default."""
    from accounts.models import Installation

    installation = Installation.objects.select_related("admin__profile").first()
    profile = getattr(installation.admin, "profile", None) if installation else None
    return (profile.language if profile else "") or settings.LANGUAGE_CODE


def panel_link(path: str) -> str:
    """An address to open from a phone or a mail: absolute with SWARMDECK_URL, the path alone without."""
    return f"{settings.SWARMDECK_URL}{path}" if settings.SWARMDECK_URL else path


def delivery_message(delivery: Delivery) -> Message:
    with override(panel_language()):
        if delivery.incident is None:
            return Message(
                title=gettext("Swarmdeck: test notification"),
                body=gettext("This channel works: Swarmdeck can reach it.")
                + "\n"
                + panel_link(reverse("notifications:list")),
            )
        incident = delivery.incident
        rule_kind = label(Rule.Kind, incident.rule.kind)
        if delivery.kind == Delivery.Kind.RESOLVED:
            title = gettext("Swarmdeck: resolved: {name}: {kind}").format(name=incident.subject_name, kind=rule_kind)
            opened = formats.date_format(timezone.localtime(incident.opened_at), "SHORT_DATETIME_FORMAT")
            text = str(RESOLVED).format(name=incident.subject_name, rule=rule_kind, opened=opened)
        else:
            title = gettext("Swarmdeck: {name}: {kind}").format(name=incident.subject_name, kind=rule_kind)
            text = incident_fact(incident)
        return Message(title=title, body=f"{text}\n{panel_link(incident_path(incident))}")


def incident_fact(incident: Incident) -> str:
    """What happened, in the active language ("web restarted 5 times in 5 minutes. Last exit code: 3.")."""
    params = {"name": incident.subject_name, **incident.params}
    if incident.code == "crash_loop":
        return _crash_loop(params)
    if "state" in params:
        choices = {"update_failed": UpdateState, "node_down": NodeState}.get(incident.code)
        params["state"] = label(choices, params["state"]) if choices else params["state"]
    if incident.code == "job_failed":
        from jobs.models import Job

        params["kind"] = label(Job.Kind, params.get("kind", ""))
        params["state"] = label(Job.State, params.get("state", ""))
        error = params.get("error_code", "")
        params["error"] = render(ERRORS, error) if error else ""
    if incident.code == "watcher_down" and params.get("since"):
        since = datetime.fromisoformat(params["since"])
        params["since"] = formats.date_format(timezone.localtime(since), "SHORT_DATETIME_FORMAT")
    template = FACTS.get(incident.code)
    try:
        return str(template).format(**params).strip() if template else incident.code
    except (KeyError, IndexError):
        return str(template)


def _crash_loop(params: dict) -> str:
    text = ngettext(
        "{name} restarted {restarts} time in {minutes} minutes.",
        "{name} restarted {restarts} times in {minutes} minutes.",
        params.get("restarts", 0),
    ).format(**params)
    if params.get("exit_code") is not None:
        text += " " + str(EXIT_CODE).format(code=params["exit_code"])
    return text


def incident_path(incident: Incident) -> str:
    """The panel's page of the incident's subject."""
    kind = incident.rule.kind
    if kind == Rule.Kind.NODE_DOWN:
        return reverse("nodes:detail", args=[incident.subject])
    if kind == Rule.Kind.JOB_FAILED:
        return reverse("jobs:detail", args=[int(incident.subject)])
    if kind == Rule.Kind.WATCHER_DOWN:
        return reverse("overview")
    return reverse("services:detail", args=[incident.subject])
