"""Swarm services: read, create, change, roll back and remove them."""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.dateparse import parse_datetime

from . import client
from .client import engine_errors, image_parts, post_json, when
from .errors import NoPreviousSpec, NotScalable, ServiceConflict, ServiceNotFound
from .networks import NetworkAttachment, service_networks
from .secrets import FileReference, file_references
from .stacks import STACK_LABEL

# --- typed read models of a service's spec ------------------------------------------------------
# The pages, forms and explanations read these, never the engine's JSON. A value is None where the
# spec leaves it out, so a reader can tell "Docker's default" from an explicit value.


def _pairs(raw: dict | None) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((raw or {}).items()))


@dataclass(frozen=True)
class Mount:
    type: str  # bind, volume, tmpfs (npipe and cluster exist too)
    target: str
    source: str = ""
    read_only: bool = False
    bind_propagation: str = ""
    volume_nocopy: bool = False
    volume_driver: str = ""
    volume_options: tuple[tuple[str, str], ...] = ()  # the volume driver's options
    volume_labels: tuple[tuple[str, str], ...] = ()
    tmpfs_size: int | None = None  # bytes
    tmpfs_mode: int | None = None  # permission bits, e.g. 0o1777

    @classmethod
    def from_json(cls, raw: dict) -> Mount:
        bind = raw.get("BindOptions") or {}
        volume = raw.get("VolumeOptions") or {}
        driver = volume.get("DriverConfig") or {}
        tmpfs = raw.get("TmpfsOptions") or {}
        return cls(
            type=raw.get("Type") or "volume",
            target=raw.get("Target", ""),
            source=raw.get("Source") or "",
            read_only=bool(raw.get("ReadOnly")),
            bind_propagation=bind.get("Propagation") or "",
            volume_nocopy=bool(volume.get("NoCopy")),
            volume_driver=driver.get("Name") or "",
            volume_options=_pairs(driver.get("Options")),
            volume_labels=_pairs(volume.get("Labels")),
            tmpfs_size=tmpfs.get("SizeBytes") or None,
            tmpfs_mode=tmpfs.get("Mode") or None,
        )


@dataclass(frozen=True)
class PortConfig:
    target: int
    published: int | None = None  # None: Swarm picks one (ingress) or the engine does (host)
    protocol: str = "tcp"
    mode: str = "ingress"  # or host

    @classmethod
    def from_json(cls, raw: dict) -> PortConfig:
        return cls(
            target=raw.get("TargetPort", 0),
            published=raw.get("PublishedPort") or None,
            protocol=raw.get("Protocol") or "tcp",
            mode=raw.get("PublishMode") or "ingress",
        )


@dataclass(frozen=True)
class HealthCheck:
    test: tuple[str, ...]  # ("CMD-SHELL", "cmd"), ("CMD", "arg", ...), ("NONE",) or () for the image's own
    interval: int | None = None  # durations in nanoseconds
    timeout: int | None = None
    retries: int | None = None
    start_period: int | None = None

    @classmethod
    def from_json(cls, raw: dict | None) -> HealthCheck | None:
        if not raw:
            return None
        return cls(
            test=tuple(raw.get("Test") or ()),
            interval=raw.get("Interval") or None,
            timeout=raw.get("Timeout") or None,
            retries=raw.get("Retries") or None,
            start_period=raw.get("StartPeriod") or None,
        )

    @property
    def disabled(self) -> bool:
        return self.test[:1] == ("NONE",)


@dataclass(frozen=True)
class RestartPolicy:
    condition: str | None = None  # any, on-failure, none
    delay: int | None = None
    max_attempts: int | None = None  # 0: no limit
    window: int | None = None

    @classmethod
    def from_json(cls, raw: dict | None) -> RestartPolicy:
        raw = raw or {}
        return cls(
            condition=raw.get("Condition") or None,
            delay=raw.get("Delay"),
            max_attempts=raw.get("MaxAttempts"),
            window=raw.get("Window"),
        )


