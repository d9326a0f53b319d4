"""Where the tasks of a drained node are now: the drain job follows them with it and its page shows them.

A drain job records the tasks running on the node when it began (its step "drain_tasks"); each is
then placed by what Swarm runs now. A task stays until its container has stopped: Swarm wants it
shut down at once, but it may take its stop grace period, and the node is not free before. Then a
replicated task has moved once its slot runs on another node; a global service's task (no slot) has
nowhere else to go; a task whose service is gone (removed, or scaled to nothing) has ended for good.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import engine

Where = Literal["staying", "waiting", "moved", "ended"]


@dataclass(frozen=True)
class Placement:
    task_id: str  # the task that ran on the drained node
    service_id: str
    slot: int | None
    where: Where
    now: engine.TaskSnapshot | None = None  # its slot's task running elsewhere, once moved

    @property
    def done(self) -> bool:
        return self.where in ("moved", "ended")


def followed_tasks(steps: list[dict]) -> list[dict] | None:
    """The tasks a drain job recorded when it began (id, service_id, slot), or None before it did."""
    for step in steps:
        if step["code"] == "drain_tasks":
            return step["params"]["tasks"]
    return None


def placements(*, node_id: str, followed: list[dict], tasks: list[engine.TaskSnapshot]) -> list[Placement]:
    """Each followed task placed by ``tasks``: the tasks of their services Swarm still keeps."""
    staying = {task.id for task in tasks if task.node_id == node_id and task.state == "running"}
    wanted = [task for task in tasks if task.desired_state == "running"]
    elsewhere = {(t.service_id, t.slot): t for t in wanted if t.state == "running" and t.node_id != node_id}
    present = {task.service_id for task in wanted}

    def place(task: dict) -> Placement:
        service_id, slot = task["service_id"], task["slot"]
        if task["id"] in staying:
            where: Where = "staying"
        elif not slot or service_id not in present:
            where = "ended"
        elif (service_id, slot) in elsewhere:
            return Placement(task["id"], service_id, slot, "moved", elsewhere[service_id, slot])
        else:
            where = "waiting"
        return Placement(task["id"], service_id, slot, where)

    return [place(task) for task in followed]


def drain_placements(*, node_id: str, followed: list[dict]) -> list[Placement]:
    """The followed tasks placed by what the engine runs now (one engine call)."""
    services = sorted({task["service_id"] for task in followed})
    tasks = engine.task_list(service_ids=services) if services else []
    return placements(node_id=node_id, followed=followed, tasks=tasks)
