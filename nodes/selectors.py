"""The nodes pages' reads: every node, its running tasks and its watcher; one node with its tasks now and before."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import engine
from history.models import Task
from jobs.models import Job
from watcher.models import Watcher

from . import drain


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


HISTORY_ROWS = 50  # the node page's recorded tasks, newest first: a page, not the whole history


@dataclass
class NodeTaskRow:
    task: engine.TaskSnapshot
    service_name: str


@dataclass
class NodePage:
    node: engine.NodeDetail
    tasks: list[NodeTaskRow]  # running there now, or about to (desired state running)
    history: list[Task]
    watcher: Watcher | None
    jobs: list[Job]


def node_tasks(*, node_id: str) -> list[NodeTaskRow]:
    """The tasks Swarm wants running on the node, with their services' names (two engine calls)."""
    tasks = engine.task_list(node_id=node_id, desired_running=True)
    names = {service.id: service.name for service in engine.service_list(ids={task.service_id for task in tasks})}
    rows = [NodeTaskRow(task, names.get(task.service_id, task.service_id)) for task in tasks]
    return sorted(rows, key=lambda row: (row.service_name, row.task.slot or 0, row.task.id))


def node_page(*, node_id: str) -> NodePage:
    node = engine.node_get(node_id=node_id)
    return NodePage(
        node=node,
        tasks=node_tasks(node_id=node.id),
        history=list(Task.objects.filter(node_id=node.id).order_by("-created_at")[:HISTORY_ROWS]),
        watcher=Watcher.objects.filter(node_id=node.id).first(),
        jobs=list(Job.objects.filter(node_id=node.id).select_related("requested_by")[:5]),
    )


def manager_count() -> int:
    return sum(1 for node in engine.node_list() if node.role == "manager")


@dataclass
class DrainRow:
    placement: drain.Placement
    service_name: str
    node_name: str  # where its slot runs now, once it has moved


def drain_rows(*, job: Job) -> list[DrainRow] | None:
    """A drain job's tasks and where each is now (three engine calls); None before the job has
    recorded them, or for another kind of job."""
    followed = drain.followed_tasks(job.steps) if job.kind == Job.Kind.NODE_AVAILABILITY else None
    if not followed:
        return None
    placed = drain.drain_placements(node_id=job.node_id, followed=followed)
    names = {service.id: service.name for service in engine.service_list(ids={p.service_id for p in placed})}
    nodes = {node.id: node.hostname for node in engine.node_list()}
    return [
        DrainRow(
            placement,
            names.get(placement.service_id, placement.service_id[:12]),
            nodes.get(placement.now.node_id, placement.now.node_id[:12]) if placement.now else "",
        )
        for placement in placed
    ]
