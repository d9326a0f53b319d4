"""A compose file checked before anything reaches the engine: what `docker stack deploy` would
accept (the compose v3 file format), less what would give a stack's services the host.

The variables are substituted first, as the CLI substitutes them, so a value cannot bring in what
the file may not say (``network_mode: ${MODE}`` with MODE=host). Every error says where it is
(``services.web.privileged``, or the line of a syntax error) in the reader's language.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from services import specs

MAX_COMPOSE_BYTES = 1024 * 1024  # a compose file is a few kilobytes; 1 MiB leaves room and bounds the parser
MAX_NODES = 100_000  # values in the file once YAML aliases are expanded: a "billion laughs" file stops here
# What the engine takes as a service name (the CLI names each service STACK_SERVICE): a stack's
# name starts like one and leaves room for its services' names within the engine's 63 characters.
STACK_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*\Z")
SERVICE_NAME_MAX = 63
VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Variables the CLI itself reads: a stack's variable must not point it at another engine or config.
RESERVED_VARIABLES = ("PATH", "HOME")
RESERVED_PREFIX = "DOCKER_"

# The compose file format version 3 (3.0 to 3.9), as the CLI's schema has it; x-* keys are extensions.
TOP_LEVEL_KEYS = ("version", "services", "networks", "volumes", "secrets", "configs")
SERVICE_KEYS = (
    "build",
    "cap_add",
    "cap_drop",
    "cgroup_parent",
    "command",
    "configs",
    "container_name",
    "credential_spec",
    "depends_on",
    "deploy",
    "devices",
    "dns",
    "dns_search",
    "domainname",
    "entrypoint",
    "env_file",
    "environment",
    "expose",
    "external_links",
    "extra_hosts",
    "healthcheck",
    "hostname",
    "image",
    "init",
    "ipc",
    "isolation",
    "labels",
    "links",
    "logging",
    "mac_address",
    "network_mode",
    "networks",
    "pid",
    "ports",
    "privileged",
    "read_only",
    "restart",
    "secrets",
    "security_opt",
    "shm_size",
    "stdin_open",
    "stop_grace_period",
    "stop_signal",
    "sysctls",
    "tmpfs",
    "tty",
    "ulimits",
    "user",
    "userns_mode",
    "volumes",
    "working_dir",
)
# Keys that give a service the host's kernel, devices or namespaces: refused whatever their value.
REFUSED_SERVICE_KEYS = ("privileged", "cap_add", "devices", "userns_mode", "security_opt")
# Keys refused with one value: the host's.
REFUSED_HOST_VALUES = ("pid", "network_mode", "ipc")
# env_file names a file the CLI would read on the panel's host into the service's environment.
REFUSED_FILE_KEYS = ("env_file",)

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}, $NAME; $$ is a dollar.
_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?])?(?P<arg>[^}]*)\}|(?P<named>[A-Za-z_][A-Za-z0-9_]*))"
)


@dataclass(frozen=True)
class ComposeFile:
    """A compose file that passed: its services, and the files its secrets and configs read."""

    text: str
    services: tuple[str, ...]
    # The relative path each `file:` secret or config names → the name of the uploaded file for it.
    files: dict[str, str]


class _Errors:
    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, message: str, **params) -> None:
        self.messages.append(message.format(**params))


def stack_name_check(name: str) -> str:
    """The stack's name as the CLI and the engine take it; ValidationError otherwise."""
    if not STACK_NAME.match(name):
        raise ValidationError(
            _("A stack name starts with a letter or digit and has only letters, digits, '_', '.' and '-' (no spaces).")
        )
    if len(name) > SERVICE_NAME_MAX - 2:
        raise ValidationError(_("A stack name has at most {count} characters.").format(count=SERVICE_NAME_MAX - 2))
    return name


def variables_parse(text: str) -> dict[str, str]:
    """KEY=VALUE lines (blank lines and # comments skipped) → a dict; ValidationError naming the bad line."""
    variables: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, equals, value = line.partition("=")
        key = key.strip()
        if not equals or not VARIABLE_NAME.match(key):
            raise ValidationError(
                _("Line {line}: write each variable as NAME=value (a name of letters, digits and '_').").format(
                    line=number
                )
            )
        if key in RESERVED_VARIABLES or key.startswith(RESERVED_PREFIX):
            raise ValidationError(
                _("Line {line}: {name} is the Docker client's own setting and cannot be a stack variable.").format(
                    line=number, name=key
                )
            )
        variables[key] = value
    return variables


