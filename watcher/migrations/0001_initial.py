"""The watcher app takes over its models from the services app: state only, the table stays (db_table)."""


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
                name='Watcher',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('name', models.CharField(max_length=255, unique=True, verbose_name='name')),
                    ('node_id', models.CharField(blank=True, max_length=64, verbose_name='node')),
                    ('hostname', models.CharField(blank=True, max_length=255, verbose_name='host name')),
                    ('is_manager', models.BooleanField(default=False, verbose_name='manager')),
                    ('state', models.CharField(choices=[('connected', 'connected'), ('reconnecting', 'reconnecting'), ('stopped', 'stopped')], default='reconnecting', max_length=20, verbose_name='state')),
                    ('message', models.TextField(blank=True, verbose_name='message')),
                    ('last_event_ns', models.BigIntegerField(blank=True, null=True, verbose_name='last event')),
                    ('heartbeat_at', models.DateTimeField(auto_now=True, verbose_name='heartbeat')),
                ],
                options={
                    'db_table': 'services_watcher',
                },
            ),
            ],
            database_operations=[],
        ),
    ]
