"""Networks: read them, the services on each, create an overlay network, remove one."""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from docker.types import IPAMConfig, IPAMPool

from . import client
from .client import engine_errors, when
from .errors import EngineError, NetworkInUse, NetworkNameTaken, NetworkNotFound, NetworkPredefined

STACK_LABEL = "com.docker.stack.namespace"
JOB_LABEL = "swarmdeck.job"  # set by the create job that made the network: a resumed job finds it
# The engine's own networks, whatever it says of them (runconfig.IsPreDefinedNetwork): never
# removed, and their names never taken.
PREDEFINED = frozenset({"bridge", "host", "none", "default", "ingress"})


@dataclass(frozen=True)
class NetworkAttachment:
    """One network of a service's spec (TaskTemplate.Networks): the network's id, and the other
    names the service answers to on it."""

    target: str
    aliases: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, raw: dict) -> NetworkAttachment:
        return cls(target=raw.get("Target", ""), aliases=tuple(raw.get("Aliases") or ()))


@dataclass(frozen=True)
class NetworkUser:
    """A service on a network, and its aliases there."""

    service_id: str
    service_name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class NetworkSnapshot:
    id: str
    name: str
    driver: str
    scope: str  # swarm, local
    attachable: bool  # plain containers (docker run --network) may join it too
    internal: bool  # no route out of it
    ingress: bool  # the routing mesh's network
    encrypted: bool  # overlay traffic encrypted (IPsec)
    subnets: tuple[str, ...]
    gateways: tuple[str, ...]
    labels: dict[str, str] = field(default_factory=dict)
    created_at: datetime | None = None
    stack: str = ""  # the stack that made it (docker stack deploy), or ""

    @property
    def removable(self) -> bool:
        """Only the swarm's own networks are removed here: the ingress is the routing mesh's, and a
        local network (bridge, host...) is one node's, which a manager's API does not remove elsewhere."""
        return self.scope == "swarm" and not self.ingress and self.name not in PREDEFINED

    @property
    def service_attachable(self) -> bool:
        """Whether a service may join it: a swarm network other than the ingress (which the engine
        attaches by itself to a service with ingress ports)."""
        return self.scope == "swarm" and not self.ingress


def _network(raw: dict) -> NetworkSnapshot:
    configs = (raw.get("IPAM") or {}).get("Config") or []
    labels = dict(raw.get("Labels") or {})
    return NetworkSnapshot(
        id=raw["Id"],
        name=raw.get("Name", ""),
        driver=raw.get("Driver") or "",
        scope=raw.get("Scope") or "",
        attachable=bool(raw.get("Attachable")),
        internal=bool(raw.get("Internal")),
        ingress=bool(raw.get("Ingress")),
        encrypted="encrypted" in (raw.get("Options") or {}),
        subnets=tuple(config["Subnet"] for config in configs if config.get("Subnet")),
        gateways=tuple(config["Gateway"] for config in configs if config.get("Gateway")),
        labels=labels,
        created_at=when(raw.get("Created")),
        stack=labels.get(STACK_LABEL, ""),
    )


# The engine's refusals, told apart by their words: callers catch types. A task still on the network
# is most often one of a service just removed, whose tasks are shutting down: worth trying again a
# little later (a container of an attachable network stays, and then the job fails in these words).
_REFUSALS: tuple[tuple[str, type[EngineError], bool], ...] = (
    ("is in use by task", NetworkInUse, True),
    ("is in use by", NetworkInUse, False),  # a swarm network: "network X is in use by service Y"
    ("has active endpoints", NetworkInUse, False),  # a local one with containers on it
    ("already exists", NetworkNameTaken, False),
    # Another name alike but for its case: swarmkit's names are unique whatever their case (a 500).
    ("name conflicts with an existing object", NetworkNameTaken, False),
    ("pre-defined network", NetworkPredefined, False),
)


@contextlib.contextmanager
def _network_errors() -> Iterator[None]:
    try:
        with engine_errors(not_found=NetworkNotFound):
            yield
    except NetworkNotFound:
        raise
    except EngineError as exc:
        refusal = next((entry for entry in _REFUSALS if entry[0] in exc.detail), None)
        if refusal is None:
            raise
        _words, error, transient = refusal
        raise error(exc.detail, transient=transient) from exc


def network_list() -> list[NetworkSnapshot]:
    with _network_errors():
        raw = client.api().networks()
    return sorted((_network(item) for item in raw), key=lambda network: network.name)


def network_get(*, network_id: str) -> NetworkSnapshot:
    """One network by id or name (as the CLI takes either); NetworkNotFound when there is none."""
    with _network_errors():
        raw = client.api().inspect_network(network_id)
    return _network(raw)


def network_find(*, job_id: int) -> NetworkSnapshot | None:
    """The network a create job made, by the label it set on it; None before it made one."""
    with _network_errors():
        raw = client.api().networks(filters={"label": f"{JOB_LABEL}={job_id}"})
    return _network(raw[0]) if raw else None


def network_create(
    *,
    name: str,
    attachable: bool = False,
    encrypted: bool = False,
    internal: bool = False,
    subnet: str = "",
    gateway: str = "",
    labels: dict[str, str] | None = None,
) -> str:
    """An overlay network of the swarm, as `docker network create -d overlay` makes it; its id.
    A name in use is NetworkNameTaken (the engine's 409)."""
    ipam = None
    if subnet:
        ipam = IPAMConfig(pool_configs=[IPAMPool(subnet=subnet, gateway=gateway or None)])
    with _network_errors():
        answer = client.api().create_network(
            name,
            driver="overlay",
            scope="swarm",
            options={"encrypted": ""} if encrypted else None,
            ipam=ipam,
            check_duplicate=True,
            internal=internal,
            labels=dict(labels or {}),
            attachable=attachable,
        )
    return answer["Id"]


def network_remove(*, network_id: str) -> None:
    """Remove a network: NetworkInUse (the engine's words name who uses it) while a service or a
    container is on it, NetworkPredefined for the engine's own, NetworkNotFound when gone."""
    with _network_errors():
        client.api().remove_network(network_id)


def network_services() -> dict[str, list[NetworkUser]]:
    """Network id (or name, as an old spec may hold it) -> the services on it, by name: read from
    the services' specs (TaskTemplate.Networks) and their endpoints' virtual IPs (the ingress, which
    the engine attaches by itself), in one engine call."""
    with engine_errors():
        services = client.api().services()
    users: dict[str, dict[str, NetworkUser]] = defaultdict(dict)
    for raw in services:
        spec = raw.get("Spec") or {}
        name = spec.get("Name") or raw["ID"]
        for attachment in service_networks(spec):
            users[attachment.target][raw["ID"]] = NetworkUser(raw["ID"], name, attachment.aliases)
        for vip in (raw.get("Endpoint") or {}).get("VirtualIPs") or []:
            network = vip.get("NetworkID")
            if network and raw["ID"] not in users[network]:
                users[network][raw["ID"]] = NetworkUser(raw["ID"], name)
    return {network: sorted(on.values(), key=lambda user: user.service_name) for network, on in users.items()}


def service_networks(spec: dict) -> tuple[NetworkAttachment, ...]:
    """A service spec's networks: TaskTemplate.Networks, or the top-level Networks that specs
    written for API versions before 1.25 hold."""
    raw = (spec.get("TaskTemplate") or {}).get("Networks") or spec.get("Networks") or ()
    return tuple(NetworkAttachment.from_json(item) for item in raw)
