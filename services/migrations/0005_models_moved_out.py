"""Job moved to jobs, Task/TaskTransition/ServiceEvent to history, Watcher to watcher.

Only Django's idea of the models moves (SeparateDatabaseAndState): the tables keep their names and
every row. The content types follow, so permissions and admin history keep pointing at them.
"""


from django.db import migrations

MOVED = {"job": "jobs", "task": "history", "tasktransition": "history", "serviceevent": "history", "watcher": "watcher"}


def content_types_move(apps, schema_editor, back=False):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model, app in MOVED.items():
        old, new = ("services", app) if not back else (app, "services")
        if not ContentType.objects.filter(app_label=new, model=model).exists():
            ContentType.objects.filter(app_label=old, model=model).update(app_label=new)


def content_types_back(apps, schema_editor):
    content_types_move(apps, schema_editor, back=True)


class Migration(migrations.Migration):

    dependencies = [
        ('services', '0004_alter_job_kind'),
        ('jobs', '0001_initial'),
        ('history', '0001_initial'),
        ('watcher', '0001_initial'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='job',
                    name='requested_by',
                ),
                migrations.DeleteModel(
                    name='ServiceEvent',
                ),
                migrations.RemoveField(
                    model_name='tasktransition',
                    name='task',
                ),
                migrations.DeleteModel(
                    name='Watcher',
                ),
                migrations.DeleteModel(
                    name='Job',
                ),
                migrations.DeleteModel(
                    name='Task',
                ),
                migrations.DeleteModel(
                    name='TaskTransition',
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_move, content_types_back),
    ]