def compose_check(*, name: str, text: str, variables: Mapping[str, str], uploads: Collection[str]) -> ComposeFile:
    """Check the compose file of stack ``name`` with its variables and the names of the uploaded
    files; ValidationError with every problem found, each saying where."""
    if len(text.encode()) > MAX_COMPOSE_BYTES:
        raise ValidationError(
            _("The compose file is larger than {size} MiB; nothing was sent to Docker.").format(
                size=MAX_COMPOSE_BYTES // (1024 * 1024)
            )
        )
    try:
        document = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = _("line {line}, column {column}").format(line=mark.line + 1, column=mark.column + 1) if mark else ""
        raise ValidationError(
            _("The compose file is not valid YAML ({where}): {problem}").format(where=where, problem=exc.problem or exc)
        ) from None
    except yaml.YAMLError as exc:
        raise ValidationError(_("The compose file is not valid YAML: {problem}").format(problem=exc)) from None
    if not isinstance(document, dict):
        raise ValidationError(_("A compose file is a mapping with a 'services' key at the top."))
    errors = _Errors()
    missing: set[str] = set()
    counter = [0]
    document = _interpolate(document, variables, missing, counter)
    if counter[0] > MAX_NODES:
        raise ValidationError(
            _("The compose file has more than {count} values once its aliases are expanded.").format(count=MAX_NODES)
        )
    if missing:
        errors.add(
            _("These variables have no value and no default: {names}. Give them in Variables."),
            names=", ".join(sorted(missing)),
        )
    services = _check_top(document, errors)
    for service_name, service in services.items():
        _check_service(name, str(service_name), service, errors)
    _check_volumes(document.get("volumes"), errors)
    _check_networks(document.get("networks"), errors)
    files = _check_files(document, uploads, errors)
    if errors.messages:
        raise ValidationError(errors.messages)
    return ComposeFile(text=text, services=tuple(sorted(str(key) for key in services)), files=files)


def _interpolate(value, variables: Mapping[str, str], missing: set[str], counter: list[int]):
    """The value with its strings' variables substituted as the CLI does; names without a value
    (nor a default) go to ``missing``."""
    counter[0] += 1
    if counter[0] > MAX_NODES:
        return None
    if isinstance(value, dict):
        return {key: _interpolate(item, variables, missing, counter) for key, item in value.items()}
    if isinstance(value, list):
        return [_interpolate(item, variables, missing, counter) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match) -> str:
        if match["escaped"]:
            return "$"
        variable = match["braced"] or match["named"]
        given = variables.get(variable)
        op = match["op"] or ""
        if op in (":-", ":?") and not given:
            given = None
        if given is not None:
            return given
        if op.endswith("-"):
            return match["arg"]
        missing.add(variable)
        return ""

    return _VARIABLE.sub(substitute, value)


def _check_top(document: dict, errors: _Errors) -> dict:
    for key in document:
        if str(key).startswith("x-"):
            continue
        if key not in TOP_LEVEL_KEYS:
            errors.add(
                _("Unknown top-level key '{key}'. A compose file (version 3) has: {allowed}."),
                key=key,
                allowed=", ".join(TOP_LEVEL_KEYS),
            )
    services = document.get("services")
    if not isinstance(services, dict) or not services:
        errors.add(_("The compose file has no services: 'services' maps each service's name to its settings."))
        return {}
    return services


def _check_service(stack: str, name: str, service, errors: _Errors) -> None:
    where = f"services.{name}"
    if not STACK_NAME.match(name) or len(f"{stack}_{name}") > SERVICE_NAME_MAX:
        errors.add(
            _(
                "{where}: a service name has letters, digits, '_', '.' and '-', and with the stack's name "
                "at most {count} characters."
            ),
            where=where,
            count=SERVICE_NAME_MAX - 1,
        )
    if not isinstance(service, dict):
        errors.add(_("{where}: a service is a mapping of settings (image, command, ...)."), where=where)
        return
    for key, value in service.items():
        key = str(key)
        if key.startswith("x-"):
            continue
        if key not in SERVICE_KEYS:
            errors.add(
                _("{where}: unknown key '{key}'. A service (compose version 3) has: {allowed}."),
                where=where,
                key=key,
                allowed=", ".join(SERVICE_KEYS),
            )
        elif key in REFUSED_SERVICE_KEYS:
            errors.add(
                _("{where}.{key}: refused; it would give the service the host's kernel, devices or privileges."),
                where=where,
                key=key,
            )
        elif key in REFUSED_HOST_VALUES and str(value).strip() == "host":
            errors.add(
                _("{where}.{key}: 'host' is refused; it would share the host's namespace with the service."),
                where=where,
                key=key,
            )
        elif key in REFUSED_FILE_KEYS:
            errors.add(
                _(
                    "{where}.{key}: refused; it reads a file on the panel's server. Write the variables "
                    "under 'environment' (and secrets as secrets)."
                ),
                where=where,
                key=key,
            )
    if not service.get("image"):
        errors.add(_("{where}: no image; a stack's services run an image ('build' is ignored by Swarm)."), where=where)
    volumes = service.get("volumes") or []
    if not isinstance(volumes, list):
        errors.add(_("{where}.volumes: a list of mounts."), where=where)
        return
    for index, volume in enumerate(volumes):
        source, kind = _mount_source(volume)
        if kind == "bind":
            _check_host_path(f"{where}.volumes[{index}]", source, errors)


