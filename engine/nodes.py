"""Swarm nodes, and which node this engine is; a node's availability, role and labels changed, a node removed."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

from . import client
from .client import engine_errors, post_json
from .errors import (
    EngineError,
    LastManager,
    ManagerJoining,
    ManagerQuorum,
    NodeConflict,
    NodeIsManager,
    NodeNotDown,
    NodeNotFound,
    NotSwarmManager,
)


@dataclass(frozen=True)
class NodeSnapshot:
    id: str
    hostname: str
    role: str
    availability: str
    state: str
    engine_version: str
    address: str
    leader: bool


@dataclass(frozen=True)
class NodeDetail(NodeSnapshot):
    """One node as its page and the node jobs read it: the listing's facts and the rest of its inspect."""

    version: int  # the index a write must name (engine.node_update)
    labels: dict[str, str]  # Spec.Labels: the operator's, what constraints such as node.labels.KEY match
    engine_labels: dict[str, str]  # the engine's own (dockerd --label): changed on that host only
    nano_cpus: int
    memory_bytes: int
    os: str
    architecture: str
    reachability: str  # a manager's: reachable, unreachable, unknown; "" for a worker
    manager_address: str  # a manager's address for the other managers (host:2377)
    message: str  # Status.Message: why a node is down, in the engine's words
    # The engine's spec, for node_update only (pages read the fields above); not part of equality.
    spec: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def cpus(self) -> float:
        return self.nano_cpus / 1_000_000_000


@dataclass(frozen=True)
class NodeIdentity:
    node_id: str
    hostname: str
    is_manager: bool


@dataclass(frozen=True)
class SwarmInfo:
    nodes: int
    managers: int
    engine_version: str


def _node(raw: dict) -> NodeSnapshot:
    description = raw.get("Description", {})
    manager = raw.get("ManagerStatus") or {}
    return NodeSnapshot(
        id=raw["ID"],
        hostname=description.get("Hostname", ""),
        role=raw.get("Spec", {}).get("Role", ""),
        availability=raw.get("Spec", {}).get("Availability", ""),
        state=raw.get("Status", {}).get("State", ""),
        engine_version=description.get("Engine", {}).get("EngineVersion", ""),
        address=raw.get("Status", {}).get("Addr", ""),
        leader=bool(manager.get("Leader")),
    )


def _detail(raw: dict) -> NodeDetail:
    description = raw.get("Description", {})
    resources = description.get("Resources") or {}
    platform = description.get("Platform") or {}
    manager = raw.get("ManagerStatus") or {}
    spec = raw.get("Spec") or {}
    return NodeDetail(
        **asdict(_node(raw)),
        version=raw["Version"]["Index"],
        labels=dict(spec.get("Labels") or {}),
        engine_labels=dict(description.get("Engine", {}).get("Labels") or {}),
        nano_cpus=resources.get("NanoCPUs", 0),
        memory_bytes=resources.get("MemoryBytes", 0),
        os=platform.get("OS", ""),
        architecture=platform.get("Architecture", ""),
        reachability=manager.get("Reachability", ""),
        manager_address=manager.get("Addr", ""),
        message=raw.get("Status", {}).get("Message", ""),
        spec=spec,
    )


# The engine's refusals of a node change (swarmkit's FailedPrecondition, a 400 without a code of
# its own) and a version conflict, told apart by their words: callers catch types.
_REFUSALS: tuple[tuple[str, type[EngineError]], ...] = (
    ("out of sequence", NodeConflict),
    ("is not down and can't be removed", NodeNotDown),
    ("must be demoted to worker before removal", NodeIsManager),
    ("demote the last manager", LastManager),
    ("loss of quorum", ManagerQuorum),
    ("can't find manager in raft memberlist", ManagerJoining),
)


@contextlib.contextmanager
def _node_errors() -> Iterator[None]:
    try:
        with engine_errors(not_found=NodeNotFound):
            yield
    except EngineError as exc:
        refusal = next((error for words, error in _REFUSALS if words in exc.detail), None)
        if refusal is None:
            raise
        raise refusal(exc.detail) from exc


def node_get(*, node_id: str) -> NodeDetail:
    """One node by id (or host name, or a unique id prefix, as the CLI allows); NodeNotFound when gone."""
    with _node_errors():
        raw = client.api().inspect_node(node_id)
    return _detail(raw)


def node_update(
    *,
    node_id: str,
    version: int,
    spec: dict,
    availability: str | None = None,
    role: str | None = None,
    labels: dict[str, str] | None = None,
) -> bool:
    """Write ``spec`` (the node's, read at ``version``) with the given values; None keeps one, and
    ``labels`` replaces them all. Reads nothing: the caller read the node, so a change made since is
    refused by the engine (NodeConflict) rather than overwritten. False when nothing differs (no write)."""
    changes: dict = {}
    if availability is not None and availability != spec.get("Availability"):
        changes["Availability"] = availability
    if role is not None and role != spec.get("Role"):
        changes["Role"] = role
    if labels is not None and labels != (spec.get("Labels") or {}):
        changes["Labels"] = dict(labels)
    if not changes:
        return False
    with _node_errors():
        # The engine's own spec posted back: the whole of it, as the engine replaces it whole.
        post_json("/nodes/{0}/update", node_id, body={**spec, **changes}, params={"version": version})
    return True


def node_remove(*, node_id: str, force: bool = False) -> None:
    """Remove a node from the swarm: the engine refuses a node that is up unless ``force`` (NodeNotDown),
    and a manager whatever ``force`` says (NodeIsManager)."""
    with _node_errors():
        client.api().remove_node(node_id, force=force)


def node_list() -> list[NodeSnapshot]:
    with engine_errors():
        raw = client.api().nodes()
    return sorted((_node(item) for item in raw), key=lambda n: (n.role != "manager", n.hostname))


def node_identity() -> NodeIdentity:
    """Which node this engine is, and whether it can answer Swarm questions (managers only)."""
    with engine_errors():
        info = client.api().info()
    swarm = info.get("Swarm", {})
    if swarm.get("LocalNodeState") != "active":
        raise NotSwarmManager(swarm.get("LocalNodeState", ""))
    return NodeIdentity(
        node_id=swarm.get("NodeID", ""), hostname=info.get("Name", ""), is_manager=bool(swarm.get("ControlAvailable"))
    )


def swarm_info() -> SwarmInfo:
    """The swarm's size and the engine's version; raises unless the engine is a reachable manager."""
    with engine_errors():
        info = client.api().info()
    swarm = info.get("Swarm", {})
    if swarm.get("LocalNodeState") != "active" or not swarm.get("ControlAvailable"):
        raise NotSwarmManager(swarm.get("LocalNodeState", ""))
    return SwarmInfo(
        nodes=swarm.get("Nodes", 0), managers=swarm.get("Managers", 0), engine_version=info.get("ServerVersion", "")
    )
