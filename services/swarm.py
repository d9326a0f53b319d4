"""The one door to the Docker engine.

Only this module imports ``docker``. It owns one low-level client per engine address, returns
small frozen dataclasses instead of engine JSON, and turns docker-py's errors into the
``SwarmError`` tree below so callers catch types, never status codes.
"""

from __future__ import annotations

import contextlib
import copy
import re
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
    "node_identity",
    "node_list",
    "service_detail",
    "service_list",
    "service_scale",
    "task_list",
]


class SwarmError(Exception):
    """The engine refused or failed; ``detail`` keeps its own words."""

    code = "engine"  # each subclass its own: a key of services.job_messages.ERRORS, stored on the job

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
    code = "unreachable"

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
    code = "not_manager"

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
    code = "not_found"

    @property
    def message(self) -> str:
        return _("The service does not exist (any more).")


class NotScalable(SwarmError):
    code = "not_scalable"

    @property
    def message(self) -> str:
        return _("Only replicated services can be scaled; a global service runs one task per node.")


class NoPreviousSpec(SwarmError):
    code = "no_previous"

    @property
    def message(self) -> str:
        return _("The service has no previous spec to roll back to.")


class SwarmConflict(SwarmError):
    """The service changed between our read and our write ("update out of sequence")."""

    code = "conflict"

    @property
    def message(self) -> str:
        return _(
            "The service kept changing under this job (update out of sequence); it gave up to keep both changes safe."
        )


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
    created_at: datetime | None = None
    # The engine's spec, for advice and forms; not part of equality.
    spec: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def short_digest(self) -> str:
        return self.image_digest.removeprefix("sha256:")[:12]

    @property
    def converged(self) -> bool:
        return self.tasks_running == self.tasks_desired


@dataclass(frozen=True)
class UpdateStatus:
    state: str  # updating, paused, completed, rollback_started, rollback_paused, rollback_completed
    started_at: datetime | None
    completed_at: datetime | None
    message: str


@dataclass(frozen=True)
class ServiceDetail:
    summary: ServiceSummary
    spec: dict  # the engine's spec, for the detail page and the edit forms
    previous_spec: dict | None
    update_status: UpdateStatus | None


@dataclass(frozen=True)
class TaskSnapshot:
    id: str
    service_id: str
    slot: int | None  # None for global services
    node_id: str
    state: str
    desired_state: str
    message: str
    error: str
    exit_code: int | None
    container_id: str
    image: str
    created_at: datetime
    state_at: datetime


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
class ContainerHealth:
    task_id: str
    container_id: str
    health: str  # healthy, unhealthy, starting, or "" without a health check


@dataclass(frozen=True)
class NodeIdentity:
    node_id: str
    hostname: str
    is_manager: bool


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
def _engine_errors(not_found: type[SwarmError] | None = None) -> Iterator[None]:
    try:
        yield
    except NotFound as exc:
        raise (not_found or ServiceNotFound)(exc.explanation or str(exc)) from exc
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
        created_at=_when(raw.get("CreatedAt")),
        spec=spec,
    )


def _when(value: str | None) -> datetime | None:
    # Docker writes nanoseconds; Python keeps microseconds.
    if not value or value.startswith("0001-"):
        return None
    head, dot, tail = value.partition(".")
    if dot:
        digits = "".join(ch for ch in tail if ch.isdigit())
        value = f"{head}.{digits[:6]}{tail[len(digits) :]}"
    return parse_datetime(value)


def _update_status(raw: dict | None) -> UpdateStatus | None:
    if not raw or not raw.get("State"):
        return None
    return UpdateStatus(
        state=raw["State"],
        started_at=_when(raw.get("StartedAt")),
        completed_at=_when(raw.get("CompletedAt")),
        message=raw.get("Message", ""),
    )