@dataclass(frozen=True)
class RolloutConfig:
    """An UpdateConfig or a RollbackConfig."""

    parallelism: int | None = None  # 0: all tasks at once
    delay: int | None = None
    failure_action: str | None = None  # pause, continue, rollback (updates only)
    monitor: int | None = None
    max_failure_ratio: float | None = None
    order: str | None = None  # stop-first, start-first

    @classmethod
    def from_json(cls, raw: dict | None) -> RolloutConfig:
        raw = raw or {}
        return cls(
            parallelism=raw.get("Parallelism"),
            delay=raw.get("Delay") or None,
            failure_action=raw.get("FailureAction") or None,
            monitor=raw.get("Monitor") or None,
            max_failure_ratio=raw.get("MaxFailureRatio"),
            order=raw.get("Order") or None,
        )


@dataclass(frozen=True)
class Resources:
    limit_nano_cpus: int | None = None
    limit_memory: int | None = None  # bytes
    reserve_nano_cpus: int | None = None
    reserve_memory: int | None = None

    @classmethod
    def from_json(cls, raw: dict | None) -> Resources:
        limits, reservations = (raw or {}).get("Limits") or {}, (raw or {}).get("Reservations") or {}
        return cls(
            limit_nano_cpus=limits.get("NanoCPUs") or None,
            limit_memory=limits.get("MemoryBytes") or None,
            reserve_nano_cpus=reservations.get("NanoCPUs") or None,
            reserve_memory=reservations.get("MemoryBytes") or None,
        )


@dataclass(frozen=True)
class ServiceConfig:
    """What a service is told to run: its spec, typed."""

    name: str = ""
    image: str = ""  # the full reference, digest included
    mode: str = "replicated"  # replicated, global, replicated-job, global-job
    replicas: int | None = None  # None unless replicated
    command: tuple[str, ...] = ()  # replaces the image's entrypoint
    args: tuple[str, ...] = ()
    env: tuple[str, ...] = ()  # KEY=VALUE, as given
    labels: dict[str, str] = field(default_factory=dict)
    constraints: tuple[str, ...] = ()
    ports: tuple[PortConfig, ...] = ()
    mounts: tuple[Mount, ...] = ()
    networks: tuple[NetworkAttachment, ...] = ()  # targets are network ids
    secrets: tuple[FileReference, ...] = ()
    configs: tuple[FileReference, ...] = ()
    healthcheck: HealthCheck | None = None
    restart: RestartPolicy = field(default_factory=RestartPolicy)
    update: RolloutConfig = field(default_factory=RolloutConfig)
    rollback: RolloutConfig = field(default_factory=RolloutConfig)
    resources: Resources = field(default_factory=Resources)
    force_update: int = 0

    @classmethod
    def from_json(cls, spec: dict | None) -> ServiceConfig:
        spec = spec or {}
        template = spec.get("TaskTemplate") or {}
        container = template.get("ContainerSpec") or {}
        modes = spec.get("Mode") or {}
        mode = next(
            (name for key, name in _MODES.items() if key in modes),
            "replicated",
        )
        return cls(
            name=spec.get("Name", ""),
            image=container.get("Image", ""),
            mode=mode,
            replicas=(modes.get("Replicated") or {}).get("Replicas", 1) if mode == "replicated" else None,
            command=tuple(container.get("Command") or ()),
            args=tuple(container.get("Args") or ()),
            env=tuple(container.get("Env") or ()),
            labels=dict(spec.get("Labels") or {}),
            constraints=tuple((template.get("Placement") or {}).get("Constraints") or ()),
            ports=tuple(PortConfig.from_json(p) for p in (spec.get("EndpointSpec") or {}).get("Ports") or ()),
            mounts=tuple(Mount.from_json(m) for m in container.get("Mounts") or ()),
            networks=service_networks(spec),
            secrets=file_references(container.get("Secrets"), "secret"),
            configs=file_references(container.get("Configs"), "config"),
            healthcheck=HealthCheck.from_json(container.get("Healthcheck")),
            restart=RestartPolicy.from_json(template.get("RestartPolicy")),
            update=RolloutConfig.from_json(spec.get("UpdateConfig")),
            rollback=RolloutConfig.from_json(spec.get("RollbackConfig")),
            resources=Resources.from_json(template.get("Resources")),
            force_update=template.get("ForceUpdate") or 0,
        )


