"""The jobs app takes over its models from the services app: state only, the table stays (db_table)."""


import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('services', '0004_alter_job_kind'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.CreateModel(
                name='Job',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('kind', models.CharField(choices=[('create', 'Create'), ('update', 'Update'), ('scale', 'Scale'), ('redeploy', 'Redeploy'), ('rollback', 'Roll back'), ('remove', 'Remove'), ('update_check', 'Check for updates'), ('image_update', 'Update image')], max_length=20, verbose_name='kind')),
                    ('service_id', models.CharField(blank=True, db_index=True, max_length=64, verbose_name='service ID')),
                    ('service_name', models.CharField(max_length=64, verbose_name='service')),
                    ('params', models.JSONField(default=dict, verbose_name='requested change')),
                    ('state', models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('succeeded', 'Succeeded'), ('failed', 'Failed'), ('rolled_back', 'Rolled back'), ('paused', 'Paused')], default='queued', max_length=20, verbose_name='state')),
                    ('progress_done', models.PositiveIntegerField(default=0, verbose_name='tasks updated')),
                    ('progress_total', models.PositiveIntegerField(default=0, verbose_name='tasks in total')),
                    ('update_state', models.CharField(blank=True, max_length=30, verbose_name='update status')),
                    ('steps', models.JSONField(default=list, verbose_name='steps')),
                    ('error_code', models.CharField(blank=True, max_length=40, verbose_name='error')),
                    ('error', models.TextField(blank=True, verbose_name='error detail')),
                    ('attempts', models.PositiveIntegerField(default=0, verbose_name='attempts')),
                    ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                    ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='started')),
                    ('heartbeat_at', models.DateTimeField(blank=True, null=True, verbose_name='heartbeat')),
                    ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished')),
                    ('requested_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL, verbose_name='requested by')),
                ],
                options={
                    'verbose_name': 'job',
                    'verbose_name_plural': 'jobs',
                    'db_table': 'services_job',
                    'ordering': ['-created_at', '-id'],
                    'indexes': [models.Index(fields=['state', 'heartbeat_at'], name='services_jo_state_7de895_idx')],
                },
            ),
            ],
            database_operations=[],
        ),
    ]
