"""Service specs: form values to the engine's ServiceSpec JSON and back.

Fields are grouped as Docker groups them (health check, restart policy, update config...). An
update job stores only the groups the user changed and writes just those into the spec it reads
from the engine, so a concurrent change to another part of the service is kept.
"""

from __future__ import annotations

import copy
import csv
import io
import posixpath
import re
import shlex
from collections.abc import Callable
from decimal import Decimal

from django.conf import settings

import engine

from . import masking

NS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
MEMORY_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
_MEMORY = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$", re.IGNORECASE)
# The engine keeps durations (nanoseconds) and sizes (bytes) as Go int64: a larger number is
# refused by its JSON decoder, or worse, wraps around.
INT64_MAX = 2**63 - 1


class TooLarge(ValueError):
    """A well-formed number the engine cannot hold."""


def go_duration_parse(text: str) -> int:
    """Go-style durations ("1m30s", "500ms", "10s") to nanoseconds; ValueError otherwise (TooLarge
    beyond the engine's int64)."""
    text = text.strip()
    if text in ("0", ""):
        return 0
    position, total = 0, Decimal(0)
    for match in _DURATION.finditer(text):
        if match.start() != position:
            raise ValueError(text)
        # Decimal, not float: "1.1s" is exactly 1 100 000 000 ns, and a huge number stays exact.
        total += Decimal(match[1]) * NS[match[2]]
        position = match.end()
    if position != len(text) or not position:
        raise ValueError(text)
    if total > INT64_MAX:
        raise TooLarge(text)
    return int(total)


