"""Jobs recorded before secrets were sealed (services/masking.py) kept the environment values they
sent in clear, for good: the finished ones lose the secret values now (the service has them)."""

from django.db import migrations

UNFINISHED = ("queued", "running")  # their values are still to be sent: left to the job


def _scrubbed(env: dict) -> dict:
    from services import masking

    return {
        key: masking.DROPPED if isinstance(value, str) and masking.is_secret(key, value) else value
        for key, value in env.items()
    }


def secrets_scrub(apps, schema_editor):
    Job = apps.get_model("jobs", "Job")
    for job in Job.objects.exclude(state__in=UNFINISHED).filter(kind__in=("create", "update")).iterator():
        params = job.params
        values, groups = params.get("values"), params.get("groups")
        if isinstance(values, dict) and isinstance(values.get("env"), dict):
            params = {**params, "values": {**values, "env": _scrubbed(values["env"])}}
        if (
            isinstance(groups, dict)
            and isinstance(groups.get("env"), dict)
            and isinstance(groups["env"].get("env"), dict)
        ):
            params = {**params, "groups": {**groups, "env": {**groups["env"], "env": _scrubbed(groups["env"]["env"])}}}
        if params != job.params:
            Job.objects.filter(pk=job.pk).update(params=params)


class Migration(migrations.Migration):
    dependencies = [("jobs", "0001_initial")]

    operations = [migrations.RunPython(secrets_scrub, migrations.RunPython.noop)]
