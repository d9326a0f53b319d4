"""Redeploy and scaling to 0 ask first: no Job is requested until the confirmation page's form is posted."""

import pytest
from django.urls import reverse

import engine
from jobs.models import Job

from .conftest import service_summary
from .fixtures_fake import WEB


@pytest.fixture
def running_service(monkeypatch):
    service = service_summary(replicas=3, tasks_running=3, tasks_desired=3)
    monkeypatch.setattr(engine, "service_get", lambda service_id: service)
    return service


@pytest.mark.django_db
def test_scale_to_zero_without_confirm_asks_and_requests_no_job(panel_client, running_service, no_enqueue):
    response = panel_client.post(reverse("services:scale", args=["svc1"]), {"replicas": "0"})

    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "services/scale_zero.html"
    assert Job.objects.count() == 0
    assert no_enqueue == []
    html = response.content.decode()
    assert "All 3 running tasks of web will be stopped." in html
    # The confirmation posts the same request back, confirmed.
    assert f'action="{reverse("services:scale", args=["svc1"])}"' in html
    assert '<input type="hidden" name="replicas" value="0">' in html
    assert '<input type="hidden" name="confirm" value="1">' in html


@pytest.mark.django_db
@pytest.mark.parametrize("confirm", ["", "0", "yes"])
def test_scale_to_zero_with_another_confirm_value_still_asks(panel_client, running_service, no_enqueue, confirm):
    response = panel_client.post(reverse("services:scale", args=["svc1"]), {"replicas": "0", "confirm": confirm})

    assert response.status_code == 200
    assert Job.objects.count() == 0


@pytest.mark.django_db
def test_scale_to_zero_confirmed_requests_the_job(
    panel_client, running_service, no_enqueue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = panel_client.post(reverse("services:scale", args=["svc1"]), {"replicas": "0", "confirm": "1"})

    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:detail", args=[job.id])
    assert (job.kind, job.params) == ("scale", {"replicas": 0})
    assert no_enqueue == [job.id]


@pytest.mark.django_db
def test_scaling_to_more_than_zero_needs_no_confirmation(panel_client, running_service, no_enqueue):
    response = panel_client.post(reverse("services:scale", args=["svc1"]), {"replicas": "1"})

    assert response.status_code == 302
    assert Job.objects.get().params == {"replicas": 1}


def test_redeploy_get_shows_the_confirmation_and_requests_no_job(panel_client, fake_web, no_enqueue):
    response = panel_client.get(reverse("services:redeploy", args=["svc1"]))

    assert response.status_code == 200
    html = response.content.decode()
    assert f"Redeploy {WEB}" in html
    assert 'id="confirm-redeploy"' in html
    assert '<input type="hidden" name="confirm" value="1">' in html
    assert Job.objects.count() == 0


def test_the_detail_pages_redeploy_button_leads_to_the_confirmation(panel_client, fake_web, no_enqueue):
    url = reverse("services:redeploy", args=["svc1"])
    assert f'id="redeploy" href="{url}"' in panel_client.get(reverse("services:detail", args=["svc1"])).content.decode()

    response = panel_client.post(url)  # a post without the confirmation's confirm=1 only asks

    assert response.status_code == 302
    assert response["Location"] == url
    assert Job.objects.count() == 0
    assert no_enqueue == []


def test_redeploy_confirmed_requests_the_job(panel_client, fake_web, no_enqueue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = panel_client.post(reverse("services:redeploy", args=["svc1"]), {"confirm": "1"})

    job = Job.objects.get()
    assert response["Location"] == reverse("jobs:detail", args=[job.id])
    assert (job.kind, job.service_id, job.params) == ("redeploy", "svc1", {"force_update": 1})
    assert no_enqueue == [job.id]
