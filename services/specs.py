"""Service specs: form values to the engine's ServiceSpec JSON and back.

Fields are grouped as Docker groups them (health check, restart policy, update config...). An
update job stores only the groups the user changed and writes just those into the spec it reads
from the engine, so a concurrent change to another part of the service is kept.
"""

from __future__ import annotations

import copy
import re
import shlex
from collections.abc import Callable

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


def parse_duration(text: str) -> int:
    """Go-style durations ("1m30s", "500ms", "10s") to nanoseconds; ValueError otherwise."""
    text = text.strip()
    if text in ("0", ""):
        return 0
    position, total = 0, 0.0
    for match in _DURATION.finditer(text):
        if match.start() != position:
            raise ValueError(text)
        total += float(match[1]) * NS[match[2]]
        position = match.end()
    if position != len(text) or not position:
        raise ValueError(text)
    return int(total)


def format_duration(ns: int | None) -> str:
    """Nanoseconds back to the shortest Go-style text ("1m30s"); "" for none."""
    if not ns:
        return ""
    parts = []
    for unit in ("h", "m", "s", "ms"):
        count, ns = divmod(ns, NS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or f"{ns}ns"


def parse_memory(text: str) -> int:
    match = _MEMORY.match(text.strip())
    if not match:
        raise ValueError(text)
    return int(float(match[1]) * MEMORY_UNITS[match[2].lower()])


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


def _get(spec: dict, *keys: str, default=None):
    for key in keys:
        if not isinstance(spec, dict) or key not in spec:
            return default
        spec = spec[key]
    return spec


def _lines(pairs: dict[str, str]) -> str:
    return "\n".join(f"{key}={value}" for key, value in pairs.items())


# --- writers: one per group, from cleaned form values into a spec ------------------------------


def _write_image(spec: dict, v: dict) -> None:
    _path(spec, "TaskTemplate", "ContainerSpec")["Image"] = v["image"]


def _write_mode(spec: dict, v: dict) -> None:
    if v["mode"] == "global":
        spec["Mode"] = {"Global": {}}
    else:
        spec["Mode"] = {"Replicated": {"Replicas": v["replicas"]}}


def _write_command(spec: dict, v: dict) -> None:
    container = _path(spec, "TaskTemplate", "ContainerSpec")
    for key, field in (("Command", "entrypoint"), ("Args", "args")):
        if v[field]:
            container[key] = shlex.split(v[field])
        else:
            container.pop(key, None)


def _write_env(spec: dict, v: dict) -> None:
    container = _path(spec, "TaskTemplate", "ContainerSpec")
    container["Env"] = [f"{key}={value}" for key, value in v["env"].items()]


def _write_labels(spec: dict, v: dict) -> None:
    spec["Labels"] = dict(v["labels"])


def _write_constraints(spec: dict, v: dict) -> None:
    _path(spec, "TaskTemplate", "Placement")["Constraints"] = list(v["constraints"])


def _write_ports(spec: dict, v: dict) -> None:
    ports = [
        {
            "Protocol": p["protocol"],
            "TargetPort": p["target"],
            "PublishedPort": p["published"],
            "PublishMode": p["mode"],
        }
        for p in v["ports"]
    ]
    _path(spec, "EndpointSpec")["Ports"] = ports


def _write_mounts(spec: dict, v: dict) -> None:
    container = _path(spec, "TaskTemplate", "ContainerSpec")
    container["Mounts"] = [
        {"Type": m["type"], "Source": m["source"], "Target": m["target"], "ReadOnly": m["readonly"]}
        for m in v["mounts"]
    ]


def _write_healthcheck(spec: dict, v: dict) -> None:
    container = _path(spec, "TaskTemplate", "ContainerSpec")
    if not v["health_cmd"]:
        container.pop("Healthcheck", None)
        return
    check = {"Test": ["CMD-SHELL", v["health_cmd"]]}
    for key, field in (("Interval", "health_interval"), ("Timeout", "health_timeout")):
        if v[field]:
            check[key] = v[field]
    if v["health_start_period"]:
        check["StartPeriod"] = v["health_start_period"]
    if v["health_retries"] is not None:
        check["Retries"] = v["health_retries"]
    container["Healthcheck"] = check


def _write_restart(spec: dict, v: dict) -> None:
    policy = {"Condition": v["restart_condition"], "Delay": v["restart_delay"] or 0}
    policy["MaxAttempts"] = v["restart_max_attempts"] or 0
    policy["Window"] = v["restart_window"] or 0
    _path(spec, "TaskTemplate")["RestartPolicy"] = policy


def _rollout(prefix: str) -> Callable[[dict, dict], None]:
    key = "UpdateConfig" if prefix == "update" else "RollbackConfig"

    def write(spec: dict, v: dict) -> None:
        spec[key] = {
            "Parallelism": v[f"{prefix}_parallelism"],
            "Delay": v[f"{prefix}_delay"] or 0,
            "FailureAction": v[f"{prefix}_failure_action"],
            "Monitor": v[f"{prefix}_monitor"] or 0,
            "MaxFailureRatio": v[f"{prefix}_max_failure_ratio"] or 0,
            "Order": v[f"{prefix}_order"],
        }

    return write


def _write_resources(spec: dict, v: dict) -> None:
    resources = {}
    for key, prefix in (("Limits", "limit"), ("Reservations", "reserve")):
        part = {}
        if v[f"{prefix}_cpus"]:
            part["NanoCPUs"] = int(v[f"{prefix}_cpus"] * 1_000_000_000)
        if v[f"{prefix}_memory"]:
            part["MemoryBytes"] = v[f"{prefix}_memory"]
        if part:
            resources[key] = part
    _path(spec, "TaskTemplate")["Resources"] = resources


# Group name -> (form fields, writer). The order is the form's order.
GROUPS: dict[str, tuple[tuple[str, ...], Callable[[dict, dict], None]]] = {
    "image": (("image",), _write_image),
    "mode": (("mode", "replicas"), _write_mode),
    "command": (("entrypoint", "args"), _write_command),
    "env": (("env",), _write_env),
    "labels": (("labels",), _write_labels),
    "constraints": (("constraints",), _write_constraints),
    "ports": (("ports",), _write_ports),
    "mounts": (("mounts",), _write_mounts),
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


def _port_line(port: dict) -> str:
    published = port.get("PublishedPort", "")
    return f"{published}:{port['TargetPort']}/{port.get('Protocol', 'tcp')} {port.get('PublishMode', 'ingress')}"


def values_from_spec(spec: dict) -> dict:
    """Form initial values from an engine spec (the inverse of the writers)."""
    container = _get(spec, "TaskTemplate", "ContainerSpec", default={})
    check = container.get("Healthcheck") or {}
    test = check.get("Test") or []
    restart = _get(spec, "TaskTemplate", "RestartPolicy", default={}) or {}
    resources = _get(spec, "TaskTemplate", "Resources", default={}) or {}
    values = {
        "name": spec.get("Name", ""),
        "image": container.get("Image", "").split("@")[0],
        "mode": "global" if "Global" in spec.get("Mode", {}) else "replicated",
        "replicas": _get(spec, "Mode", "Replicated", "Replicas", default=1),
        "entrypoint": shlex.join(container.get("Command") or []),
        "args": shlex.join(container.get("Args") or []),
        "env": "\n".join(container.get("Env") or []),
        "labels": _lines({k: v for k, v in (spec.get("Labels") or {}).items() if not k.startswith("swarmdeck.job")}),
        "constraints": "\n".join(_get(spec, "TaskTemplate", "Placement", "Constraints", default=[]) or []),
        "ports": "\n".join(_port_line(port) for port in _get(spec, "EndpointSpec", "Ports", default=[]) or []),
        "mounts": "\n".join(
            ",".join(
                [f"type={m.get('Type', 'volume')}", f"source={m.get('Source', '')}", f"target={m['Target']}"]
                + (["readonly"] if m.get("ReadOnly") else [])
            )
            for m in container.get("Mounts") or []
        ),
        "health_cmd": test[1] if len(test) == 2 and test[0] == "CMD-SHELL" else shlex.join(test[1:]),
        "health_interval": format_duration(check.get("Interval")),
        "health_timeout": format_duration(check.get("Timeout")),
        "health_retries": check.get("Retries"),
        "health_start_period": format_duration(check.get("StartPeriod")),
        "restart_condition": restart.get("Condition", "any"),
        "restart_delay": format_duration(restart.get("Delay", 5_000_000_000)),
        "restart_max_attempts": restart.get("MaxAttempts") or 0,
        "restart_window": format_duration(restart.get("Window")),
        "limit_cpus": (_get(resources, "Limits", "NanoCPUs", default=0) or 0) / 1e9 or None,
        "limit_memory": format_memory(_get(resources, "Limits", "MemoryBytes")),
        "reserve_cpus": (_get(resources, "Reservations", "NanoCPUs", default=0) or 0) / 1e9 or None,
        "reserve_memory": format_memory(_get(resources, "Reservations", "MemoryBytes")),
    }
    for prefix, key in (("update", "UpdateConfig"), ("rollback", "RollbackConfig")):
        config = spec.get(key) or {}
        values[f"{prefix}_parallelism"] = config.get("Parallelism", 1)
        values[f"{prefix}_delay"] = format_duration(config.get("Delay"))
        values[f"{prefix}_failure_action"] = config.get("FailureAction", "pause")
        values[f"{prefix}_monitor"] = format_duration(config.get("Monitor"))
        values[f"{prefix}_max_failure_ratio"] = config.get("MaxFailureRatio", 0)
        values[f"{prefix}_order"] = config.get("Order", "stop-first")
    return values


def _flatten(value, prefix: str = "") -> dict[str, str]:
    if isinstance(value, dict):
        flat: dict[str, str] = {}
        for key, item in value.items():
            flat.update(_flatten(item, f"{prefix}.{key}" if prefix else key))
        return flat
    if isinstance(value, list) and all(not isinstance(item, dict | list) for item in value):
        return {prefix: " ".join(str(item) for item in value)}
    if isinstance(value, list):
        flat = {}
        for index, item in enumerate(value):
            flat.update(_flatten(item, f"{prefix}[{index}]"))
        return flat
    return {prefix: str(value)}


def spec_diff(current: dict, previous: dict) -> list[tuple[str, str, str]]:
    """(path, current, previous) for every setting that differs, for the rollback confirmation."""
    now, before = _flatten(current), _flatten(previous)
    return [
        (path, now.get(path, ""), before.get(path, ""))
        for path in sorted(now.keys() | before.keys())
        if now.get(path) != before.get(path)
    ]
