"""What the stack pages show: the engine's stacks with their services' rows rolled up, and the
panel's record of each stack's deploys with the diff between consecutive ones.

A fixed number of engine calls whatever the number of stacks: the stacks' objects (four list
calls) and the services list's own (services.selectors.service_rows).
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field

import engine
from history.labels import UPDATE_STATES_BAD, UPDATE_STATES_RUNNING
from services.selectors import ServiceRow, service_rows

from .models import StackDeploy


@dataclass
class StackRow:
    stack: engine.StackSummary
    services: list[ServiceRow] = field(default_factory=list)
    last_deploy: StackDeploy | None = None

    @property
    def name(self) -> str:
        return self.stack.name

    @property
    def tasks_running(self) -> int:
        return sum(row.service.tasks_running for row in self.services)

    @property
    def tasks_desired(self) -> int:
        return sum(row.service.tasks_desired for row in self.services)

    @property
    def converged(self) -> bool:
        return self.tasks_running >= self.tasks_desired

    @property
    def health(self) -> Counter:
        total: Counter = Counter()
        for row in self.services:
            total.update(row.health)
        return total

    @property
    def restarts(self) -> int:
        return sum(row.restarts for row in self.services)

    @property
    def update_state(self) -> str:
        """The state that needs a look first: a failed or paused update, then one under way, then any."""
        states = [row.service.update_state for row in self.services if row.service.update_state]
        for wanted in (UPDATE_STATES_BAD, UPDATE_STATES_RUNNING):
            found = next((state for state in states if state in wanted), None)
            if found:
                return found
        return states[0] if states else ""


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "add", "remove", "hunk" or "same"
    text: str


@dataclass
class DeployRow:
    deploy: StackDeploy
    diff: list[DiffLine]  # against the deploy before it (empty for the first)
    first: bool


@dataclass
class StackPage:
    row: StackRow
    deploys: list[DeployRow]

    @property
    def last_deploy(self) -> StackDeploy | None:
        return self.deploys[0].deploy if self.deploys else None


def stack_rows(*, name: str = "") -> list[StackRow]:
    """Every stack (or only ``name``) with its services' rows and its last deploy through the panel."""
    stacks = engine.stack_list(name=name)
    ids = [service_id for stack in stacks for service_id in stack.services]
    by_id = {row.service.id: row for row in service_rows(ids=ids)} if ids else {}
    last: dict[str, StackDeploy] = {}
    for deploy in StackDeploy.objects.filter(stack_name__in=[stack.name for stack in stacks]).select_related(
        "requested_by"
    ):
        last.setdefault(deploy.stack_name, deploy)  # newest first (Meta.ordering)
    return [
        StackRow(
            stack=stack,
            services=[by_id[service_id] for service_id in stack.services if service_id in by_id],
            last_deploy=last.get(stack.name),
        )
        for stack in stacks
    ]


def compose_diff(before: str, after: str) -> list[DiffLine]:
    """The lines that changed between two compose files, with three lines of context (difflib)."""
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=3)
    diff = []
    for line in lines:
        if line.startswith(("---", "+++")):
            continue
        kind = {"+": "add", "-": "remove", "@": "hunk"}.get(line[:1], "same")
        diff.append(DiffLine(kind=kind, text=line))
    return diff


def stack_page(*, name: str) -> StackPage | None:
    """The stack's page; None when the engine has nothing of it and the panel never deployed it."""
    rows = stack_rows(name=name)
    deploys = list(StackDeploy.objects.filter(stack_name=name).select_related("requested_by", "job", "rollback_of"))
    if not rows and not deploys:
        return None
    empty = engine.StackSummary(name=name, services=(), service_names=(), networks=(), secrets=(), configs=())
    row = rows[0] if rows else StackRow(stack=empty)
    row.last_deploy = deploys[0] if deploys else None
    entries = []
    for index, deploy in enumerate(deploys):
        before = deploys[index + 1] if index + 1 < len(deploys) else None
        diff = compose_diff(before.compose, deploy.compose) if before else []
        entries.append(DeployRow(deploy=deploy, diff=diff, first=before is None))
    return StackPage(row=row, deploys=entries)