_MODES = {"Replicated": "replicated", "Global": "global", "ReplicatedJob": "replicated-job", "GlobalJob": "global-job"}


@dataclass(frozen=True)
class ServiceSummary:
    id: str
    name: str
    image: str
    image_digest: str
    mode: str  # replicated, global, replicated-job or global-job
    replicas: int | None  # None unless replicated
    tasks_running: int
    tasks_desired: int
    version: int
    updated_at: datetime | None
    update_state: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    created_at: datetime | None = None
    # The engine's spec, for the writers only (pages read `config`); not part of equality.
    spec: dict = field(default_factory=dict, compare=False, repr=False)
    config: ServiceConfig = field(default=None, compare=False, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.config is None:  # built from `spec` when a caller (or a test factory) gives only that
            object.__setattr__(self, "config", ServiceConfig.from_json(self.spec))

    @property
    def short_digest(self) -> str:
        return self.image_digest.removeprefix("sha256:")[:12]

    @property
    def converged(self) -> bool:
        return self.tasks_running == self.tasks_desired

    @property
    def stack(self) -> str:
        """The stack that deployed the service ('docker stack deploy' labels it), or ""."""
        return self.labels.get(STACK_LABEL, "")


@dataclass(frozen=True)
class UpdateStatus:
    state: str  # updating, paused, completed, rollback_started, rollback_paused, rollback_completed
    started_at: datetime | None
    completed_at: datetime | None
    message: str


@dataclass(frozen=True)
class ServiceDetail:
    summary: ServiceSummary
    spec: dict  # the engine's spec, for the writers only: pages read `config`
    previous_spec: dict | None
    update_status: UpdateStatus | None
    force_update: int = 0  # Swarm's counter: raising it replaces every task (a redeploy)
    config: ServiceConfig = field(default=None, compare=False, repr=False)  # type: ignore[assignment]
    previous_config: ServiceConfig | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.config is None:
            object.__setattr__(self, "config", ServiceConfig.from_json(self.spec))
        if self.previous_config is None and self.previous_spec:
            object.__setattr__(self, "previous_config", ServiceConfig.from_json(self.previous_spec))

    @property
    def can_roll_back(self) -> bool:
        return bool(self.previous_spec)


def _summary(raw: dict) -> ServiceSummary:
    spec = raw["Spec"]
    config = ServiceConfig.from_json(spec)
    mode, replicas = config.mode, config.replicas  # jobs (replicated-job, global-job) have no replica count
    status = raw.get("ServiceStatus", {})
    image, digest = image_parts(config.image)
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
        created_at=when(raw.get("CreatedAt")),
        spec=spec,
        config=config,
    )


def _update_status(raw: dict | None) -> UpdateStatus | None:
    if not raw or not raw.get("State"):
        return None
    return UpdateStatus(
        state=raw["State"],
        started_at=when(raw.get("StartedAt")),
        completed_at=when(raw.get("CompletedAt")),
        message=raw.get("Message", ""),
    )


def service_list(*, ids: Collection[str] | None = None) -> list[ServiceSummary]:
    """Every service (or those of ``ids``) with its running/desired task counts, in one engine call."""
    if ids is not None and not ids:
        return []
    filters = {"id": list(ids)} if ids else None
    with engine_errors():
        raw = client.api().services(filters=filters, status=True)
    # The engine's id filter matches prefixes: keep exact ids only.
    items = (item for item in raw if ids is None or item["ID"] in ids)
    return sorted((_summary(item) for item in items), key=lambda s: s.name)


def service_get(*, service_id: str) -> ServiceSummary:
    with engine_errors():
        raw = client.api().services(filters={"id": service_id}, status=True)
    matches = [item for item in raw if item["ID"] == service_id or item["ID"].startswith(service_id)]
    if not matches:
        raise ServiceNotFound(service_id)
    return _summary(matches[0])


def service_detail(*, service_id: str) -> ServiceDetail:
    """One service with its full spec, previous spec and update status (two engine calls)."""
    summary = service_get(service_id=service_id)
    with engine_errors():
        raw = client.api().inspect_service(summary.id)
    return ServiceDetail(
        summary=summary,
        spec=raw["Spec"],
        previous_spec=raw.get("PreviousSpec"),
        update_status=_update_status(raw.get("UpdateStatus")),
        force_update=raw["Spec"].get("TaskTemplate", {}).get("ForceUpdate", 0),
    )


