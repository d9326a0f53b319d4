"""The one door to the Docker engine.

Only this module imports ``docker``. It owns one low-level client per engine address, returns
small frozen dataclasses instead of engine JSON, and turns docker-py's errors into the
``SwarmError`` tree below so callers catch types, never status codes.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import docker
import requests
import urllib3
from django.conf import settings
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from docker.errors import APIError, DockerException, NotFound

__all__ = [
    "EngineUnreachable",
    "NotScalable",
    "NotSwarmManager",
    "ServiceNotFound",
    "ServiceSummary",
    "SwarmConflict",
    "SwarmError",
    "event_stream",
    "service_list",
    "service_scale",
]


class SwarmError(Exception):
    """The engine refused or failed; ``detail`` keeps its own words."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail)
        self.detail = detail

    @property
    def message(self) -> str:
        return _("The Docker engine reported an error: {detail}").format(detail=self.detail)

    @property
    def hint(self) -> str:
        return ""

    def describe(self) -> str:
        """The message with the engine's own words, for job logs."""
        if not self.detail or self.detail in self.message:
            return self.message
        return _("{message} The engine said: {detail}").format(message=self.message, detail=self.detail)


class EngineUnreachable(SwarmError):
    @property
    def message(self) -> str:
        return _("The Docker engine at {host} cannot be reached.").format(host=settings.DOCKER_HOST)

    @property
    def hint(self) -> str:
        return _(
            "Start the engine, or set DOCKER_HOST to the address of a Swarm manager "
            "(for example unix:///var/run/docker.sock) and restart Swarmdeck."
        )


class NotSwarmManager(SwarmError):
    @property
    def message(self) -> str:
        return _("The Docker engine at {host} is not a Swarm manager.").format(host=settings.DOCKER_HOST)

    @property
    def hint(self) -> str:
        return _(
            "Run 'docker swarm init' on this engine, or point DOCKER_HOST at a manager node "
            "('docker node ls' on a manager lists them)."
        )


class ServiceNotFound(SwarmError):
    @property
    def message(self) -> str:
        return _("The service does not exist (any more).")


class NotScalable(SwarmError):
    @property
    def message(self) -> str:
        return _("Only replicated services can be scaled; a global service runs one task per node.")


class SwarmConflict(SwarmError):
    """The service changed between our read and our write ("update out of sequence")."""

    @property
    def message(self) -> str:
        return _("The service was changed by someone else at the same time.")


@dataclass(frozen=True)
class ServiceSummary:
    id: str
    name: str
    image: str
    image_digest: str
    mode: str
    replicas: int | None  # None for global services
    tasks_running: int
    tasks_desired: int
    version: int
    updated_at: datetime | None
    update_state: str = ""
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def short_digest(self) -> str:
        return self.image_digest.removeprefix("sha256:")[:12]

    @property
    def converged(self) -> bool:
        return self.tasks_running == self.tasks_desired


_clients: dict[str, docker.APIClient] = {}
_clients_lock = threading.Lock()


def _client() -> docker.APIClient:
    host = settings.DOCKER_HOST
    with _clients_lock:
        client = _clients.get(host)
        if client is None:
            # "auto" negotiates the API version with the engine: Debian's 20.10 speaks 1.41,
            # newer engines more, and we never ask for what the engine lacks.
            client = docker.APIClient(base_url=host, version="auto", timeout=settings.DOCKER_TIMEOUT)
            _clients[host] = client
        return client


@contextlib.contextmanager
def _engine_errors() -> Iterator[None]:
    try:
        yield
    except NotFound as exc:
        raise ServiceNotFound(exc.explanation or str(exc)) from exc
    except APIError as exc:
        text = str(exc.explanation or exc)
        if exc.status_code == 503 and "swarm" in text.lower():
            raise NotSwarmManager(text) from exc
        if "out of sequence" in text:
            raise SwarmConflict(text) from exc
        raise SwarmError(text) from exc
    except (DockerException, requests.exceptions.RequestException, urllib3.exceptions.HTTPError) as exc:
        raise EngineUnreachable(str(exc)) from exc