def _mount_source(volume) -> tuple[str, str]:
    """(source, type) of a service's volume, short ("SOURCE:TARGET[:MODE]") or long syntax."""
    if isinstance(volume, dict):
        return str(volume.get("source") or ""), str(volume.get("type") or "volume")
    parts = str(volume).split(":")
    if len(parts) < 2:
        return "", "volume"  # an anonymous volume: a target alone
    source = parts[0]
    # As the CLI reads it: a source that is a path (not a volume's name) makes a bind mount.
    is_path = source.startswith(("/", ".", "~")) or "/" in source
    return source, "bind" if is_path else "volume"


def _check_host_path(where: str, source: str, errors: _Errors) -> None:
    if not source.startswith("/"):
        errors.add(
            _("{where}: a bind mount needs an absolute host path ('{source}' is a folder of the panel's server)."),
            where=where,
            source=source,
        )
    elif specs.host_path_protected(source):
        errors.add(
            _("{where}: mounting {source} would give the stack the host (the Docker socket, /etc …); refused."),
            where=where,
            source=source,
        )
    elif not settings.SWARMDECK_ALLOW_BIND_MOUNTS:
        errors.add(
            _(
                "{where}: mounting the host path {source} is refused here. An administrator can allow host paths "
                "by starting Swarmdeck with SWARMDECK_ALLOW_BIND_MOUNTS=true; named volumes need no permission."
            ),
            where=where,
            source=source,
        )


def _check_volumes(volumes, errors: _Errors) -> None:
    """A top-level volume of the local driver with a device (driver_opts) mounts that host path."""
    if not isinstance(volumes, dict):
        return
    for name, volume in volumes.items():
        if not isinstance(volume, dict) or volume.get("driver") not in (None, "", "local"):
            continue
        device = str((volume.get("driver_opts") or {}).get("device") or "")
        if device:
            _check_host_path(f"volumes.{name}.driver_opts.device", device, errors)


def _check_networks(networks, errors: _Errors) -> None:
    """The engine's "host" network, named as an external one, is the host's network namespace."""
    if not isinstance(networks, dict):
        return
    for key, network in networks.items():
        if not isinstance(network, dict) or not network.get("external"):
            continue
        external = network["external"]
        name = network.get("name") or (external.get("name") if isinstance(external, dict) else None) or key
        if str(name) == "host":
            errors.add(
                _("networks.{key}: the host's network is refused; it would share the host's namespace with the stack."),
                key=key,
            )


def _check_files(document: dict, uploads: Collection[str], errors: _Errors) -> dict[str, str]:
    """The `file:` of each secret and config: a relative path whose file was uploaded (by its name)."""
    files: dict[str, str] = {}
    for section in ("secrets", "configs"):
        entries = document.get(section) or {}
        if not isinstance(entries, dict):
            errors.add(_("'{section}' maps each name to its source."), section=section)
            continue
        for name, entry in entries.items():
            if not isinstance(entry, dict) or "file" not in entry:
                continue
            where = f"{section}.{name}.file"
            path = str(entry["file"])
            relative = posixpath.normpath(path)
            if path.startswith(("/", "~")) or relative.startswith(".."):
                errors.add(
                    _("{where}: '{path}' is a path on the panel's server; name a file uploaded with the deploy."),
                    where=where,
                    path=path,
                )
                continue
            upload = posixpath.basename(relative)
            if upload not in uploads:
                errors.add(
                    _("{where}: upload the file {name} with the deploy (Files for secrets and configs)."),
                    where=where,
                    name=upload,
                )
                continue
            files[relative] = upload
    return files