def service_update_statuses() -> dict[str, UpdateStatus | None]:
    """The update status of every service, by id, in one call."""
    with engine_errors():
        raw = client.api().services()
    return {item["ID"]: _update_status(item.get("UpdateStatus")) for item in raw}


def services_labelled(*, label: str) -> list[ServiceSummary]:
    """The services with a label (``key=value``), e.g. a stack's ``com.docker.stack.namespace=NAME``."""
    with engine_errors():
        raw = client.api().services(filters={"label": label}, status=True)
    return sorted((_summary(item) for item in raw), key=lambda s: s.name)


def service_find(*, name: str) -> ServiceSummary | None:
    with engine_errors():
        raw = client.api().services(filters={"name": name}, status=True)
    matches = [item for item in raw if item["Spec"]["Name"] == name]
    return _summary(matches[0]) if matches else None


def service_scale(*, service_id: str, replicas: int) -> ServiceSummary:
    """Set a replicated service's replica count. Idempotent: no write when already there."""
    with engine_errors():
        raw = client.api().inspect_service(service_id)
        spec = raw["Spec"]
        if "Replicated" not in spec.get("Mode", {}):
            raise NotScalable()
        if spec["Mode"]["Replicated"].get("Replicas") != replicas:
            spec["Mode"]["Replicated"]["Replicas"] = replicas
            _spec_write(raw["ID"], raw["Version"]["Index"], spec)
    return service_get(service_id=raw["ID"])


def service_create(*, spec: dict) -> str:
    """Create a service from a full ServiceSpec; return its id."""
    with engine_errors():
        return post_json("/services/create", body=spec)["ID"]


def service_update(
    *,
    service_id: str,
    change: Callable[[dict], dict],
    retries: int = 3,
    on_retry: Callable[[int], None] | None = None,
) -> bool:
    """Write change(current spec) with the version it was read at; False when nothing changed.

    On "update out of sequence" (someone changed the service in between) the spec is read again
    and the change applied to it again (``on_retry(attempt)`` is told), up to `retries` times;
    then ServiceConflict.
    """
    attempt = 0
    while True:
        if attempt and on_retry:
            on_retry(attempt + 1)
        with engine_errors():
            raw = client.api().inspect_service(service_id)
        spec = change(copy.deepcopy(raw["Spec"]))  # a copy, so "unchanged" compares two specs
        if spec == raw["Spec"]:
            return False
        try:
            with engine_errors():
                _spec_write(raw["ID"], raw["Version"]["Index"], spec)
        except ServiceConflict:
            attempt += 1
            if attempt > retries:
                raise
            continue
        return True


def service_redeploy(
    *, service_id: str, force_update: int, retries: int = 3, on_retry: Callable[[int], None] | None = None
) -> bool:
    """Replace every task by raising Swarm's ForceUpdate counter to ``force_update``. Idempotent:
    a repeated call finds the counter already there and sends nothing (False)."""

    def force(spec: dict) -> dict:
        template = spec.setdefault("TaskTemplate", {})
        template["ForceUpdate"] = max(template.get("ForceUpdate", 0), force_update)
        return spec

    return service_update(service_id=service_id, change=force, retries=retries, on_retry=on_retry)


def service_rollback(*, service_id: str, from_version: int) -> bool:
    """Roll back to the previous spec, once: False when the service moved past `from_version`."""
    with engine_errors():
        raw = client.api().inspect_service(service_id)
        if raw["Version"]["Index"] != from_version:
            return False
        if not raw.get("PreviousSpec"):
            raise NoPreviousSpec()
        params = {"version": from_version, "rollback": "previous"}
        post_json("/services/{0}/update", raw["ID"], body=raw["Spec"], params=params)
    return True


def service_remove(*, service_id: str) -> None:
    with engine_errors():
        client.api().remove_service(service_id)


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


def _spec_write(service_id: str, version: int, spec: dict) -> None:
    # With its version index: a concurrent change is refused by the engine ("update out of sequence").
    post_json("/services/{0}/update", service_id, body=spec, params={"version": version})
