"""Swarm secrets and configs: list, read, create and remove them, and which services use each.

The engine treats the two alike (a name, labels, data, and a file in the containers of the services
that reference them); a secret's data never leaves the engine, a config's does. One module, with the
kind ("secret" or "config") choosing the engine calls and the error types.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from . import client
from .client import engine_errors, when
from .errors import (
    ConfigInUse,
    ConfigNameTaken,
    ConfigNotFound,
    EngineError,
    SecretInUse,
    SecretNameTaken,
    SecretNotFound,
)

# What the engine keeps at most, for either (swarmkit's MaxSecretSize and MaxConfigSize).
MAX_DATA_BYTES = 500 * 1024
# Docker's rule for their names (swarmkit's validateConfigOrSecretAnnotations).
NAME_PATTERN = r"^[a-zA-Z0-9](?:[a-zA-Z0-9_.-]{0,62}[a-zA-Z0-9])?$"
SECRET_DIR = "/run/secrets/"  # noqa: S105 - the folder of a secret whose target is a bare name
CONFIG_DIR = "/"  # and a config's
DEFAULT_MODE = 0o444  # the CLI's file mode of both


@dataclass(frozen=True)
class SecretSnapshot:
    id: str
    name: str
    created_at: datetime | None
    updated_at: datetime | None
    version: int
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ConfigSnapshot:
    id: str
    name: str
    created_at: datetime | None
    updated_at: datetime | None
    version: int
    labels: dict[str, str] = field(default_factory=dict)
    data: bytes = b""  # not secret: the engine returns it, and the config's page shows it


@dataclass(frozen=True)
class FileReference:
    """A service's use of a secret or config: which one, and the file it becomes in its containers."""

    id: str  # SecretID or ConfigID
    name: str  # SecretName or ConfigName
    target: str  # File.Name: a bare name (under SECRET_DIR or CONFIG_DIR) or an absolute path
    uid: str = "0"
    gid: str = "0"
    mode: int = DEFAULT_MODE

    @classmethod
    def from_json(cls, raw: dict, kind: str) -> FileReference | None:
        """None for a reference without a file (a config used as a credential spec)."""
        prefix = kind.capitalize()
        file = raw.get("File")
        if file is None:
            return None
        return cls(
            id=raw.get(f"{prefix}ID", ""),
            name=raw.get(f"{prefix}Name", ""),
            target=file.get("Name", ""),
            uid=file.get("UID") or "0",
            gid=file.get("GID") or "0",
            mode=DEFAULT_MODE if file.get("Mode") is None else int(file["Mode"]),
        )

    def to_json(self, kind: str) -> dict:
        prefix = kind.capitalize()
        return {
            "File": {"Name": self.target, "UID": self.uid, "GID": self.gid, "Mode": self.mode},
            f"{prefix}ID": self.id,
            f"{prefix}Name": self.name,
        }


def file_references(raw: list | None, kind: str) -> tuple[FileReference, ...]:
    """The ContainerSpec's Secrets or Configs list, typed (references without a file left out)."""
    references = (FileReference.from_json(item, kind) for item in raw or ())
    return tuple(reference for reference in references if reference is not None)


def file_path(reference: FileReference, kind: str) -> str:
    """The path of the file in the container: an absolute target as it is, a bare one in the kind's folder."""
    if reference.target.startswith("/"):
        return reference.target
    return (SECRET_DIR if kind == "secret" else CONFIG_DIR) + reference.target


@dataclass(frozen=True)
class ServiceUse:
    """A service that references a secret or config, and how."""

    service_id: str
    service_name: str
    reference: FileReference
    path: str  # where the file is in the service's containers


# --- errors: the engine's words told apart, callers catch types ----------------------------------

_ERRORS = {
    "secret": (SecretNotFound, SecretNameTaken, SecretInUse),
    "config": (ConfigNotFound, ConfigNameTaken, ConfigInUse),
}


@contextlib.contextmanager
def _errors(kind: str) -> Iterator[None]:
    not_found, taken, in_use = _ERRORS[kind]
    try:
        with engine_errors(not_found=not_found):
            yield
    except EngineError as exc:
        # 409 "secret NAME already exists"; 400 "secret 'NAME' is in use by the following service: S".
        if "already exists" in exc.detail:
            raise taken(exc.detail) from exc
        if "is in use by the following service" in exc.detail:
            raise in_use(exc.detail) from exc
        raise


