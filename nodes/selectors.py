"""The nodes page's reads: every node, its running tasks and its watcher."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import engine
from watcher.models import Watcher


@dataclass
class NodeRow:
    node: engine.NodeSnapshot
    tasks_running: int
    watcher: Watcher | None


def node_rows() -> list[NodeRow]:
    nodes = engine.node_list()
    running = defaultdict(int)
    for task in engine.task_list(desired_running=True):
        if task.state == "running":
            running[task.node_id] += 1
    watchers = {watcher.node_id: watcher for watcher in Watcher.objects.exclude(node_id="")}
    return [NodeRow(node, running[node.id], watchers.get(node.id)) for node in nodes]
