"""The overview page's reads: the swarm at a glance, and the watchers from the database."""

from __future__ import annotations

from dataclasses import dataclass

import engine
from logs.registry import log_stream_count
from services import explain
from services.selectors import ServiceRow, service_rows
from watcher.models import Watcher


@dataclass
class Overview:
    nodes: list[engine.NodeSnapshot]
    rows: list[ServiceRow]
    log_streams: int  # open in every web process: each holds an engine stream and a thread

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


def overview() -> Overview:
    return Overview(nodes=engine.node_list(), rows=service_rows(), log_streams=log_stream_count())


def watcher_list() -> list[Watcher]:
    """From the database alone: most useful when the engine is away."""
    return list(Watcher.objects.order_by("name"))
