"""A database made by the release before the move keeps every row: jobs, history and watchers
moved from the services app to jobs, history and watcher without copying a table."""

import pytest
from django.utils import timezone

from .support import migrate_to

# The last migrations of the release that kept every model in the services app.
BEFORE_MOVE = [
    ("services", "0004_alter_job_kind"),
    ("accounts", "0001_initial"),
    ("contenttypes", "0002_remove_content_type_name"),
    ("auth", "0012_alter_user_first_name_max_length"),
]


@pytest.mark.django_db(transaction=True)
def test_jobs_history_and_watchers_survive_the_move():
    old = migrate_to(BEFORE_MOVE)
    User = old.get_model("auth", "User")
    admin = User.objects.create(username="admin")
    now = timezone.now()
    old.get_model("services", "Job").objects.create(
        kind="scale",
        service_id="svc1",
        service_name="web",
        params={"replicas": 3},
        state="succeeded",
        steps=[{"at": now.isoformat(), "code": "scaled", "params": {"replicas": 3}}],
        requested_by=admin,
    )
    task = old.get_model("services", "Task").objects.create(
        task_id="t1", service_id="svc1", service_name="web", slot=1, state="failed", created_at=now, state_at=now
    )
    old.get_model("services", "TaskTransition").objects.create(task=task, state="failed", at=now, exit_code=15)
    old.get_model("services", "ServiceEvent").objects.create(
        key="k1", service_id="svc1", service_name="web", at=now, kind="container die", detail="web.1: exit 15"
    )
    old.get_model("services", "Watcher").objects.create(name="manager1", state="connected")
    ContentType = old.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(model="job").delete()  # the test database made them for the current code
    ContentType.objects.create(app_label="services", model="job")

    new = migrate_to()

    # Only this test's rows: a real watcher of the slow tests may be recording into the same database.
    job = new.get_model("jobs", "Job").objects.get(service_id="svc1")
    assert (job.service_name, job.params, job.steps[0]["code"], job.requested_by.username) == (
        "web",
        {"replicas": 3},
        "scaled",
        "admin",
    )
    transition = new.get_model("history", "TaskTransition").objects.select_related("task").get(task__task_id="t1")
    assert (transition.task.task_id, transition.exit_code) == ("t1", 15)
    assert new.get_model("history", "ServiceEvent").objects.get(key="k1").service_name == "web"
    assert new.get_model("watcher", "Watcher").objects.get(name="manager1").state == "connected"
    assert new.get_model("contenttypes", "ContentType").objects.get(model="job").app_label == "jobs"


@pytest.mark.django_db(transaction=True)
def test_finished_jobs_of_the_release_before_sealing_lose_their_clear_secrets():
    old = migrate_to([("jobs", "0001_initial")])
    Job = old.get_model("jobs", "Job")
    env = {"API_KEY": "k-123456", "DATABASE_URL": "postgres://u:pw-7890@db/x", "MODE": "prod"}
    done = Job.objects.create(kind="create", service_name="api", state="succeeded", params={"values": {"env": env}})
    update = Job.objects.create(
        kind="update", service_name="api", state="failed", params={"groups": {"env": {"env": env}}}
    )
    queued = Job.objects.create(kind="create", service_name="api", state="queued", params={"values": {"env": env}})

    new = migrate_to()

    jobs = new.get_model("jobs", "Job").objects
    for finished in (jobs.get(pk=done.pk), jobs.get(pk=update.pk)):
        assert "k-123456" not in str(finished.params)
        assert "pw-7890" not in str(finished.params)
        assert "prod" in str(finished.params)
    assert jobs.get(pk=queued.pk).params == {"values": {"env": env}}  # still to be sent
    jobs.filter(pk__in=[done.pk, update.pk, queued.pk]).delete()
