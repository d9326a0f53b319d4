"""Overview, services list and service detail on a fake swarm: what needs attention, filters, sorting."""

from django.urls import reverse

import engine
from watcher.models import Watcher

from .conftest import SPEC, SUMMARY, service_summary


def test_overview_shows_status_attention_advice_and_watchers(panel_client, fake_swarm):
    Watcher.objects.create(name="node-a", state="reconnecting", message="engine unreachable; retry in 4 s")

    html = panel_client.get(reverse("overview")).content.decode()

    assert "1/1" in html  # nodes ready
    assert "1/2" in html  # tasks running of desired
    assert "1 of 2 tasks running" in html
    assert "update paused" in html
    assert "1 restart in the last hour" in html
    assert "A failed update stays paused until someone acts" in html
    assert "node-a" in html and "reconnecting" in html and "retry in 4 s" in html


def test_overview_without_an_engine_still_shows_the_watchers(panel_client, settings, db):
    settings.DOCKER_HOST = "unix:///nonexistent.sock"
    Watcher.objects.create(name="node-a", state="reconnecting")

    response = panel_client.get(reverse("overview"))

    assert response.status_code == 200
    assert "cannot be reached" in response.content.decode()
    assert "node-a" in response.content.decode()


def _names(panel_client, **query) -> list[str]:
    return [row.service.name for row in panel_client.get(reverse("services:list"), query).context["rows"]]


def test_services_filter_by_name_or_label_and_sort(panel_client, fake_swarm, monkeypatch):
    services = [
        SUMMARY,
        service_summary(id="svc2", name="db", labels={"tier": "back"}, spec=SPEC),
        service_summary(id="svc3", name="cache", labels={"tier": "back", "team": "x"}, spec=SPEC),
    ]
    monkeypatch.setattr(engine, "service_list", lambda: services)

    assert _names(panel_client) == ["cache", "db", "web"]
    assert _names(panel_client, sort="-name") == ["web", "db", "cache"]
    assert _names(panel_client, sort="restarts")[0] == "web"  # the one with a recorded restart
    assert _names(panel_client, q="we") == ["web"]
    assert _names(panel_client, q="tier=back") == ["cache", "db"]
    assert _names(panel_client, q="team") == ["cache"]
    assert _names(panel_client, q="nothing") == []


def test_service_detail_explains_and_masks(panel_client, fake_swarm):
    html = panel_client.get(reverse("services:detail", args=["svc1"])).content.decode()

    assert "Killed with SIGKILL because its health check kept failing" in html
    assert "DB_PASSWORD=••••••" in html
    assert "Restart on failure (non-zero exit)" in html
    assert 'id="rollback"' in html  # there is a previous spec
    assert "update paused due to failure" in html


def test_a_service_that_is_gone_is_a_404(panel_client, monkeypatch, db):
    def gone(service_id):
        raise engine.ServiceNotFound(service_id)

    monkeypatch.setattr(engine, "service_detail", gone)

    assert panel_client.get(reverse("services:detail", args=["nope"])).status_code == 404
