"""The overview page's reads: the swarm at a glance, and the watchers from the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

import engine
from history.labels import HealthReporting
from logs.registry import log_stream_count
from services import explain
from services.selectors import ServiceRow, service_rows
from watcher.models import Watcher


@dataclass
class Overview:
    nodes: list[engine.NodeSnapshot]
    reporting: list[NodeReporting]  # each node in nodes' order, with its watcher
    rows: list[ServiceRow]
    log_streams: int  # open in every web process: each holds an engine stream and a thread

    @property
    def unreported(self) -> bool:
        """Some node that is up has no watcher sending its containers' health."""
        return any(item.status in (STALE, NO_WATCHER) for item in self.reporting)

    @property
    def nodes_ready(self) -> int:
        return sum(1 for node in self.nodes if node.state == "ready")

    @property
    def tasks_running(self) -> int:
        return sum(row.service.tasks_running for row in self.rows)

    @property
    def tasks_desired(self) -> int:
        return sum(row.service.tasks_desired for row in self.rows)

    @property
    def attention(self) -> list[ServiceRow]:
        return [row for row in self.rows if row.attention]

    @property
    def attention_shown(self) -> list[ServiceRow]:
        return self.attention[:ATTENTION_SHOWN]

    @property
    def attention_more(self) -> int:
        return max(0, len(self.attention) - ATTENTION_SHOWN)

    @property
    def advice(self) -> list[Advice]:
        """Each piece of advice once, with the services it is for (in name order)."""
        grouped: dict[str, list[engine.ServiceSummary]] = {}
        for row in self.rows:
            for text in explain.config_advice(row.service.config):
                grouped.setdefault(text, []).append(row.service)
        return [Advice(text, services) for text, services in grouped.items()]


# The overview stays a glance at 1 000 services: it names this many and counts the rest (the
# services list and each service's page have them all).
ATTENTION_SHOWN = 50
ADVICE_SHOWN = 10


@dataclass
class Advice:
    text: str
    services: list[engine.ServiceSummary]

    @property
    def shown(self) -> list[engine.ServiceSummary]:
        return self.services[:ADVICE_SHOWN]

    @property
    def more(self) -> int:
        return max(0, len(self.services) - ADVICE_SHOWN)


# How each node's container health reaches the panel (worded by history.labels.HealthReporting).
# Health events only reach the engine that runs the container, so only a watcher on that very node
# can record them.
REPORTING = HealthReporting.REPORTING  # its watcher is connected and its heartbeat fresh
STALE = HealthReporting.STALE  # a watcher ran there but is not connected, or its heartbeat is old
NO_WATCHER = HealthReporting.NONE  # no watcher has ever reported from the node
DOWN = HealthReporting.DOWN  # the node itself is down: no container of it reports anything


@dataclass
class NodeReporting:
    node: engine.NodeSnapshot
    watcher: Watcher | None
    status: str  # REPORTING, STALE, NO_WATCHER or DOWN


def health_reporting(nodes: list[engine.NodeSnapshot]) -> list[NodeReporting]:
    """Each node with its watcher and whether it reports container health (one database query)."""
    fresh_since = timezone.now() - timedelta(seconds=settings.SWARMDECK_WATCHER_STALE_SECONDS)

    def reports(watcher: Watcher) -> bool:
        return watcher.state == Watcher.State.CONNECTED and watcher.heartbeat_at >= fresh_since

    # A node may have several rows (a watcher renamed by SWARMDECK_WATCHER_NAME leaves its old
    # one): the one reporting counts, else the one seen last.
    watchers: dict[str, Watcher] = {}
    for watcher in Watcher.objects.exclude(node_id=""):
        known = watchers.get(watcher.node_id)
        if known is None or (reports(watcher), watcher.heartbeat_at) > (reports(known), known.heartbeat_at):
            watchers[watcher.node_id] = watcher

    items = []
    for node in nodes:
        watcher = watchers.get(node.id)
        if node.state == "down":
            status = DOWN
        elif watcher is None:
            status = NO_WATCHER
        else:
            status = REPORTING if reports(watcher) else STALE
        items.append(NodeReporting(node, watcher, status))
    return items


def overview() -> Overview:
    nodes = engine.node_list()
    return Overview(nodes=nodes, reporting=health_reporting(nodes), rows=service_rows(), log_streams=log_stream_count())


def watcher_list() -> list[Watcher]:
    """From the database alone: most useful when the engine is away."""
    return list(Watcher.objects.order_by("name"))
