"""The overview page's reads: the swarm at a glance, and the watchers from the database."""

from __future__ import annotations

from dataclasses import dataclass

import engine
from services import explain
from services.selectors import ServiceRow, service_rows
from watcher.models import Watcher


@dataclass
class Overview:
    nodes: list[engine.NodeSnapshot]
    rows: list[ServiceRow]

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
    def advice(self) -> list[tuple[engine.ServiceSummary, list[str]]]:
        pairs = [(row.service, explain.config_advice(row.service.config)) for row in self.rows]
        return [(service, items) for service, items in pairs if items]


def overview() -> Overview:
    return Overview(nodes=engine.node_list(), rows=service_rows())


def watcher_list() -> list[Watcher]:
    """From the database alone: most useful when the engine is away."""
    return list(Watcher.objects.order_by("name"))