def _times(raw: dict) -> dict:
    spec = raw.get("Spec") or {}
    return {
        "id": raw["ID"],
        "name": spec.get("Name", ""),
        "created_at": when(raw.get("CreatedAt")),
        "updated_at": when(raw.get("UpdatedAt")),
        "version": (raw.get("Version") or {}).get("Index", 0),
        "labels": dict(spec.get("Labels") or {}),
    }


def _secret(raw: dict) -> SecretSnapshot:
    # The engine sends no Data for a secret; nothing here would keep it if it did.
    return SecretSnapshot(**_times(raw))


def _config(raw: dict) -> ConfigSnapshot:
    try:
        data = base64.b64decode((raw.get("Spec") or {}).get("Data") or "")
    except (binascii.Error, ValueError):
        data = b""
    return ConfigSnapshot(**_times(raw), data=data)


def _by_name(items: list, name: str):
    return next((item for item in items if item.name == name), None)


# --- secrets -------------------------------------------------------------------------------------


def secret_list() -> list[SecretSnapshot]:
    with _errors("secret"):
        raw = client.api().secrets()
    return sorted((_secret(item) for item in raw), key=lambda secret: secret.name)


def secret_get(*, secret_id: str) -> SecretSnapshot:
    """One secret by id or name (as the CLI allows); SecretNotFound when there is none."""
    with _errors("secret"):
        raw = client.api().inspect_secret(secret_id)
    return _secret(raw)


def secret_find(*, name: str) -> SecretSnapshot | None:
    """The secret of exactly this name, or None (the engine's name filter matches prefixes too)."""
    with _errors("secret"):
        raw = client.api().secrets(filters={"name": [name]})
    return _by_name([_secret(item) for item in raw], name)


def secret_create(*, name: str, data: bytes, labels: dict[str, str] | None = None) -> str:
    """The new secret's id; SecretNameTaken when the name is in use."""
    with _errors("secret"):
        answer = client.api().create_secret(name, data, labels=dict(labels or {}))
    return answer["ID"]


def secret_remove(*, secret_id: str) -> None:
    """SecretInUse (the engine's words name the services) while a service references it."""
    with _errors("secret"):
        client.api().remove_secret(secret_id)


# --- configs -------------------------------------------------------------------------------------


def config_list() -> list[ConfigSnapshot]:
    with _errors("config"):
        raw = client.api().configs()
    return sorted((_config(item) for item in raw), key=lambda config: config.name)


def config_get(*, config_id: str) -> ConfigSnapshot:
    with _errors("config"):
        raw = client.api().inspect_config(config_id)
    return _config(raw)


def config_find(*, name: str) -> ConfigSnapshot | None:
    with _errors("config"):
        raw = client.api().configs(filters={"name": [name]})
    return _by_name([_config(item) for item in raw], name)


def config_create(*, name: str, data: bytes, labels: dict[str, str] | None = None) -> str:
    with _errors("config"):
        answer = client.api().create_config(name, data, labels=dict(labels or {}))
    return answer["ID"]


def config_remove(*, config_id: str) -> None:
    with _errors("config"):
        client.api().remove_config(config_id)


# --- which services use them ---------------------------------------------------------------------


def _users(kind: str) -> dict[str, list[ServiceUse]]:
    with engine_errors():
        services = client.api().services()
    users: dict[str, list[ServiceUse]] = defaultdict(list)
    for service in services:
        spec = service.get("Spec") or {}
        container = (spec.get("TaskTemplate") or {}).get("ContainerSpec") or {}
        for reference in file_references(container.get(f"{kind.capitalize()}s"), kind):
            path = file_path(reference, kind)
            users[reference.id].append(ServiceUse(service["ID"], spec.get("Name", ""), reference, path))
    for uses in users.values():
        uses.sort(key=lambda use: (use.service_name, use.reference.target))
    return dict(users)


def secret_users() -> dict[str, list[ServiceUse]]:
    """The services referencing each secret, by the secret's id, in one engine call."""
    return _users("secret")


def config_users() -> dict[str, list[ServiceUse]]:
    """The services referencing each config, by the config's id, in one engine call."""
    return _users("config")
