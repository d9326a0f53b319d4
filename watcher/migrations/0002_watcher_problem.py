"""Watcher.message (an English sentence) becomes a code + params, worded when shown.

Old messages read "<error words> (<engine detail>); retry in <n> s". The code is recovered from the
words (only the two errors the watcher meets in practice are told apart); the rest is kept as data.
"""

import re

from django.db import migrations, models

OLD_MESSAGE = re.compile(r"(?P<words>.*) \((?P<detail>.*)\); retry in (?P<seconds>\d+) s", re.DOTALL)


def old_to_new(message):
    if not message:
        return "", {}
    match = OLD_MESSAGE.fullmatch(message)
    words, params = message, {"detail": message}
    if match:
        words, params = match["words"], {"detail": match["detail"], "seconds": int(match["seconds"])}
    if "cannot be reached" in words:
        return "unreachable", params
    if "not a Swarm manager" in words:
        return "not_manager", params
    return "engine", params


def forward(apps, schema_editor):
    Watcher = apps.get_model("watcher", "Watcher")
    for watcher in Watcher.objects.exclude(message=""):
        watcher.problem, watcher.problem_params = old_to_new(watcher.message)
        # update(), not save(): heartbeat_at (auto_now) must keep the watcher's own last beat.
        Watcher.objects.filter(pk=watcher.pk).update(problem=watcher.problem, problem_params=watcher.problem_params)


def backward(apps, schema_editor):
    Watcher = apps.get_model("watcher", "Watcher")
    for watcher in Watcher.objects.exclude(problem=""):
        params = watcher.problem_params or {}
        message = f"{watcher.problem} ({params.get('detail', '')}); retry in {params.get('seconds', 0)} s"
        Watcher.objects.filter(pk=watcher.pk).update(message=message)


class Migration(migrations.Migration):
    # After the move out of the services app: a database rolled back to before the move (the
    # services app's 0004) gets the old format back too, as that release expects.
    dependencies = [
        ("watcher", "0001_initial"),
        ("services", "0005_models_moved_out"),
    ]

    operations = [
        migrations.AddField(
            model_name="watcher",
            name="problem",
            field=models.CharField(blank=True, max_length=40, verbose_name="problem"),
        ),
        migrations.AddField(
            model_name="watcher",
            name="problem_params",
            field=models.JSONField(blank=True, default=dict, verbose_name="problem details"),
        ),
        migrations.RunPython(forward, backward),
        migrations.RemoveField(
            model_name="watcher",
            name="message",
        ),
    ]
