"""Swarm nodes, and which node this engine is."""

from __future__ import annotations

from dataclasses import dataclass

from . import client
from .client import engine_errors
from .errors import NotSwarmManager


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
