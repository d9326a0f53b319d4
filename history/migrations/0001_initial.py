"""The history app takes over its models from the services app: state only, the table stays (db_table)."""


import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('services', '0004_alter_job_kind'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.CreateModel(
                name='ServiceEvent',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('key', models.CharField(max_length=200, unique=True)),
                    ('service_id', models.CharField(db_index=True, max_length=64, verbose_name='service ID')),
                    ('service_name', models.CharField(blank=True, max_length=255, verbose_name='service')),
                    ('at', models.DateTimeField(db_index=True, verbose_name='time')),
                    ('kind', models.CharField(max_length=40, verbose_name='event')),
                    ('detail', models.TextField(blank=True, verbose_name='detail')),
                ],
                options={
                    'db_table': 'services_serviceevent',
                    'ordering': ['-at'],
                },
            ),
            migrations.CreateModel(
                name='Task',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('task_id', models.CharField(max_length=64, unique=True, verbose_name='task ID')),
                    ('service_id', models.CharField(db_index=True, max_length=64, verbose_name='service ID')),
                    ('service_name', models.CharField(blank=True, max_length=255, verbose_name='service')),
                    ('slot', models.PositiveIntegerField(blank=True, null=True, verbose_name='slot')),
                    ('node_id', models.CharField(blank=True, max_length=64, verbose_name='node')),
                    ('container_id', models.CharField(blank=True, max_length=64, verbose_name='container')),
                    ('image', models.CharField(blank=True, max_length=512, verbose_name='image')),
                    ('state', models.CharField(max_length=20, verbose_name='state')),
                    ('desired_state', models.CharField(blank=True, max_length=20, verbose_name='desired state')),
                    ('message', models.CharField(blank=True, max_length=255, verbose_name='message')),
                    ('error', models.TextField(blank=True, verbose_name='error')),
                    ('exit_code', models.IntegerField(blank=True, null=True, verbose_name='exit code')),
                    ('health', models.CharField(blank=True, max_length=20, verbose_name='health')),
                    ('health_node', models.CharField(blank=True, max_length=64, verbose_name='health reported by')),
                    ('created_at', models.DateTimeField(verbose_name='created')),
                    ('state_at', models.DateTimeField(verbose_name='state since')),
                    ('ended_at', models.DateTimeField(blank=True, db_index=True, null=True, verbose_name='ended')),
                    ('end_cause', models.CharField(blank=True, choices=[('exit', 'non-zero exit'), ('unhealthy', 'unhealthy'), ('node', 'node down'), ('update', 'update'), ('stopped', 'stopped'), ('completed', 'completed')], max_length=20, verbose_name='cause')),
                    ('end_cause_final', models.BooleanField(default=False)),
                ],
                options={
                    'verbose_name': 'task',
                    'verbose_name_plural': 'tasks',
                    'db_table': 'services_task',
                    'ordering': ['-created_at'],
                    'indexes': [models.Index(fields=['service_id', 'ended_at'], name='services_ta_service_c2f56b_idx')],
                },
            ),
            migrations.CreateModel(
                name='TaskTransition',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('state', models.CharField(max_length=20, verbose_name='state')),
                    ('at', models.DateTimeField(verbose_name='time')),
                    ('exit_code', models.IntegerField(blank=True, null=True, verbose_name='exit code')),
                    ('error', models.TextField(blank=True, verbose_name='error')),
                    ('task', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='transitions', to='history.task')),
                ],
                options={
                    'db_table': 'services_tasktransition',
                    'ordering': ['at'],
                    'constraints': [models.UniqueConstraint(fields=('task', 'state'), name='task_transition_once')],
                },
            ),
            ],
            database_operations=[],
        ),
    ]