def _image_parts(reference: str) -> tuple[str, str]:
    image, _sep, digest = reference.partition("@")
    return image, digest


def _summary(raw: dict) -> ServiceSummary:
    spec = raw["Spec"]
    mode = "global" if "Global" in spec.get("Mode", {}) else "replicated"
    replicas = spec["Mode"]["Replicated"].get("Replicas", 1) if mode == "replicated" else None
    status = raw.get("ServiceStatus", {})
    image, digest = _image_parts(spec["TaskTemplate"]["ContainerSpec"]["Image"])
    return ServiceSummary(
        id=raw["ID"],
        name=spec["Name"],
        image=image,
        image_digest=digest,
        mode=mode,
        replicas=replicas,
        tasks_running=status.get("RunningTasks", 0),
        tasks_desired=status.get("DesiredTasks", replicas or 0),
        version=raw["Version"]["Index"],
        updated_at=parse_datetime(raw["UpdatedAt"]) if raw.get("UpdatedAt") else None,
        update_state=raw.get("UpdateStatus", {}).get("State", ""),
        labels=spec.get("Labels") or {},
    )


def service_list() -> list[ServiceSummary]:
    """Every service with its running/desired task counts, in one engine call."""
    with _engine_errors():
        raw = _client().services(status=True)
    return sorted((_summary(item) for item in raw), key=lambda s: s.name)


def service_get(*, service_id: str) -> ServiceSummary:
    with _engine_errors():
        raw = _client().services(filters={"id": service_id}, status=True)
    matches = [item for item in raw if item["ID"] == service_id or item["ID"].startswith(service_id)]
    if not matches:
        raise ServiceNotFound(service_id)
    return _summary(matches[0])


def service_scale(*, service_id: str, replicas: int) -> ServiceSummary:
    """Set a replicated service's replica count. Idempotent: no write when already there."""
    with _engine_errors():
        client = _client()
        raw = client.inspect_service(service_id)
        spec = raw["Spec"]
        if "Replicated" not in spec.get("Mode", {}):
            raise NotScalable()
        if spec["Mode"]["Replicated"].get("Replicas") != replicas:
            spec["Mode"]["Replicated"]["Replicas"] = replicas
            _update_spec(client, raw["ID"], raw["Version"]["Index"], spec)
    return service_get(service_id=raw["ID"])


def _update_spec(client: docker.APIClient, service_id: str, version: int, spec: dict) -> None:
    # docker-py's update_service rebuilds the spec from keyword arguments and can drop fields it
    # does not model; posting the engine's own spec back with its version index is exact, and a
    # concurrent change is refused by the engine ("update out of sequence").
    url = client._url("/services/{0}/update", service_id)
    client._result(client._post_json(url, data=spec, params={"version": version}), json=True)


def engine_info() -> dict:
    """Raise unless the engine is reachable and a Swarm manager."""
    with _engine_errors():
        info = _client().info()
    swarm = info.get("Swarm", {})
    if swarm.get("LocalNodeState") != "active" or not swarm.get("ControlAvailable"):
        raise NotSwarmManager(swarm.get("LocalNodeState", ""))
    return {"nodes": swarm.get("Nodes", 0), "managers": swarm.get("Managers", 0), "version": info["ServerVersion"]}


class EventStream:
    """Swarm events as dicts; ``close()`` from another thread (or a signal) ends iteration."""

    def __init__(self, since: float | None) -> None:
        with _engine_errors():
            self._stream = _client().events(
                since=f"{since:.9f}" if since else None,
                filters={"type": ["service", "container", "node"]},
                decode=True,
            )

    def __iter__(self) -> Iterator[dict]:
        with _engine_errors():
            yield from self._stream

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._stream.close()


def event_stream(*, since: float | None = None) -> EventStream:
    return EventStream(since)
