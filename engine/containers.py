"""Containers on this engine: the panel's own, and the copies and helpers its self-update makes."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass

from . import client
from .client import engine_errors, post_json
from .errors import ContainerNotFound, ImageNotFound, NotInContainer


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
    with engine_errors(ContainerNotFound):
        return _container(client.api().inspect_container(container_id))


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


def _user_config(raw: dict) -> dict:
    """A container's Config less what its image set (env, labels, command...), so a copy made
    from another image takes that image's defaults, as watchtower does."""
    with engine_errors(ImageNotFound):
        image_config = client.api().inspect_image(raw["Image"]).get("Config") or {}
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
    with engine_errors(ImageNotFound):
        return post_json("/containers/create", body=body, params={"name": name})["Id"]


def container_clone(*, source_id: str, image: str, name: str) -> str:
    """Create (not start) a container like ``source_id`` with another image; return its id."""
    with engine_errors(ContainerNotFound):
        raw = client.api().inspect_container(source_id)
    body = {**_user_config(raw), "Image": image, "HostConfig": raw["HostConfig"], "NetworkingConfig": _endpoints(raw)}
    return _container_create(body, name)


def container_helper_run(*, source_id: str, image: str, command: list[str], name: str) -> str:
    """Start a short-lived container of ``image`` with the source's environment, mounts and network
    (so it reaches the same database and engine), no ports; it removes itself when done."""
    with engine_errors(ContainerNotFound):
        raw = client.api().inspect_container(source_id)
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
    with engine_errors(ContainerNotFound):
        client.api().start(container_id)


def container_stop(*, container_id: str, timeout: int = 30) -> None:
    with engine_errors(ContainerNotFound):
        client.api().stop(container_id, timeout=timeout)


def container_rename(*, container_id: str, name: str) -> None:
    with engine_errors(ContainerNotFound):
        client.api().rename(container_id, name)


def container_remove(*, container_id: str) -> None:
    with contextlib.suppress(ContainerNotFound), engine_errors(ContainerNotFound):
        client.api().remove_container(container_id, force=True, v=False)


def container_find(*, name: str) -> ContainerSnapshot | None:
    try:
        return container_get(container_id=name)
    except ContainerNotFound:
        return None


def containers_running() -> int:
    """How many containers run on this engine (a stopped task's container may outlive its task)."""
    with engine_errors():
        return len(client.api().containers())
