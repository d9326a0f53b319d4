"""Overview, services list and service detail on a fake swarm: what needs attention, filters, sorting."""

import re

from django.urls import reverse

import engine
from watcher.models import Watcher

from .fake_engine import CRASH, GLOBAL, MOUNTS, WEB


def _tile(html: str, tile_id: str) -> tuple[str, str]:
    """The label and the figure of one overview tile, found by its id (not anywhere on the page)."""
    match = re.search(rf'id="{tile_id}">\s*<span class="label">([^<]*)</span><strong>([^<]*)</strong>\s*</div>', html)
    assert match, f"no tile {tile_id}"
    return match.group(1), match.group(2)


def test_overview_shows_status_attention_advice_and_watchers(panel_client, fake_web):
    Watcher.objects.create(
        name="node-a", state="reconnecting", problem="unreachable", problem_params={"detail": "refused", "seconds": 4}
    )

    html = panel_client.get(reverse("overview")).content.decode()

    assert _tile(html, "nodes-tile") == ("Nodes ready", "1/1")
    assert _tile(html, "tasks-tile") == ("Tasks running", "1/2")
    assert 'class="tile warn" id="tasks-tile"' in html  # fewer running than desired
    assert 'class="tile" id="nodes-tile"' in html  # every node ready
    assert "1 of 2 tasks running" in html
    assert "update paused" in html
    assert "1 restart in the last hour" in html
    assert "A failed update stays paused until someone acts" in html
    # Each piece of advice once, naming the services it is for.
    assert html.count("A failed update stays paused until someone acts") == 1
    named = r"<dt>A failed update stays paused[^<]*</dt>\s*<dd><a href=\"/services/svc1/\">rec-web</a></dd>"
    assert re.search(named, html)
    assert "node-a" in html and "reconnecting" in html and "Trying again in 4 seconds." in html


def test_overview_without_an_engine_still_shows_the_watchers(panel_client, settings, db):
    settings.DOCKER_HOST = "unix:///nonexistent.sock"
    Watcher.objects.create(name="node-a", state="reconnecting")

    response = panel_client.get(reverse("overview"))

    assert response.status_code == 200
    assert "cannot be reached" in response.content.decode()
    assert "node-a" in response.content.decode()


def _names(panel_client, **query) -> list[str]:
    return [row.service.name for row in panel_client.get(reverse("services:list"), query).context["rows"]]


def test_services_filter_by_name_or_label_and_sort(panel_client, fake_engine):
    from history import recorder

    for task in engine.task_list(service_id=fake_engine.service_id(CRASH)):
        recorder.task_record(task, service_name=CRASH)  # its exits, as the watcher records them

    assert _names(panel_client) == [CRASH, GLOBAL, MOUNTS, WEB]
    assert _names(panel_client, sort="-name") == [WEB, MOUNTS, GLOBAL, CRASH]
    assert _names(panel_client, sort="restarts")[0] == CRASH  # the one with recorded restarts
    assert _names(panel_client, q="web") == [WEB]
    assert _names(panel_client, q="tier=front") == [WEB]
    assert _names(panel_client, q="tier") == [GLOBAL, WEB]
    assert _names(panel_client, q="release") == [MOUNTS]  # a label rec-mounts' update added
    assert _names(panel_client, q="nothing") == []


def test_service_detail_explains_and_masks(panel_client, fake_web):
    html = panel_client.get(reverse("services:detail", args=["svc1"])).content.decode()

    assert "Killed with SIGKILL because its health check kept failing" in html
    assert "DB_PASSWORD=••••••" in html
    assert "not-a-secret" not in html
    assert "Restart on failure (non-zero exit)" in html
    assert 'id="rollback"' in html  # there is a previous spec
    assert "update paused due to failure" in html


def test_a_service_with_mounts_and_host_ports_shows_them(panel_client, fake_engine):
    html = panel_client.get(reverse("services:detail", args=[fake_engine.service_id(MOUNTS)])).content.decode()

    assert "18081:8080/tcp host" in html
    assert "volume rec-data → /data" in html
    assert "bind /tmp → /host-tmp (read-only)" in html
    assert "tmpfs /cache" in html


def test_a_service_that_is_gone_is_a_404(panel_client, fake_engine):
    assert panel_client.get(reverse("services:detail", args=["nope"])).status_code == 404
    assert ("services", {"filters": {"id": "nope"}, "status": True}) in fake_engine.calls


def test_the_overview_names_a_few_services_per_line_and_counts_the_rest(panel_client, fake_engine, monkeypatch):
    from dashboard import selectors as overview_selectors

    monkeypatch.setattr(overview_selectors, "ATTENTION_SHOWN", 1)
    monkeypatch.setattr(overview_selectors, "ADVICE_SHOWN", 2)

    html = panel_client.get(reverse("overview")).content.decode()

    advice = re.search(r"<dt>There is no health check.*?</dt>\s*<dd>(.*?)</dd>", html, re.S)
    assert advice.group(1).count("<a ") == 2
    assert "and 1 more" in advice.group(1)  # three of the four recorded services have no health check
    attention = re.search(r'<ul class="attention">(.*?)</ul>', html, re.S).group(1)
    assert attention.count("<li ") == 1
    assert re.search(r"And \d+ more services?: the services list", html)
