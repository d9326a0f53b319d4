"""Service events as codes + params instead of English fragments; every old row is converted.

Old rows: kind "service update" / "container die" / "health_status" / "update_status"...,
detail "replicas.new=3 replicas.old=1" / "web.2: exit 15" / "web.2: unhealthy" / "paused: message".
A row this migration cannot read keeps its old text in params["legacy"], shown as it was.
The parsing is written out here, not imported, so this migration means the same thing forever.
"""

import re

from django.db import migrations, models

SERVICE_KINDS = {"create": "service_create", "update": "service_update", "remove": "service_remove"}
CONTAINER_KINDS = {"start": "container_start", "oom": "container_oom", "kill": "container_kill"}


def _attributes(detail):
    """ "replicas.new=3 replicas.old=1" back into a dict (a value with spaces continues its token)."""
    attributes, name = {}, None
    for token in detail.split():
        key, equals, value = token.partition("=")
        if equals:
            name = key
            attributes[name] = value
        elif name is not None:
            attributes[name] += " " + token
    return attributes


def old_to_new(kind, detail):
    if kind.startswith("service "):
        action = kind.removeprefix("service ")
        params = {"attributes": _attributes(detail)}
        if action not in SERVICE_KINDS:
            params["action"] = action
        return SERVICE_KINDS.get(action, "service_other"), params
    if kind == "update_status":
        state, _sep, message = detail.partition(": ")
        return "update_status", {"state": state.strip(), "message": message.strip()}
    if kind == "health_status":
        task, sep, health = detail.rpartition(": ")
        if sep:
            return "health", {"task": task, "health": health.strip()}
    if kind == "container die":
        match = re.fullmatch(r"(.*): exit (-?\d+)", detail)
        if match:
            return "container_die", {"task": match[1], "exit_code": int(match[2])}
    if kind.startswith("container ") and kind.removeprefix("container ") in CONTAINER_KINDS:
        return CONTAINER_KINDS[kind.removeprefix("container ")], {"task": detail}
    return kind, {"legacy": detail} if detail else {}


def new_to_old(kind, params):
    if "legacy" in params:
        return kind, params["legacy"]
    if kind.startswith("service_"):
        attributes = params.get("attributes") or {}
        action = params.get("action") or kind.removeprefix("service_")
        return f"service {action}", " ".join(f"{name}={value}" for name, value in sorted(attributes.items()))
    if kind == "update_status":
        return kind, f"{params.get('state', '')}: {params.get('message', '')}".strip(": ")
    if kind == "health":
        return "health_status", f"{params.get('task', '')}: {params.get('health', '')}"
    if kind == "container_die":
        return "container die", f"{params.get('task', '')}: exit {params.get('exit_code', 0)}"
    if kind.startswith("container_"):
        return kind.replace("_", " ", 1), params.get("task", "")
    return kind, ""


def forward(apps, schema_editor):
    ServiceEvent = apps.get_model("history", "ServiceEvent")
    batch = []
    for event in ServiceEvent.objects.only("kind", "detail").iterator(chunk_size=500):
        event.kind, event.params = old_to_new(event.kind, event.detail)
        batch.append(event)
        if len(batch) == 500:
            ServiceEvent.objects.bulk_update(batch, ["kind", "params"])
            batch = []
    ServiceEvent.objects.bulk_update(batch, ["kind", "params"])


def backward(apps, schema_editor):
    ServiceEvent = apps.get_model("history", "ServiceEvent")
    batch = []
    for event in ServiceEvent.objects.only("kind", "params").iterator(chunk_size=500):
        event.kind, event.detail = new_to_old(event.kind, event.params or {})
        batch.append(event)
        if len(batch) == 500:
            ServiceEvent.objects.bulk_update(batch, ["kind", "detail"])
            batch = []
    ServiceEvent.objects.bulk_update(batch, ["kind", "detail"])


class Migration(migrations.Migration):
    # After the move out of the services app: a database rolled back to before the move (the
    # services app's 0004) gets the old format back too, as that release expects.
    dependencies = [
        ("history", "0001_initial"),
        ("services", "0005_models_moved_out"),
    ]

    operations = [
        migrations.AddField(
            model_name="serviceevent",
            name="params",
            field=models.JSONField(blank=True, default=dict, verbose_name="details"),
        ),
        migrations.RunPython(forward, backward),
        migrations.RemoveField(
            model_name="serviceevent",
            name="detail",
        ),
        migrations.AlterField(
            model_name="serviceevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("service_create", "service created"),
                    ("service_update", "service updated"),
                    ("service_remove", "service removed"),
                    ("service_other", "service event"),
                    ("container_start", "task started"),
                    ("container_die", "task exited"),
                    ("container_oom", "out of memory"),
                    ("container_kill", "task killed"),
                    ("health", "health check"),
                    ("update_status", "update status"),
                ],
                max_length=40,
                verbose_name="event",
            ),
        ),
    ]
