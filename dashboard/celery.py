import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

app = Celery("swarmdeck")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each app's Celery entry points live in celery_tasks.py: in this project "task" alone means a Swarm
# task (engine/tasks.py, history.models.Task).
app.autodiscover_tasks(related_name="celery_tasks")
