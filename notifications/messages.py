"""The words of every notification, by code: incidents store codes and data, and a message is
worded when it is sent, in the panel's language (``panel_language``), never when it is recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext, gettext_lazy, ngettext, override

from dashboard.i18n import sentences_join
from history.labels import UpdateState, label
from jobs.messages import ERRORS, kind_title, render

from .models import Delivery, Incident, Rule

# What happened, by Incident.code; the params are the incident's. One whole sentence per code and
# state: a state's label is never dropped into a sentence, whose grammar would then fit English only.
FACTS = {
    "unhealthy": gettext_lazy("{name}: a task is failing its health check ({task})."),
    "short_of_replicas": gettext_lazy("{name}: {running} of {desired} tasks running."),
    "watcher_down": gettext_lazy("The watcher {name} is not connected to its Docker engine; last heartbeat {since}."),
}
UPDATE_FACTS = {
    UpdateState.PAUSED: gettext_lazy("Swarm paused the update of {name}."),
    UpdateState.ROLLBACK_STARTED: gettext_lazy("The update of {name} failed; Swarm is rolling it back."),
    UpdateState.ROLLBACK_PAUSED: gettext_lazy("Swarm paused the rollback of {name}."),
    UpdateState.ROLLBACK_COMPLETED: gettext_lazy("The update of {name} failed and Swarm rolled it back."),
    UpdateState.UPDATING: gettext_lazy("{name} is being updated again after its failed update."),
}
UPDATE_FACT_OTHER = gettext_lazy("The update of {name} stopped; Swarm reports it as “{state}”.")
SWARM_SAYS = gettext_lazy("Swarm's message: {message}")
JOB_FACTS = {
    "failed": gettext_lazy("Job #{job} ({title}) failed."),
    "rolled_back": gettext_lazy("Job #{job} ({title}) ended with the service rolled back."),
    "paused": gettext_lazy("Job #{job} ({title}) ended with the update paused."),
}
NODE_FACTS = {
    "down": gettext_lazy("Node {name} is down."),
    "disconnected": gettext_lazy("Node {name} is disconnected from the swarm."),
}
NODE_FACT_OTHER = gettext_lazy("Node {name} is not ready; its state is unknown.")
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
    state = params.get("state", "")
    if incident.code == "crash_loop":
        return _crash_loop(params)
    if incident.code == "update_failed":
        template = UPDATE_FACTS.get(state, UPDATE_FACT_OTHER)
        fact = str(template).format(name=params["name"], state=label(UpdateState, state))
        message = params.get("message")
        return sentences_join([fact, str(SWARM_SAYS).format(message=message)] if message else [fact])
    if incident.code == "job_failed":
        title = kind_title(params.get("kind", ""), params["name"])
        fact = str(JOB_FACTS.get(state, JOB_FACTS["failed"])).format(job=params.get("job"), title=title)
        error = params.get("error_code", "")
        return sentences_join([fact, render(ERRORS, error)] if error else [fact])
    if incident.code == "node_down":
        return str(NODE_FACTS.get(state, NODE_FACT_OTHER)).format(name=params["name"])
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
        return sentences_join([text, str(EXIT_CODE).format(code=params["exit_code"])])
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
