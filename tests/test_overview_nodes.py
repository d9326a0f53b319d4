"""The overview's "Health reporting": which nodes have a watcher sending their containers' health
(health events only reach the engine that runs the container), on the fake swarm with workers."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

import engine
from dashboard import selectors
from watcher.models import Watcher

MANAGER_ID = "ttw5tgi24u6lu31you8fcoh7n"  # the recorded swarm's only node, a manager ("vm")
WORKERS = {
    "wrkfresh0000000000000000a": "worker-fresh",
    "wrkold000000000000000000b": "worker-old",
    "wrkgone000000000000000000": "worker-reconnecting",
    "wrknone000000000000000000": "worker-none",
    "wrkdown000000000000000000": "worker-down",
}
HINT = "Health checks of containers on a node without a reporting watcher are not recorded"


def _watcher(node_id: str, name: str, state: str = Watcher.State.CONNECTED, age: timedelta | None = None) -> Watcher:
    watcher = Watcher.objects.create(name=name, node_id=node_id, hostname=name, state=state)
    if age is not None:
        # heartbeat_at is auto_now: save() would set it to now again.
        Watcher.objects.filter(pk=watcher.pk).update(heartbeat_at=timezone.now() - age)
    return watcher


def _reporting(html: str) -> dict[str, tuple[str, str]]:
    """Each node of the "Health reporting" section: its id -> (status code, the item's HTML)."""
    section = re.search(r'<section id="health-reporting">(.*?)</section>', html, re.S)
    assert section, "no health reporting section"
    items = re.findall(r'<li data-node-id="([^"]+)" data-reporting="([^"]+)">(.*?)</li>', section.group(1), re.S)
    return {node_id: (status, " ".join(body.split())) for node_id, status, body in items}


@pytest.fixture
def workers(fake_engine, db):
    for node_id, hostname in WORKERS.items():
        fake_engine.node_add(node_id, hostname, state="down" if hostname == "worker-down" else "ready")
    return fake_engine


def test_each_node_says_whether_its_containers_health_is_reported(panel_client, workers, settings):
    settings.SWARMDECK_WATCHER_STALE_SECONDS = 90
    _watcher(MANAGER_ID, "vm")
    _watcher("wrkfresh0000000000000000a", "worker-fresh", age=timedelta(seconds=60))
    _watcher("wrkold000000000000000000b", "worker-old", age=timedelta(seconds=120))
    _watcher("wrkgone000000000000000000", "worker-reconnecting", state=Watcher.State.RECONNECTING)
    _watcher("wrkdown000000000000000000", "worker-down", age=timedelta(minutes=10))

    html = panel_client.get(reverse("overview")).content.decode()

    nodes = _reporting(html)
    assert {node_id: status for node_id, (status, _body) in nodes.items()} == {
        MANAGER_ID: "reporting",
        "wrkfresh0000000000000000a": "reporting",  # connected, heartbeat within the 90 seconds
        "wrkold000000000000000000b": "stale",  # connected, but its heartbeat is older
        "wrkgone000000000000000000": "stale",  # a fresh heartbeat, but not connected
        "wrknone000000000000000000": "none",
        "wrkdown000000000000000000": "down",
    }
    assert list(nodes) == [node.id for node in engine.node_list()]  # the engine's order: managers first
    for node_id, (_status, body) in nodes.items():
        assert f'href="{reverse("nodes:detail", args=[node_id])}"' in body
    assert ">reports health</span>" in nodes[MANAGER_ID][1]
    assert "watcher not reporting" in nodes["wrkold000000000000000000b"][1]
    assert "last seen 2 minutes ago" in nodes["wrkold000000000000000000b"][1]
    assert "watcher not reporting" in nodes["wrkgone000000000000000000"][1]
    assert "no watcher on this node" in nodes["wrknone000000000000000000"][1]
    assert ">down</span>" in nodes["wrkdown000000000000000000"][1]
    assert "last seen" not in nodes["wrkfresh0000000000000000a"][1]
    assert HINT in " ".join(html.split())


def test_no_hint_when_every_node_that_is_up_reports(panel_client, workers):
    for node_id, hostname in [(MANAGER_ID, "vm"), *WORKERS.items()]:
        if hostname != "worker-down":  # a node that is down has no containers to report on
            _watcher(node_id, hostname)

    html = panel_client.get(reverse("overview")).content.decode()

    assert set(status for status, _body in _reporting(html).values()) == {"reporting", "down"}
    assert HINT not in " ".join(html.split())


def test_the_hint_names_the_stack_when_a_node_has_no_watcher(panel_client, fake_engine, db):
    html = " ".join(panel_client.get(reverse("overview")).content.decode().split())

    assert [(node_id, status) for node_id, (status, _body) in _reporting(html).items()] == [(MANAGER_ID, "none")]
    assert HINT in html and "docker/stack.yml runs a watcher on every node." in html


def test_the_event_watchers_section_still_lists_every_watcher(panel_client, workers):
    _watcher(MANAGER_ID, "vm")
    _watcher("", "not-in-swarm-yet", state=Watcher.State.RECONNECTING)  # no node id: on no node's line

    html = panel_client.get(reverse("overview")).content.decode()

    assert '<li class="watcher state-connected">' in html and "<strong>vm</strong>" in html
    assert "<strong>not-in-swarm-yet</strong>" in html
    assert "not-in-swarm-yet" not in str(_reporting(html))


def test_a_node_with_several_watcher_rows_counts_the_one_reporting(workers, settings):
    settings.SWARMDECK_WATCHER_STALE_SECONDS = 90
    node_id = "wrkfresh0000000000000000a"
    _watcher(node_id, "renamed-later", age=timedelta(seconds=10))
    _watcher(node_id, "old-name", state=Watcher.State.STOPPED)  # stopped just now: the newest heartbeat

    [item] = [item for item in selectors.overview().reporting if item.node.id == node_id]

    assert (item.status, item.watcher.name) == ("reporting", "renamed-later")


def test_the_reporting_costs_no_engine_call_and_one_query(workers, django_assert_num_queries):
    _watcher(MANAGER_ID, "vm")
    _watcher("wrkold000000000000000000b", "worker-old", age=timedelta(hours=1))
    nodes = engine.node_list()
    calls = len(workers.calls)

    with django_assert_num_queries(1):
        reporting = selectors.health_reporting(nodes)

    assert len(workers.calls) == calls
    statuses = {item.node.hostname: item.status for item in reporting}
    assert statuses == {
        "vm": "reporting",
        "worker-fresh": "none",
        "worker-old": "stale",
        "worker-reconnecting": "none",
        "worker-none": "none",
        "worker-down": "down",
    }
    selectors.overview()
    assert [method for method, _params in workers.calls[calls:]].count("nodes") == 1
