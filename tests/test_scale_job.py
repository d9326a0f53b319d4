"""The scale job: form -> Job row -> Celery -> engine, and its failure paths."""

import pytest
from django.urls import reverse

import engine
from jobs import runner
from jobs.models import Job
from jobs.runner import job_run

from .fake_engine import GLOBAL
from .fixtures_stack import running_tasks
from .support import wait_until


@pytest.mark.django_db
@pytest.mark.parametrize("replicas", ["-1", "1.5", "1000000000", "", "two", "3\x00"])
def test_bad_replicas_give_an_error_and_no_job(panel_client, fake_engine, no_enqueue, replicas):
    response = panel_client.post(reverse("services:scale", args=["svc1"]), {"replicas": replicas}, follow=True)

    assert response.status_code == 200
    assert Job.objects.count() == 0
    assert no_enqueue == []
    assert list(response.context["messages"])
    assert fake_engine.writes == []


@pytest.mark.django_db
def test_global_service_cannot_be_scaled(panel_client, fake_engine, no_enqueue):
    service_id = fake_engine.service_id(GLOBAL)

    response = panel_client.post(reverse("services:scale", args=[service_id]), {"replicas": "2"}, follow=True)

    assert Job.objects.count() == 0
    assert no_enqueue == []
    assert "Only replicated services" in response.content.decode()


@pytest.mark.django_db
def test_scale_creates_a_job_and_enqueues_it_on_commit(
    panel_client, fake_engine, no_enqueue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = panel_client.post(reverse("services:scale", args=["svc1"]), {"replicas": "3"})

    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:detail", args=[job.id])
    assert (job.kind, job.service_id, job.service_name) == ("scale", "svc1", "rec-web")
    assert (job.params, job.state) == ({"replicas": 3}, "queued")
    assert no_enqueue == [job.id]


@pytest.mark.django_db
def test_unreachable_queue_fails_the_job_with_a_reason(
    panel_client, fake_engine, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    from jobs import celery_tasks

    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6391. Connection refused.")

    monkeypatch.setattr(celery_tasks.run_job_task, "apply_async", refuse)

    with django_capture_on_commit_callbacks(execute=True):
        panel_client.post(reverse("services:scale", args=["svc1"]), {"replicas": "3"})

    job = Job.objects.get()
    page = panel_client.get(reverse("jobs:detail", args=[job.id])).content.decode()
    assert 'data-state="failed"' in page
    assert "The job queue (Redis) cannot be reached" in page
    assert (job.state, job.error_code) == (Job.State.FAILED, "queue_down")
    assert "Connection refused" in job.error


@pytest.mark.django_db
def test_a_job_runs_once_even_when_delivered_twice(monkeypatch, memory_channel_layer):
    calls = []
    monkeypatch.setitem(runner._RUNNERS, Job.Kind.SCALE, lambda job: calls.append(job.id))
    job = Job.objects.create(kind=Job.Kind.SCALE, service_id="s", service_name="s", params={"replicas": 1})

    job_run(job_id=job.id)
    job_run(job_id=job.id)

    job.refresh_from_db()
    assert calls == [job.id]
    assert (job.state, job.attempts) == ("succeeded", 1)
    assert [step["code"] for step in job.steps] == ["claimed", "succeeded"]


@pytest.mark.django_db
def test_engine_errors_end_the_job_failed_with_the_engine_words(monkeypatch, memory_channel_layer, panel_client):
    def missing(job):
        raise engine.ServiceNotFound("service svc1 not found")

    monkeypatch.setitem(runner._RUNNERS, Job.Kind.SCALE, missing)
    job = Job.objects.create(kind=Job.Kind.SCALE, service_id="s", service_name="s", params={"replicas": 1})

    job_run(job_id=job.id)

    job.refresh_from_db()
    assert (job.state, job.error_code, job.error) == ("failed", "not_found", "service svc1 not found")
    page = panel_client.get(reverse("jobs:detail", args=[job.id])).content.decode()
    assert "The service does not exist (any more)." in page
    assert "service svc1 not found" in page


@pytest.mark.django_db
def test_job_page_shows_state_and_result(panel_client):
    steps = [{"at": "2026-11-26T10:00:00+00:00", "code": "scaled", "params": {"replicas": 4}}]
    job = Job.objects.create(
        kind=Job.Kind.SCALE, service_id="s", service_name="web", params={"replicas": 4}, state="succeeded", steps=steps
    )
    job.progress_done = job.progress_total = 4
    job.save()

    response = panel_client.get(reverse("jobs:detail", args=[job.id]))

    html = response.content.decode()
    assert 'data-state="succeeded"' in html
    assert "Replicas set to 4." in html
    assert 'value="100"' in html
    assert f'hx-ws:connect="/ws/jobs/{job.id}/"' in html


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_scale_job_runs_in_a_real_worker(panel_client, stack, make_service):
    service = make_service()
    wait_until(lambda: running_tasks(service) == 1)

    response = panel_client.post(reverse("services:scale", args=[service.id]), {"replicas": "3"})

    job = Job.objects.get()
    assert response["Location"] == reverse("jobs:detail", args=[job.id])
    wait_until(lambda: Job.objects.get(id=job.id).finished, timeout=90, message="the worker did not finish the job")
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    assert job.attempts == 1
    service.reload()
    assert service.attrs["Spec"]["Mode"]["Replicated"]["Replicas"] == 3
    assert running_tasks(service) == 3