def _task(raw: dict) -> TaskSnapshot:
    status = raw.get("Status", {})
    container = status.get("ContainerStatus") or {}
    exit_code = container.get("ExitCode")
    state = status.get("State", "")
    return TaskSnapshot(
        id=raw["ID"],
        service_id=raw["ServiceID"],
        slot=raw.get("Slot"),
        node_id=raw.get("NodeID", ""),
        state=state,
        desired_state=raw.get("DesiredState", ""),
        message=status.get("Message", ""),
        error=status.get("Err", ""),
        # The engine reports 0 for containers that have not exited yet.
        exit_code=exit_code if state in TERMINAL_TASK_STATES else None,
        container_id=container.get("ContainerID", ""),
        image=_image_parts(raw.get("Spec", {}).get("ContainerSpec", {}).get("Image", ""))[0],
        created_at=_when(raw.get("CreatedAt")),
        state_at=_when(status.get("Timestamp")) or _when(raw.get("UpdatedAt")),
    )


TERMINAL_TASK_STATES = frozenset({"complete", "shutdown", "failed", "rejected", "orphaned", "remove"})


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


def service_detail(*, service_id: str) -> ServiceDetail:
    """One service with its full spec, previous spec and update status (two engine calls)."""
    summary = service_get(service_id=service_id)
    with _engine_errors():
        raw = _client().inspect_service(summary.id)
    return ServiceDetail(
        summary=summary,
        spec=raw["Spec"],
        previous_spec=raw.get("PreviousSpec"),
        update_status=_update_status(raw.get("UpdateStatus")),
    )


def service_update_statuses() -> dict[str, UpdateStatus | None]:
    """The update status of every service, by id, in one call."""
    with _engine_errors():
        raw = _client().services()
    return {item["ID"]: _update_status(item.get("UpdateStatus")) for item in raw}


def task_list(*, service_id: str | None = None, desired_running: bool = False) -> list[TaskSnapshot]:
    """Tasks Swarm still holds (at most 5 per slot), in one call, optionally for one service."""
    filters: dict[str, str] = {}
    if service_id:
        filters["service"] = service_id
    if desired_running:
        filters["desired-state"] = "running"
    with _engine_errors():
        raw = _client().tasks(filters=filters)
    return [_task(item) for item in raw if item.get("ServiceID")]


def node_list() -> list[NodeSnapshot]:
    with _engine_errors():
        raw = _client().nodes()
    return sorted((_node(item) for item in raw), key=lambda n: (n.role != "manager", n.hostname))


def node_identity() -> NodeIdentity:
    """Which node this engine is, and whether it can answer Swarm questions (managers only)."""
    with _engine_errors():
        info = _client().info()
    swarm = info.get("Swarm", {})
    if swarm.get("LocalNodeState") != "active":
        raise NotSwarmManager(swarm.get("LocalNodeState", ""))
    return NodeIdentity(
        node_id=swarm.get("NodeID", ""), hostname=info.get("Name", ""), is_manager=bool(swarm.get("ControlAvailable"))
    )


def local_task_health() -> list[ContainerHealth]:
    """Health of the task containers on this engine's node, in one call (Swarm tasks lack it)."""
    with _engine_errors():
        raw = _client().containers(all=True, filters={"label": "com.docker.swarm.task.id"})
    result = []
    for item in raw:
        status = item.get("Status", "")
        health = ""
        if "(healthy)" in status:
            health = "healthy"
        elif "(unhealthy)" in status:
            health = "unhealthy"
        elif "(health: starting)" in status:
            health = "starting"
        labels = item.get("Labels") or {}
        result.append(
            ContainerHealth(task_id=labels["com.docker.swarm.task.id"], container_id=item["Id"], health=health)
        )
    return result


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


def service_create(*, spec: dict) -> str:
    """Create a service from a full ServiceSpec; return its id."""
    with _engine_errors():
        client = _client()
        response = client._post_json(client._url("/services/create"), data=spec)
        return client._result(response, json=True)["ID"]


def service_find(*, name: str) -> ServiceSummary | None:
    with _engine_errors():
        raw = _client().services(filters={"name": name}, status=True)
    matches = [item for item in raw if item["Spec"]["Name"] == name]
    return _summary(matches[0]) if matches else None


