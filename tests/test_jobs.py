"""Job bookkeeping without an engine: claiming, resuming, reaping, pages and filters."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

import engine
from jobs import states
from jobs.models import Job
from jobs.runner import job_reap_stale, job_run
from jobs.states import job_claim, job_finish, job_step

from .fake_engine import CRASH
from .fixtures_fake import service_summary


def _job(**fields) -> Job:
    defaults = {"kind": Job.Kind.SCALE, "service_id": "s", "service_name": "web", "params": {"replicas": 1}}
    return Job.objects.create(**{**defaults, **fields})


@pytest.fixture
def quiet(memory_channel_layer):
    """Publishing goes to the in-memory layer."""


@pytest.mark.django_db
def test_a_running_job_with_a_fresh_heartbeat_is_not_taken_over(quiet):
    job = _job(state="running", heartbeat_at=timezone.now(), attempts=1)

    assert job_claim(job_id=job.id) is None


@pytest.mark.django_db
def test_a_running_job_whose_worker_stopped_is_resumed(quiet, settings):
    stale = timezone.now() - timedelta(seconds=settings.SWARMDECK_JOB_STALE_SECONDS + 1)
    job = _job(state="running", heartbeat_at=stale, attempts=1)

    claimed = job_claim(job_id=job.id)

    assert claimed.attempts == 2
    assert claimed.steps[-1]["code"] == "resumed"


@pytest.mark.django_db
def test_attempts_are_bounded(quiet, settings):
    stale = timezone.now() - timedelta(seconds=settings.SWARMDECK_JOB_STALE_SECONDS + 1)
    job = _job(state="running", heartbeat_at=stale, attempts=states.MAX_ATTEMPTS)

    assert job_claim(job_id=job.id) is None

    job.refresh_from_db()
    assert (job.state, job.error_code) == ("failed", "too_many_attempts")


@pytest.mark.django_db
def test_finished_jobs_are_never_run_again(quiet):
    job = _job(state="succeeded")

    job_run(job_id=job.id)

    job.refresh_from_db()
    assert (job.state, job.attempts) == ("succeeded", 0)


@pytest.mark.django_db
def test_the_reaper_fails_jobs_nobody_resumed(quiet, settings, panel_client):
    old = timezone.now() - timedelta(seconds=settings.SWARMDECK_JOB_REAP_SECONDS + 5)
    dead = _job(state="running", heartbeat_at=old, attempts=1)
    alive = _job(state="running", heartbeat_at=timezone.now(), attempts=1)

    assert job_reap_stale() == 1

    dead.refresh_from_db()
    alive.refresh_from_db()
    assert (dead.state, dead.error_code, alive.state) == ("failed", "stale", "running")
    assert "stopped answering" in panel_client.get(reverse("jobs:detail", args=[dead.id])).content.decode()


@pytest.mark.django_db
def test_an_unreachable_engine_fails_the_job_with_the_reason(quiet, settings, panel_client):
    settings.DOCKER_HOST = "unix:///nonexistent/docker.sock"
    job = _job()

    job_run(job_id=job.id)

    job.refresh_from_db()
    assert (job.state, job.error_code) == ("failed", "unreachable")
    assert "cannot be reached" in panel_client.get(reverse("jobs:detail", args=[job.id])).content.decode()


@pytest.mark.django_db
def test_the_jobs_list_filters_by_state_kind_and_service(panel_client):
    _job(service_name="web", state="succeeded")
    _job(service_name="db", state="failed", kind=Job.Kind.REMOVE)

    def names(**query):
        response = panel_client.get(reverse("jobs:list"), query)
        return [job.service_name for job in response.context["jobs"]]

    assert sorted(names()) == ["db", "web"]
    assert names(state="failed") == ["db"]
    assert names(kind="scale") == ["web"]
    assert names(service="we") == ["web"]
    assert sorted(names(state="nonsense")) == ["db", "web"]


def _detail(previous_spec):
    return engine.ServiceDetail(
        summary=service_summary(), spec={"Name": "web"}, previous_spec=previous_spec, update_status=None
    )


@pytest.mark.django_db
def test_rollback_needs_a_previous_spec(panel_client, fake_engine):
    from django.contrib.messages import get_messages

    never_updated = fake_engine.service_id(CRASH)
    response = panel_client.post(reverse("services:rollback", args=[never_updated]))

    assert response["Location"] == reverse("services:detail", args=[never_updated])
    assert "no previous spec" in str(list(get_messages(response.wsgi_request))[0])
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_rollback_confirmation_shows_the_difference(panel_client, monkeypatch):
    monkeypatch.setattr(engine, "service_detail", lambda service_id: _detail({"Name": "web", "Labels": {"v": "1"}}))

    html = panel_client.get(reverse("services:rollback", args=["svc1"])).content.decode()

    assert "<th>Labels</th>" in html and "<code>v=1</code>" in html  # in the form's words, not JSON paths


@pytest.mark.django_db
def test_remove_needs_the_name_typed(panel_client, fake_engine, no_enqueue, django_capture_on_commit_callbacks):
    panel_client.post(reverse("services:remove", args=["svc1"]), {"confirm_name": "wrong"})
    assert not Job.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        panel_client.post(reverse("services:remove", args=["svc1"]), {"confirm_name": "rec-web"})
    job = Job.objects.get()
    assert (job.kind, job.service_id, no_enqueue) == ("remove", "svc1", [job.id])
    assert fake_engine.writes == []  # the worker removes it, not the page


@pytest.mark.django_db
def test_a_reaped_job_cannot_become_succeeded_later(quiet, settings):
    old = timezone.now() - timedelta(seconds=settings.SWARMDECK_JOB_REAP_SECONDS + 1)
    job = _job(state="running", heartbeat_at=old, attempts=1)
    job_reap_stale()

    assert job_finish(job.id, Job.State.SUCCEEDED) is False

    job.refresh_from_db()
    assert (job.state, job.error_code) == (Job.State.FAILED, "stale")


@pytest.mark.django_db
def test_a_reaped_job_takes_no_more_steps_nor_heartbeats(quiet, settings):
    old = timezone.now() - timedelta(seconds=settings.SWARMDECK_JOB_REAP_SECONDS + 1)
    job = _job(state="running", heartbeat_at=old, attempts=1, started_at=old)
    job_reap_stale()
    steps = Job.objects.get(id=job.id).steps

    assert job_step(job, "scaled", replicas=2) is False
    assert states.job_heartbeat(job) is False
    assert Job.objects.get(id=job.id).steps == steps


@pytest.mark.django_db(transaction=True)
def test_steps_written_at_once_by_several_processes_are_all_kept(quiet):
    """The update helper and a worker write one job's steps; none may be lost."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    job = _job(state="running", heartbeat_at=timezone.now(), attempts=1)

    def write(number: int) -> None:
        try:
            job_step(Job.objects.get(id=job.id), "progress", done=number, total=20)
        finally:
            connection.close()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(20)))

    job.refresh_from_db()
    assert sorted(step["params"]["done"] for step in job.steps) == list(range(20))
