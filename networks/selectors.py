"""The networks pages' reads: every network with the services on it; one network with its services and jobs."""

from __future__ import annotations

from dataclasses import dataclass

import engine
from jobs.models import Job


@dataclass
class NetworkRow:
    network: engine.NetworkSnapshot
    services: list[engine.NetworkUser]

    @property
    def in_use(self) -> bool:
        return bool(self.services)


def _users(network: engine.NetworkSnapshot, services: dict[str, list[engine.NetworkUser]]) -> list[engine.NetworkUser]:
    # A spec names its network by id; one written for an old API version may name it.
    return services.get(network.id) or services.get(network.name) or []


def network_rows() -> list[NetworkRow]:
    """Every network the manager knows, with its services (two engine calls). The swarm's own
    networks first, then the engine's (ingress, bridge, host...)."""
    services = engine.network_services()
    rows = [NetworkRow(network, _users(network, services)) for network in engine.network_list()]
    return sorted(rows, key=lambda row: (not row.network.removable, row.network.name))


@dataclass
class NetworkPage:
    row: NetworkRow
    jobs: list[Job]


def network_page(*, network_id: str) -> NetworkPage:
    network = engine.network_get(network_id=network_id)
    row = NetworkRow(network, _users(network, engine.network_services()))
    jobs = Job.objects.filter(target_id=network.id, kind__in=[Job.Kind.NETWORK_CREATE, Job.Kind.NETWORK_REMOVE])
    return NetworkPage(row=row, jobs=list(jobs.select_related("requested_by")[:5]))