def service_update(*, service_id: str, change, retries: int = 3) -> bool:
    """Write change(current spec) with the version it was read at; False when nothing changed.

    On "update out of sequence" (someone changed the service in between) the spec is read again
    and the change applied to it again, up to `retries` times; then SwarmConflict.
    """
    attempt = 0
    while True:
        with _engine_errors():
            client = _client()
            raw = client.inspect_service(service_id)
        spec = change(copy.deepcopy(raw["Spec"]))  # a copy, so "unchanged" compares two specs
        if spec == raw["Spec"]:
            return False
        try:
            with _engine_errors():
                _update_spec(client, raw["ID"], raw["Version"]["Index"], spec)
        except SwarmConflict:
            attempt += 1
            if attempt > retries:
                raise
            continue
        return True


def service_rollback(*, service_id: str, from_version: int) -> bool:
    """Roll back to the previous spec, once: False when the service moved past `from_version`."""
    with _engine_errors():
        client = _client()
        raw = client.inspect_service(service_id)
        if raw["Version"]["Index"] != from_version:
            return False
        if not raw.get("PreviousSpec"):
            raise NoPreviousSpec()
        url = client._url("/services/{0}/update", raw["ID"])
        params = {"version": from_version, "rollback": "previous"}
        client._result(client._post_json(url, data=raw["Spec"], params=params), json=True)
    return True


def service_remove(*, service_id: str) -> None:
    with _engine_errors():
        _client().remove_service(service_id)


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

    def __init__(self, since: float | None, until: float | None = None) -> None:
        with _engine_errors():
            self._stream = _client().events(
                since=f"{since:.9f}" if since else None,
                until=f"{until:.9f}" if until else None,
                filters={"type": ["service", "container", "node"]},
                decode=True,
            )

    def __iter__(self) -> Iterator[dict]:
        with _engine_errors():
            yield from self._stream

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._stream.close()


def event_stream(*, since: float | None = None, until: float | None = None) -> EventStream:
    """Events from ``since`` on; with ``until`` a finite replay, without it a live stream."""
    return EventStream(since, until)


# --- images, registries and the panel's own container (updates) ------------------------------


class RegistryUnreachable(SwarmError):
    code = "registry_unreachable"

    @property
    def message(self) -> str:
        return _("The registry of this image cannot be reached, so no update was checked.")


class TagNotFound(SwarmError):
    code = "tag_not_found"

    @property
    def message(self) -> str:
        return _("The registry does not have this image tag (any more).")


class ContainerNotFound(SwarmError):
    code = "container_not_found"

    @property
    def message(self) -> str:
        return _("The container does not exist (any more).")


class ImageNotFound(SwarmError):
    code = "image_not_found"

    @property
    def message(self) -> str:
        return _("The image is not on this engine.")


class NotInContainer(SwarmError):
    code = "not_in_container"

    @property
    def message(self) -> str:
        return _("Swarmdeck does not run in a container of this engine, so it cannot update itself.")


@dataclass(frozen=True)
class ContainerSnapshot:
    id: str
    name: str
    image: str  # the reference it was started with, e.g. registry:5000/swarmdeck:latest
    image_id: str
    state: str  # created, running, exited...
    health: str  # healthy, unhealthy, starting, or "" without a health check
    health_log: str  # the last health check's output, for a failed update's reason
    service_id: str  # set for a Swarm task's container
    stack: str  # com.docker.stack.namespace, for a stack's containers
    exit_code: int | None


def image_reference_parts(reference: str) -> tuple[str, str, str]:
    """(repository, tag, digest) of an image reference; the tag defaults to latest like the CLI."""
    name, _sep, digest = reference.partition("@")
    last = name.rsplit("/", 1)[-1]
    repository, tag = name.rsplit(":", 1) if ":" in last else (name, "latest" if not digest else "")
    return repository, tag, digest