def go_duration_format(ns: int | None) -> str:
    """Nanoseconds back to the shortest Go-style text ("1m30s"); "" for none, "0s" for an explicit 0."""
    if ns is None:
        return ""
    if ns == 0:
        return "0s"
    parts = []
    for unit in ("h", "m", "s", "ms", "us", "ns"):
        count, ns = divmod(ns, NS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def parse_memory(text: str) -> int:
    """ "256M", "1.5g", "64KiB" or bytes to bytes; ValueError otherwise (TooLarge beyond int64)."""
    match = _MEMORY.match(text.strip())
    if not match:
        raise ValueError(text)
    size = int(Decimal(match[1]) * MEMORY_UNITS[match[2].lower()])
    if size > INT64_MAX:
        raise TooLarge(text)
    return size


def format_memory(size: int | None) -> str:
    if not size:
        return ""
    for unit in ("T", "G", "M", "K"):
        if size % MEMORY_UNITS[unit.lower()] == 0:
            return f"{size // MEMORY_UNITS[unit.lower()]}{unit}"
    return str(size)


def _path(spec: dict, *keys: str) -> dict:
    """spec[k1][k2]..., creating the dicts on the way."""
    for key in keys:
        spec = spec.setdefault(key, {})
    return spec


def _lines(pairs: dict[str, str]) -> str:
    return "\n".join(f"{key}={value}" for key, value in pairs.items())


# --- Docker's defaults: what `docker service create` does when a flag is left out -----------------
# The form shows them and an empty field means them; the writers leave the key out of the spec
# (Swarm then applies its default) or write the CLI's value where a missing key would mean zero.

DEFAULTS = {
    "replicas": "1",
    "health_interval": "30s",
    "health_timeout": "30s",
    "health_retries": "3",
    "health_start_period": "0s",
    "restart_condition": "any",
    "restart_delay": "5s",
    "restart_max_attempts": "0",
    "restart_window": "0s",
    **{
        f"{prefix}_{name}": value
        for prefix in ("update", "rollback")
        for name, value in (
            ("parallelism", "1"),
            ("delay", "0s"),
            ("failure_action", "pause"),
            ("monitor", "5s"),
            ("max_failure_ratio", "0"),
            ("order", "stop-first"),
        )
    },
}


# --- the text forms of ports, mounts and health checks, both ways -------------------------------

PORT_LINE = re.compile(r"^(?:(\d*):)?(\d+)(?:/(tcp|udp|sctp))?(?:\s+(?:mode=)?(ingress|host))?$")
MOUNT_TYPES = ("volume", "bind", "tmpfs", "npipe", "cluster")
PROPAGATIONS = ("private", "rprivate", "shared", "rshared", "slave", "rslave")
# Go's strconv.ParseBool, as the CLI reads readonly=… and volume-nocopy=… (lower-cased here).
_BOOLEANS = {"1": True, "t": True, "true": True, "0": False, "f": False, "false": False}
TMPFS_MODE = re.compile(r"^[0-7]{1,11}$")
UINT32_MAX = 2**32 - 1  # the engine's file mode
# The options of one mount type only (the CLI refuses them on another).
_OPTION_TYPES = {
    "bind-propagation": "bind",
    "volume-nocopy": "volume",
    "volume-driver": "volume",
    "volume-label": "volume",
    "volume-opt": "volume",
    "tmpfs-size": "tmpfs",
    "tmpfs-mode": "tmpfs",
}


def parse_port(line: str) -> dict:
    """ "8080:80/tcp host", "80/udp" or ":80" (no published port: Swarm picks one); ValueError otherwise."""
    match = PORT_LINE.match(line.strip())
    if not match:
        raise ValueError(line)
    published, target = int(match[1]) if match[1] else None, int(match[2])
    if not 1 <= target <= 65535 or not (published is None or 1 <= published <= 65535):
        raise ValueError(line)
    return {"published": published, "target": target, "protocol": match[3] or "tcp", "mode": match[4] or "ingress"}


def format_port(port: engine.PortConfig) -> str:
    published = f"{port.published}:" if port.published else ""
    return f"{published}{port.target}/{port.protocol} {port.mode}"


class MountError(ValueError):
    """Why a mount line is refused: a ``code`` the form words, with the option and value at fault."""

    def __init__(self, code: str, option: str = "", value: str = "") -> None:
        super().__init__(f"{code}: {option}={value}")
        self.code, self.option, self.value = code, option, value


def _flag(option: str, equals: str, value: str) -> bool:
    """A boolean option: bare ("readonly") is true, else one of Go's booleans ("ro=0" is false)."""
    if not equals:
        return True
    try:
        return _BOOLEANS[value.lower()]
    except KeyError:
        raise MountError("boolean", option, value) from None


def parse_mount(line: str) -> dict:
    """A mount in `docker service create --mount` syntax (its common options); MountError otherwise,
    naming the option at fault: an option the form does not know is refused, never dropped."""
    mount = {
        "type": "volume",
        "source": "",
        "target": "",
        "readonly": False,
        "bind_propagation": "",
        "volume_nocopy": False,
        "volume_driver": "",
        "volume_labels": {},
        "volume_options": {},
        "tmpfs_size": None,
        "tmpfs_mode": None,
    }
    given = []
    for part in next(csv.reader([line.strip()]), []):
        key, equals, value = part.strip().partition("=")
        key = key.strip().lower()
        given.append(key)
        if key in ("readonly", "ro"):
            mount["readonly"] = _flag(key, equals, value)
        elif key == "volume-nocopy":
            mount["volume_nocopy"] = _flag(key, equals, value)
        elif key not in (
            *("type", "source", "src", "target", "dst", "destination"),
            *("bind-propagation", "volume-driver", "volume-label", "volume-opt", "tmpfs-size", "tmpfs-mode"),
        ):
            raise MountError("unknown", key or part.strip())
        elif not equals:
            raise MountError("pair", key)
        elif key == "type":
            if value not in MOUNT_TYPES:
                raise MountError("value", key, value)
            mount["type"] = value
        elif key in ("source", "src"):
            mount["source"] = value
        elif key in ("target", "dst", "destination"):
            mount["target"] = value
        elif key == "bind-propagation":
            if value not in PROPAGATIONS:
                raise MountError("value", key, value)
            mount["bind_propagation"] = value
        elif key == "volume-driver":
            if not value:
                raise MountError("value", key, value)
            mount["volume_driver"] = value
        elif key in ("volume-label", "volume-opt"):
            name, inner, option = value.partition("=")
            if not inner or not name:
                raise MountError("value", key, value)
            mount["volume_labels" if key == "volume-label" else "volume_options"][name] = option
        elif key == "tmpfs-size":
            try:
                mount["tmpfs_size"] = parse_memory(value)
            except TooLarge:
                raise MountError("too_large", key, value) from None
            except ValueError:
                raise MountError("value", key, value) from None
        else:  # tmpfs-mode, octal as the CLI reads it
            if not TMPFS_MODE.match(value) or int(value, 8) > UINT32_MAX:
                raise MountError("value", key, value)
            mount["tmpfs_mode"] = int(value, 8)
    kind = mount["type"]
    for option in given:
        if _OPTION_TYPES.get(option, kind) != kind:
            raise MountError("type", option, kind)
    if not mount["target"].startswith("/"):
        raise MountError("target", "target", mount["target"])
    if kind == "bind" and not mount["source"].startswith("/"):
        raise MountError("bind_source", "source", mount["source"])
    if kind == "tmpfs" and mount["source"]:
        raise MountError("tmpfs_source", "source", mount["source"])
    return mount


# Host paths whose mount gives a service the host itself: the Docker sockets (the engine's API is
# root on every node) and the folders of the host's configuration and of Docker's own data. A mount
# of one of them, of anything below them, or of a folder above them (/run holds the socket, / holds
# everything) needs the user's password again, even where bind mounts are allowed.
PROTECTED_HOST_PATHS = (
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/etc",
    "/var/lib/docker",
    "/proc",
    "/sys",
    "/dev",
    "/boot",
    "/root",
)


def mount_host_path(mount: dict) -> str:
    """The host path a parsed mount exposes: a bind mount's source, or the device of a volume of the
    local driver (which mounts that host path or disk); "" for a mount that exposes none."""
    if mount["type"] == "bind":
        return mount["source"]
    if mount["type"] == "volume" and mount["volume_driver"] in ("", "local"):
        device = mount["volume_options"].get("device", "")
        return device if device.startswith("/") else ""
    return ""


def host_path_protected(path: str) -> bool:
    """True for a protected path, anything below one, or a folder above one (see PROTECTED_HOST_PATHS)."""
    # Lexically, as the engine resolves nothing for us: "//etc/./x/.." is /etc.
    path = posixpath.normpath("/" + path.lstrip("/"))
    protected = list(PROTECTED_HOST_PATHS)
    if settings.DOCKER_HOST.startswith("unix://"):
        protected.append(posixpath.normpath(settings.DOCKER_HOST.removeprefix("unix://")))
    return any(
        path == item or path.startswith(item + "/") or item.startswith(path.rstrip("/") + "/") for item in protected
    )


def format_mount(mount: engine.Mount) -> str:
    parts = [f"type={mount.type}"]
    if mount.source:
        parts.append(f"source={mount.source}")
    parts.append(f"target={mount.target}")
    if mount.read_only:
        parts.append("readonly")
    if mount.bind_propagation:
        parts.append(f"bind-propagation={mount.bind_propagation}")
    if mount.volume_nocopy:
        parts.append("volume-nocopy")
    if mount.volume_driver:
        parts.append(f"volume-driver={mount.volume_driver}")
    parts += [f"volume-label={key}={value}" for key, value in mount.volume_labels]
    parts += [f"volume-opt={key}={value}" for key, value in mount.volume_options]
    if mount.tmpfs_size:
        parts.append(f"tmpfs-size={format_memory(mount.tmpfs_size)}")
    if mount.tmpfs_mode is not None:
        parts.append(f"tmpfs-mode={mount.tmpfs_mode:o}")
    line = io.StringIO()  # quoted where a value holds a comma, as the CLI reads it
    csv.writer(line, lineterminator="").writerow(parts)
    return line.getvalue()


# --- secrets and configs, in `docker service create --secret/--config` syntax, both ways -----------

FILE_MODE = re.compile(r"^0?[0-7]{1,3}$")
FILE_OWNER = re.compile(r"^\d{1,10}$")
_FILE_OPTIONS = ("source", "src", "target", "uid", "gid", "mode")


class FileError(ValueError):
    """Why a secret or config line is refused: a ``code`` the form words, with the option and value at fault."""

    def __init__(self, code: str, option: str = "", value: str = "") -> None:
        super().__init__(f"{code}: {option}={value}")
        self.code, self.option, self.value = code, option, value


def parse_file_reference(line: str) -> dict:
    """ "NAME" or "source=NAME,target=…,uid=…,gid=…,mode=0400", as the CLI reads --secret and --config,
    with its defaults (target: the name; uid and gid "0"; mode 0444); FileError otherwise. The name is
    not looked up here (the form does, against the engine)."""
    reference = {"name": "", "target": "", "uid": "0", "gid": "0", "mode": engine.secrets.DEFAULT_MODE}
    parts = next(csv.reader([line.strip()]), [])
    if len(parts) == 1 and "=" not in parts[0]:
        parts = [f"source={parts[0]}"]
    for part in parts:
        key, equals, value = part.strip().partition("=")
        key, value = key.strip().lower(), value.strip()
        if key not in _FILE_OPTIONS:
            raise FileError("unknown", key or part.strip())
        if not equals or not value:
            raise FileError("pair", key)
        if key in ("source", "src"):
            reference["name"] = value
        elif key == "target":
            # A relative target is under Docker's folder (/run/secrets/, or / for a config): not above it.
            if ".." in value.split("/"):
                raise FileError("target", key, value)
            reference["target"] = value
        elif key in ("uid", "gid"):
            if not FILE_OWNER.match(value):
                raise FileError("owner", key, value)
            reference[key] = value
        else:
            if not FILE_MODE.match(value):
                raise FileError("mode", key, value)
            reference["mode"] = int(value, 8)
    if not reference["name"]:
        raise FileError("source", "source")
    reference["target"] = reference["target"] or reference["name"]
    return reference


def format_file_reference(reference: engine.FileReference) -> str:
    """The line the form shows: the options that differ from the CLI's defaults only."""
    parts = [f"source={reference.name}"]
    if reference.target != reference.name:
        parts.append(f"target={reference.target}")
    for key in ("uid", "gid"):
        if getattr(reference, key) != "0":
            parts.append(f"{key}={getattr(reference, key)}")
    if reference.mode != engine.secrets.DEFAULT_MODE:
        parts.append(f"mode={reference.mode:04o}")
    line = io.StringIO()
    csv.writer(line, lineterminator="").writerow(parts)
    return line.getvalue()


# --- networks, in `docker service create --network` syntax, both ways -------------------------------

# An alias is a DNS name: labels of letters, digits, '-' and '_', separated by dots.
_ALIAS_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?"
NETWORK_ALIAS = re.compile(rf"^(?=.{{1,255}}$){_ALIAS_LABEL}(?:\.{_ALIAS_LABEL})*$")


class NetworkError(ValueError):
    """Why a network line is refused: a ``code`` the form words, with the option and value at fault."""

    def __init__(self, code: str, option: str = "", value: str = "") -> None:
        super().__init__(f"{code}: {option}={value}")
        self.code, self.option, self.value = code, option, value


def parse_network(line: str) -> dict:
    """ "NAME" or "name=NAME,alias=A,alias=B", as the CLI reads --network; NetworkError otherwise.
    The name (or id) is not looked up here (the form does, against the engine)."""
    parts = next(csv.reader([line.strip()]), [])
    if len(parts) == 1 and "=" not in parts[0]:
        parts = [f"name={parts[0]}"]
    network = {"name": "", "aliases": []}
    for part in parts:
        key, equals, value = part.strip().partition("=")
        key, value = key.strip().lower(), value.strip()
        if key not in ("name", "alias"):
            raise NetworkError("unknown", key or part.strip())
        if not equals or not value:
            raise NetworkError("pair", key)
        if key == "name":
            network["name"] = value
        elif not NETWORK_ALIAS.match(value):
            raise NetworkError("alias", key, value)
        elif value not in network["aliases"]:
            network["aliases"].append(value)
    if not network["name"]:
        raise NetworkError("name", "name")
    return network


def format_network(attachment: engine.NetworkAttachment, names: dict[str, str]) -> str:
    """The line the form shows: the network by name (its id when the name is unknown), with its aliases."""
    name = names.get(attachment.target, attachment.target)
    if not attachment.aliases:
        return name
    line = io.StringIO()
    csv.writer(line, lineterminator="").writerow([f"name={name}", *(f"alias={alias}" for alias in attachment.aliases)])
    return line.getvalue()


def _network_names(config: engine.ServiceConfig) -> dict[str, str]:
    """Network id -> name, for a spec that names networks by id (one engine call, none without networks).
    An engine that does not answer leaves the ids: the form still takes them."""
    if not config.networks:
        return {}
    try:
        return {network.id: network.name for network in engine.network_list()}
    except engine.EngineError:
        return {}


def health_text(test: tuple[str, ...] | list[str]) -> str:
    """A health check's test as the one shell line the form shows ("" for none or disabled)."""
    if not test or test[0] == "NONE":
        return ""
    if test[0] == "CMD-SHELL":
        return " ".join(test[1:])
    return shlex.join(test[1:])


# --- writers: one per group, from cleaned form values into a spec ------------------------------
# Old jobs stored fewer keys, hence the .get()s.


def _write_image(spec: dict, v: dict) -> None:
    _path(spec, "TaskTemplate", "ContainerSpec")["Image"] = v["image"]


def _write_mode(spec: dict, v: dict) -> None:
    if v.get("mode") in ("replicated-job", "global-job"):
        return  # Docker cannot change a service's mode, and the form does not edit a job's
    if v.get("mode") == "global":
        spec["Mode"] = {"Global": {}}
    else:
        spec["Mode"] = {"Replicated": {"Replicas": 1 if v.get("replicas") is None else v["replicas"]}}


def _write_command(spec: dict, v: dict) -> None:
    container = _path(spec, "TaskTemplate", "ContainerSpec")
    for key, field in (("Command", "entrypoint"), ("Args", "args")):
        if v[field]:
            container[key] = shlex.split(v[field])
        else:
            container.pop(key, None)


def _write_env(spec: dict, v: dict) -> None:
    container = _path(spec, "TaskTemplate", "ContainerSpec")
    # A secret comes sealed, or as "keep": the value the service has now, read here, at run time.
    current = {key: value for key, _sep, value in (line.partition("=") for line in container.get("Env") or [])}
    # [key, value] pairs in the user's order; a job from before that keeps a dict.
    pairs = v["env"].items() if isinstance(v["env"], dict) else v["env"]
    container["Env"] = [f"{key}={masking.env_value_open(key, value, current)}" for key, value in pairs]
    if v.get("secret_env") is not None:  # jobs from before the field did not touch the list
        labels = spec.get("Labels") or {}
        labels.pop(masking.SECRET_ENV_LABEL, None)
        if v["secret_env"]:
            labels[masking.SECRET_ENV_LABEL] = ",".join(v["secret_env"])
        spec["Labels"] = labels


def _write_labels(spec: dict, v: dict) -> None:
    # The panel's own labels are not in the form's labels: keep them.
    kept = {key: value for key, value in (spec.get("Labels") or {}).items() if _panel_label(key)}
    spec["Labels"] = {**v["labels"], **kept}


def _panel_label(key: str) -> bool:
    return key.startswith("swarmdeck.job") or key == masking.SECRET_ENV_LABEL


def _write_constraints(spec: dict, v: dict) -> None:
    _path(spec, "TaskTemplate", "Placement")["Constraints"] = list(v["constraints"])


def _write_ports(spec: dict, v: dict) -> None:
    ports = []
    for p in v["ports"]:
        port = {"Protocol": p["protocol"], "TargetPort": p["target"], "PublishMode": p["mode"]}
        if p.get("published"):
            port["PublishedPort"] = p["published"]
        ports.append(port)
    _path(spec, "EndpointSpec")["Ports"] = ports


def _merged(base: dict, key: str, values: dict) -> None:
    """base[key] with the modelled `values` written over it (None or empty removes); dropped when empty."""
    part = dict(base.get(key) or {})
    for name, value in values.items():
        if value in (None, False, "", {}):
            part.pop(name, None)
        else:
            part[name] = value
    if part:
        base[key] = part
    else:
        base.pop(key, None)


def _write_mounts(spec: dict, v: dict) -> None:
    container = _path(spec, "TaskTemplate", "ContainerSpec")
    # A mount the form left as it was keeps the settings the form does not show (consistency...).
    existing = {(m.get("Type"), m.get("Target")): m for m in container.get("Mounts") or []}
    mounts = []
    for m in v["mounts"]:
        mount = copy.deepcopy(existing.get((m["type"], m["target"]), {}))
        mount.update(Type=m["type"], Target=m["target"])
        for key, value in (("Source", m["source"]), ("ReadOnly", m["readonly"])):
            if value:
                mount[key] = value
            else:
                mount.pop(key, None)
        _merged(mount, "BindOptions", {"Propagation": m.get("bind_propagation")})
        volume = dict(mount.get("VolumeOptions") or {})
        _merged(volume, "DriverConfig", {"Name": m.get("volume_driver"), "Options": m.get("volume_options")})
        mount["VolumeOptions"] = volume
        _merged(mount, "VolumeOptions", {"NoCopy": m.get("volume_nocopy"), "Labels": m.get("volume_labels")})
        _merged(mount, "TmpfsOptions", {"SizeBytes": m.get("tmpfs_size"), "Mode": m.get("tmpfs_mode")})
        mounts.append(mount)
    container["Mounts"] = mounts


def _file_writer(kind: str) -> Callable[[dict, dict], None]:
    """The writer of the Secrets or Configs list: the form's references (each with the id the form
    found for its name), every one of them, in the form's order."""
    key = f"{kind.capitalize()}s"

    def write(spec: dict, v: dict) -> None:
        container = _path(spec, "TaskTemplate", "ContainerSpec")
        references = [
            engine.FileReference(
                id=r["id"], name=r["name"], target=r["target"], uid=r["uid"], gid=r["gid"], mode=r["mode"]
            ).to_json(kind)
            for r in v[f"{kind}s"]
        ]
        if references:
            container[key] = references
        else:
            container.pop(key, None)

    return write


def _write_networks(spec: dict, v: dict) -> None:
    """TaskTemplate.Networks from the form's networks (each with the id the form found for its name),
    in the form's order; a network the service was on keeps what the form does not show (DriverOpts)."""
    template = _path(spec, "TaskTemplate")
    existing = {item.get("Target"): item for item in template.get("Networks") or spec.get("Networks") or []}
    networks = []
    for n in v.get("networks") or []:
        attachment = copy.deepcopy(existing.get(n["id"], {}))
        attachment["Target"] = n["id"]
        if n["aliases"]:
            attachment["Aliases"] = list(n["aliases"])
        else:
            attachment.pop("Aliases", None)
        networks.append(attachment)
    # The top-level Networks of an old spec would attach them twice: the task template's replace them.
    spec.pop("Networks", None)
    if networks:
        template["Networks"] = networks
    else:
        template.pop("Networks", None)


def _write_healthcheck(spec: dict, v: dict) -> None:
    container = _path(spec, "TaskTemplate", "ContainerSpec")
    base = container.get("Healthcheck") or {}
    command = v["health_cmd"]
    # The same line keeps the test as it was written (CMD, CMD-SHELL or NONE).
    test = base.get("Test") or [] if health_text(base.get("Test") or []) == command else ["CMD-SHELL", command]
    check = {"Test": list(test)} if test else {}
    for key, field in (
        ("Interval", "health_interval"),
        ("Timeout", "health_timeout"),
        ("StartPeriod", "health_start_period"),
        ("Retries", "health_retries"),
    ):
        if v.get(field) is not None:
            check[key] = v[field]
    if check:
        container["Healthcheck"] = check
    else:
        container.pop("Healthcheck", None)  # the image's own HEALTHCHECK, if any


def _write_restart(spec: dict, v: dict) -> None:
    policy = {"Condition": v["restart_condition"] or "any"}
    for key, field in (
        ("Delay", "restart_delay"),
        ("MaxAttempts", "restart_max_attempts"),
        ("Window", "restart_window"),
    ):
        if v.get(field) is not None:
            policy[key] = v[field]
    _path(spec, "TaskTemplate")["RestartPolicy"] = policy


def _rollout(prefix: str) -> Callable[[dict, dict], None]:
    key = "UpdateConfig" if prefix == "update" else "RollbackConfig"

    def write(spec: dict, v: dict) -> None:
        parallelism = v[f"{prefix}_parallelism"]
        # A missing Parallelism is 0 to the engine (all at once): write the CLI's 1.
        config = {
            "Parallelism": 1 if parallelism is None else parallelism,
            "FailureAction": v[f"{prefix}_failure_action"] or "pause",
            "MaxFailureRatio": v[f"{prefix}_max_failure_ratio"] or 0,
            "Order": v[f"{prefix}_order"] or "stop-first",
        }
        for name, field in (("Delay", "delay"), ("Monitor", "monitor")):
            if v[f"{prefix}_{field}"]:
                config[name] = v[f"{prefix}_{field}"]
        spec[key] = config

    return write


def _write_resources(spec: dict, v: dict) -> None:
    resources = _path(spec, "TaskTemplate", "Resources")
    for key, prefix in (("Limits", "limit"), ("Reservations", "reserve")):
        cpus = v[f"{prefix}_cpus"]
        _merged(
            resources,
            key,
            {"NanoCPUs": int(round(cpus * 1_000_000_000)) if cpus else None, "MemoryBytes": v[f"{prefix}_memory"]},
        )


# Group name -> (form fields, writer). The order is the form's order.
GROUPS: dict[str, tuple[tuple[str, ...], Callable[[dict, dict], None]]] = {
    "image": (("image",), _write_image),
    "mode": (("mode", "replicas"), _write_mode),
    "command": (("entrypoint", "args"), _write_command),
    "env": (("env", "secret_env"), _write_env),
    "labels": (("labels",), _write_labels),
    "constraints": (("constraints",), _write_constraints),
    "ports": (("ports",), _write_ports),
    "mounts": (("mounts",), _write_mounts),
    "networks": (("networks",), _write_networks),
    "secrets": (("secrets",), _file_writer("secret")),
    "configs": (("configs",), _file_writer("config")),
    "healthcheck": (
        ("health_cmd", "health_interval", "health_timeout", "health_retries", "health_start_period"),
        _write_healthcheck,
    ),
    "restart": (("restart_condition", "restart_delay", "restart_max_attempts", "restart_window"), _write_restart),
    "update": (
        tuple(
            f"update_{n}" for n in ("parallelism", "delay", "failure_action", "monitor", "max_failure_ratio", "order")
        ),
        _rollout("update"),
    ),
    "rollback": (
        tuple(
            f"rollback_{n}" for n in ("parallelism", "delay", "failure_action", "monitor", "max_failure_ratio", "order")
        ),
        _rollout("rollback"),
    ),
    "resources": (("limit_cpus", "limit_memory", "reserve_cpus", "reserve_memory"), _write_resources),
}


def changed_groups(changed_fields: list[str], values: dict) -> dict[str, dict]:
    """The groups touched by the changed form fields, each with all its values (JSON-ready)."""
    groups = {}
    for group, (fields, _write) in GROUPS.items():
        if any(field in changed_fields for field in fields):
            groups[group] = {field: values[field] for field in fields}
    return groups


def spec_apply(base: dict, groups: dict[str, dict]) -> dict:
    """A copy of `base` with the given groups written into it."""
    spec = copy.deepcopy(base)
    for group, values in groups.items():
        GROUPS[group][1](spec, values)
    return spec


def spec_create(*, name: str, values: dict, job_id: int) -> dict:
    """A whole new ServiceSpec from every group; labelled with the job that creates it."""
    spec = spec_apply({"Name": name, "TaskTemplate": {"ContainerSpec": {}}}, {g: values for g in GROUPS})
    spec["Labels"] = {**spec.get("Labels", {}), "swarmdeck.job": str(job_id)}
    return spec


def form_values(config: engine.ServiceConfig) -> dict:
    """The edit form's initial values: the inverse of the writers. Empty where the spec leaves a
    setting to Docker's default; a choice shows the default it falls back to."""
    health = config.healthcheck or engine.HealthCheck(test=())
    network_names = _network_names(config)
    restart, resources = config.restart, config.resources
    values = {
        "name": config.name,
        "image": config.image.split("@")[0],
        "mode": config.mode,
        "replicas": config.replicas,
        "entrypoint": shlex.join(config.command),
        "args": shlex.join(config.args),
        # Secrets as the mask: a value left so keeps the service's own (masking.KEEP).
        "env": "\n".join(masking.mask_env_lines(config.env, masking.secret_names(config.labels))),
        "secret_env": ",".join(sorted(masking.secret_names(config.labels))),
        "labels": _lines({k: v for k, v in config.labels.items() if not _panel_label(k)}),
        "constraints": "\n".join(config.constraints),
        "ports": "\n".join(format_port(port) for port in config.ports),
        "mounts": "\n".join(format_mount(mount) for mount in config.mounts),
        "networks": "\n".join(format_network(item, network_names) for item in config.networks),
        "secrets": "\n".join(format_file_reference(reference) for reference in config.secrets),
        "configs": "\n".join(format_file_reference(reference) for reference in config.configs),
        "health_cmd": health_text(health.test),
        "health_interval": go_duration_format(health.interval),
        "health_timeout": go_duration_format(health.timeout),
        "health_retries": health.retries,
        "health_start_period": go_duration_format(health.start_period),
        "restart_condition": restart.condition or DEFAULTS["restart_condition"],
        "restart_delay": go_duration_format(restart.delay),
        "restart_max_attempts": restart.max_attempts,
        "restart_window": go_duration_format(restart.window),
        "limit_cpus": resources.limit_nano_cpus / 1e9 if resources.limit_nano_cpus else None,
        "limit_memory": format_memory(resources.limit_memory),
        "reserve_cpus": resources.reserve_nano_cpus / 1e9 if resources.reserve_nano_cpus else None,
        "reserve_memory": format_memory(resources.reserve_memory),
    }
    for prefix, rollout in (("update", config.update), ("rollback", config.rollback)):
        values[f"{prefix}_parallelism"] = rollout.parallelism
        values[f"{prefix}_delay"] = go_duration_format(rollout.delay)
        values[f"{prefix}_failure_action"] = rollout.failure_action or DEFAULTS[f"{prefix}_failure_action"]
        values[f"{prefix}_monitor"] = go_duration_format(rollout.monitor)
        values[f"{prefix}_max_failure_ratio"] = rollout.max_failure_ratio
        values[f"{prefix}_order"] = rollout.order or DEFAULTS[f"{prefix}_order"]
    return values


def values_from_spec(spec: dict) -> dict:
    """form_values() of engine JSON, for callers that hold a spec (tests that build one)."""
    return form_values(engine.ServiceConfig.from_json(spec))


def config_diff(current: engine.ServiceConfig, previous: engine.ServiceConfig) -> list[tuple[str, str, str]]:
    """(form field, current, previous) for every setting the form shows that differs, plus the full
    image reference and the redeploy counter: what a rollback would change."""
    now, before = form_values(current), form_values(previous)
    now["image"], before["image"] = current.image, previous.image
    now["force_update"], before["force_update"] = current.force_update, previous.force_update
    # Masked with the names either spec marks; a secret that changed says so without its values.
    marked = masking.secret_names(current.labels) | masking.secret_names(previous.labels)
    now_env, before_env = masking.env_diff_lines(current.env, previous.env, marked)
    now["env"], before["env"] = "\n".join(now_env), "\n".join(before_env)

    def text(value) -> str:
        return "" if value is None else str(value)

    def differs(name: str) -> bool:
        # The environment is compared in clear: two secrets shown alike may still differ.
        return current.env != previous.env if name == "env" else text(now[name]) != text(before[name])

    return [(name, text(now[name]), text(before[name])) for name in now if differs(name)]
