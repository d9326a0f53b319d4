"""Stacks: what `docker stack deploy` made, deployed and removed by the Docker CLI itself.

The CLI does the compose translation (as Portainer does), so a stack deployed here is the one the
CLI would deploy. It runs against settings.DOCKER_HOST with nothing of the panel's environment: its
own empty config directory, PATH and HOME, and the stack's variables. The compose file goes on its
standard input; the files of its `file:` secrets and configs are written to a private (0700)
folder that is its working directory, removed as soon as it returns.
"""

from __future__ import annotations

import os
import posixpath
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from . import client
from .client import engine_errors
from .errors import EngineError, EngineUnreachable, NotSwarmManager, StackCliMissing, StackInUse

STACK_LABEL = "com.docker.stack.namespace"
CLI_TIMEOUT = 300  # seconds: the CLI creates the networks, secrets, configs and services one by one


@dataclass(frozen=True)
class StackSummary:
    """One stack as the engine has it: the names of its objects, each labelled with the stack."""

    name: str
    services: tuple[str, ...]  # service ids
    service_names: tuple[str, ...]
    networks: tuple[str, ...]
    secrets: tuple[str, ...]
    configs: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not (self.services or self.networks or self.secrets or self.configs)

    @property
    def objects(self) -> tuple[str, ...]:
        """The names of everything the stack has on the engine."""
        return (*self.service_names, *self.networks, *self.secrets, *self.configs)


# The CLI's words for failures that are not the compose file's fault.
_UNREACHABLE = ("Cannot connect to the Docker daemon", "error during connect")
_NOT_MANAGER = ("not a swarm manager", "This node is not a swarm manager")
_IN_USE = ("in use", "has active endpoints")


def _cli_error(stderr: str) -> EngineError:
    detail = stderr.strip()[-2000:]
    if any(words in detail for words in _UNREACHABLE):
        return EngineUnreachable(detail)
    if any(words in detail for words in _NOT_MANAGER):
        return NotSwarmManager(detail)
    if any(words in detail for words in _IN_USE):
        return StackInUse(detail)
    return EngineError(detail)


def _cli(args: list[str], *, stdin: str = "", variables: Mapping[str, str] | None = None, files=None) -> str:
    """Run the CLI with ``args`` in a private folder holding ``files`` (relative path → content);
    its standard output, or the EngineError its standard error describes."""
    with tempfile.TemporaryDirectory(prefix="swarmdeck-stack-") as folder:
        root = Path(folder)
        root.chmod(0o700)
        config = root / ".docker"
        config.mkdir(mode=0o700)
        for relative, content in (files or {}).items():
            target = root / posixpath.normpath(relative)
            if root not in target.parents:
                raise ValueError(f"file outside the stack's folder: {relative}")  # compose.py refused it already
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(content)
        environment = {
            **(variables or {}),
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(root),
            "DOCKER_HOST": settings.DOCKER_HOST,
            "DOCKER_CONFIG": str(config),
        }
        try:
            done = subprocess.run(
                [settings.SWARMDECK_DOCKER_CLI, *args],
                input=stdin.encode(),
                capture_output=True,
                cwd=root,
                env=environment,
                timeout=CLI_TIMEOUT,
                check=False,
            )
        except FileNotFoundError as exc:
            raise StackCliMissing(settings.SWARMDECK_DOCKER_CLI) from exc
        except subprocess.TimeoutExpired as exc:
            raise EngineError(
                f"docker {args[0]} {args[1]}: no answer in {CLI_TIMEOUT} seconds", transient=True
            ) from exc
    if done.returncode != 0:
        raise _cli_error(done.stderr.decode(errors="replace") or done.stdout.decode(errors="replace"))
    return done.stdout.decode(errors="replace")


def stack_deploy(
    *, name: str, compose: str, variables: Mapping[str, str] | None = None, files: Mapping[str, bytes] | None = None
) -> str:
    """`docker stack deploy` the compose text as stack ``name``: creates or updates it, removing the
    services the file no longer has (--prune). Images are never pulled or resolved by the CLI (the
    engine's nodes pull them). Returns the CLI's report."""
    args = ["stack", "deploy", "--compose-file", "-", "--resolve-image", "never", "--prune", name]
    return _cli(args, stdin=compose, variables=variables, files=files)


def stack_remove(*, name: str) -> str:
    """`docker stack rm`: asks for the removal of the stack's services, secrets, configs and networks,
    and returns at once: the engine stops the tasks afterwards (see stack_get to follow it)."""
    return _cli(["stack", "rm", name])


def _names_by_stack(items: list[dict], key) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for item in items:
        labels = (item.get("Spec") or {}).get("Labels") or item.get("Labels") or {}
        stack = labels.get(STACK_LABEL)
        if stack:
            grouped.setdefault(stack, []).append(key(item))
    return grouped


def stack_list(*, name: str = "") -> list[StackSummary]:
    """Every stack (or only ``name``): the services, networks, secrets and configs labelled with its namespace."""
    api = client.api()
    wanted = {"label": f"{STACK_LABEL}={name}" if name else STACK_LABEL}
    with engine_errors():
        raw_services = api.services(filters=wanted)
        services = _names_by_stack(raw_services, lambda raw: raw["ID"])
        service_names = _names_by_stack(raw_services, lambda raw: raw["Spec"]["Name"])
        networks = _names_by_stack(api.networks(filters=wanted), lambda raw: raw["Name"])
        secrets = _names_by_stack(api.secrets(filters=wanted), lambda raw: raw["Spec"]["Name"])
        configs = _names_by_stack(api.configs(filters=wanted), lambda raw: raw["Spec"]["Name"])
    names = sorted(set(services) | set(networks) | set(secrets) | set(configs))
    return [
        StackSummary(
            name=name,
            services=tuple(sorted(services.get(name, ()))),
            service_names=tuple(sorted(service_names.get(name, ()))),
            networks=tuple(sorted(networks.get(name, ()))),
            secrets=tuple(sorted(secrets.get(name, ()))),
            configs=tuple(sorted(configs.get(name, ()))),
        )
        for name in names
    ]


def stack_get(*, name: str) -> StackSummary:
    """One stack (empty when the engine has nothing of it: never deployed, or removed)."""
    found = next(iter(stack_list(name=name)), None)
    return found or StackSummary(name=name, services=(), service_names=(), networks=(), secrets=(), configs=())