def image_remote_digest(*, image: str) -> str:
    """The digest the registry holds for a tag: the engine asks the registry (a manifest request,
    no pull, through the engine's own registry settings and credentials)."""
    try:
        with _engine_errors(TagNotFound):
            raw = _client().inspect_distribution(image)
    except (EngineUnreachable, TagNotFound):
        raise
    except SwarmError as exc:
        text = exc.detail.lower()
        if "manifest unknown" in text or "not found" in text:
            raise TagNotFound(exc.detail) from exc
        raise RegistryUnreachable(exc.detail) from exc
    return raw["Descriptor"]["digest"]


def image_local_digests(*, image: str) -> list[str]:
    """The registry digests this engine knows for a local image (by reference or id)."""
    try:
        with _engine_errors(ImageNotFound):
            raw = _client().inspect_image(image)
    except ImageNotFound:
        return []
    return [item.partition("@")[2] for item in raw.get("RepoDigests") or []]


def image_pull(*, image: str) -> str:
    """Pull a reference; return the local image id."""
    repository, tag, digest = image_reference_parts(image)
    with _engine_errors(TagNotFound):
        client = _client()
        client.pull(repository, tag=digest or tag)
        return client.inspect_image(image)["Id"]


def _container(raw: dict) -> ContainerSnapshot:
    state = raw.get("State") or {}
    health = state.get("Health") or {}
    log = health.get("Log") or []
    labels = raw.get("Config", {}).get("Labels") or {}
    return ContainerSnapshot(
        id=raw["Id"],
        name=raw.get("Name", "").lstrip("/"),
        image=raw.get("Config", {}).get("Image", ""),
        image_id=raw.get("Image", ""),
        state=state.get("Status", ""),
        health=health.get("Status", ""),
        health_log=(log[-1].get("Output") or "").strip()[-500:] if log else "",
        service_id=labels.get("com.docker.swarm.service.id", ""),
        stack=labels.get("com.docker.stack.namespace", ""),
        exit_code=state.get("ExitCode") if state.get("Status") == "exited" else None,
    )


def container_get(*, container_id: str) -> ContainerSnapshot:
    with _engine_errors(ContainerNotFound):
        return _container(_client().inspect_container(container_id))


def _own_container_id() -> str:
    # Docker bind-mounts /etc/hostname from <data-root>/containers/<id>/: the surest way to learn
    # our own id, whatever the host name was set to.
    try:
        with open("/proc/self/mountinfo", encoding="utf-8") as handle:
            for line in handle:
                found = re.search(r"/containers/([0-9a-f]{64})/", line)
                if found:
                    return found.group(1)
    except OSError:
        pass
    return ""


def container_self() -> ContainerSnapshot:
    """The container this process runs in, as its engine sees it."""
    container_id = _own_container_id()
    if not container_id:
        raise NotInContainer("")
    try:
        return container_get(container_id=container_id)
    except ContainerNotFound as exc:
        raise NotInContainer(exc.detail) from exc


def service_image_set(*, service_id: str, image: str, monitor_seconds: int) -> bool:
    """Move a service to an image with a rolling update Swarm rolls back by itself when a new task
    does not stay healthy for ``monitor_seconds``. Idempotent: False when already on that image."""

    def change(spec: dict) -> dict:
        container = spec["TaskTemplate"]["ContainerSpec"]
        if container.get("Image") == image:
            return spec
        container["Image"] = image
        monitor = monitor_seconds * 1_000_000_000
        # Two tasks cannot bind one host-mode port on a node: such a service goes stop-first.
        ports = (spec.get("EndpointSpec") or {}).get("Ports") or []
        order = "stop-first" if any(port.get("PublishMode") == "host" for port in ports) else "start-first"
        spec["UpdateConfig"] = {
            **(spec.get("UpdateConfig") or {}),
            "FailureAction": "rollback",
            "Monitor": monitor,
            "Order": order,
            "MaxFailureRatio": 0,
        }
        spec["RollbackConfig"] = {**(spec.get("RollbackConfig") or {}), "Monitor": monitor, "Order": order}
        return spec

    return service_update(service_id=service_id, change=change)


def services_labelled(*, label: str) -> list[ServiceSummary]:
    """The services with a label (``key=value``), e.g. a stack's ``com.docker.stack.namespace=NAME``."""
    with _engine_errors():
        raw = _client().services(filters={"label": label}, status=True)
    return sorted((_summary(item) for item in raw), key=lambda s: s.name)


def _user_config(raw: dict) -> dict:
    """A container's Config less what its image set (env, labels, command...), so a copy made
    from another image takes that image's defaults, as watchtower does."""
    with _engine_errors(ImageNotFound):
        image_config = _client().inspect_image(raw["Image"]).get("Config") or {}
    config = dict(raw["Config"])
    config["Env"] = [item for item in config.get("Env") or [] if item not in (image_config.get("Env") or [])]
    image_labels = image_config.get("Labels") or {}
    config["Labels"] = {k: v for k, v in (config.get("Labels") or {}).items() if image_labels.get(k) != v}
    for key in ("Cmd", "Entrypoint", "Healthcheck", "WorkingDir", "User", "ExposedPorts", "Volumes", "StopSignal"):
        if config.get(key) == image_config.get(key):
            config.pop(key, None)
    if config.get("Hostname") == raw["Id"][:12]:
        config.pop("Hostname")  # Docker's default, the old id
    return config


def _endpoints(raw: dict) -> dict:
    # The engines we support (API 1.41) take one network at create time: the first, as `docker run`.
    networks = (raw.get("NetworkSettings") or {}).get("Networks") or {}
    for name, endpoint in networks.items():
        aliases = [alias for alias in endpoint.get("Aliases") or [] if alias != raw["Id"][:12]]
        return {"EndpointsConfig": {name: {"Aliases": aliases or None, "IPAMConfig": endpoint.get("IPAMConfig")}}}
    return {}


def _container_create(body: dict, name: str) -> str:
    with _engine_errors(ImageNotFound):
        client = _client()
        response = client._post_json(client._url("/containers/create"), data=body, params={"name": name})
        return client._result(response, json=True)["Id"]


def container_clone(*, source_id: str, image: str, name: str) -> str:
    """Create (not start) a container like ``source_id`` with another image; return its id."""
    with _engine_errors(ContainerNotFound):
        raw = _client().inspect_container(source_id)
    body = {**_user_config(raw), "Image": image, "HostConfig": raw["HostConfig"], "NetworkingConfig": _endpoints(raw)}
    return _container_create(body, name)


def container_helper_run(*, source_id: str, image: str, command: list[str], name: str) -> str:
    """Start a short-lived container of ``image`` with the source's environment, mounts and network
    (so it reaches the same database and engine), no ports; it removes itself when done."""
    with _engine_errors(ContainerNotFound):
        raw = _client().inspect_container(source_id)
    config = _user_config(raw)
    host = raw["HostConfig"]
    body = {
        "Image": image,
        "Cmd": command,
        "Env": config.get("Env") or [],
        "Labels": {"swarmdeck.helper": source_id[:12]},
        "HostConfig": {
            "Binds": host.get("Binds"),
            "Mounts": host.get("Mounts"),
            "NetworkMode": host.get("NetworkMode"),
            "AutoRemove": True,
        },
        "NetworkingConfig": _endpoints(raw),
    }
    helper_id = _container_create(body, name)
    container_start(container_id=helper_id)
    return helper_id


def container_start(*, container_id: str) -> None:
    with _engine_errors(ContainerNotFound):
        _client().start(container_id)


def container_stop(*, container_id: str, timeout: int = 30) -> None:
    with _engine_errors(ContainerNotFound):
        _client().stop(container_id, timeout=timeout)


def container_rename(*, container_id: str, name: str) -> None:
    with _engine_errors(ContainerNotFound):
        _client().rename(container_id, name)


def container_remove(*, container_id: str) -> None:
    with contextlib.suppress(ContainerNotFound), _engine_errors(ContainerNotFound):
        _client().remove_container(container_id, force=True, v=False)


def container_find(*, name: str) -> ContainerSnapshot | None:
    try:
        return container_get(container_id=name)
    except ContainerNotFound:
        return None
