"""A fake docker-py APIClient serving the engine's own JSON, recorded by tests/record_engine_json.py.

The fast tests replace ``engine.client.api`` with it, so engine/'s parsing of real engine answers
runs in every page test. What it serves, from tests/engine_json/:

- reads: services (filters id, name, label; ServiceStatus only with status=True), inspect_service,
  tasks (filters service, desired-state, node, id), nodes, inspect_node, info, version, containers
  (label filters; all=False keeps the running ones), inspect_container, inspect_image, events;
- writes, through engine.client.post_json (``_url``, ``_post_json``, ``_result``) and the named
  methods (remove_service, remove_node, start, stop, rename, remove_container, pull): each is kept
  in ``writes`` so a test asserts what would have been sent. A service or node update checks the
  version index as the engine does ("update out of sequence"); a service's becomes the new spec, the
  old one its PreviousSpec, and ``rollback=previous`` swaps them back. A node update or removal is
  refused in the engine's words where the engine refuses it (the last manager demoted, a manager
  removed, a node that is up removed without force). ``node_add`` adds a node made from the
  recorded one (the recording has a single manager).

``fail(method, error)`` makes a method raise (``api_error(503, ...)``, ``unreachable()``), every time
or the next ``times`` times. Timestamps are moved so the recording looks made ``age`` ago.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import ipaddress
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import requests
from docker.errors import APIError, ImageNotFound, NotFound

RECORDINGS = Path(__file__).resolve().parent / "engine_json"
API_VERSION = "1.41"
# The recorded services (tests/record_engine_json.py).
WEB, GLOBAL, CRASH, MOUNTS = "rec-web", "rec-global", "rec-crash", "rec-mounts"


@cache
def _recording(name: str) -> dict:
    return json.loads((RECORDINGS / f"{name}.json").read_text())


def recorded(name: str) -> object:
    """A fresh copy of one recording's data (tests may change it)."""
    return copy.deepcopy(_recording(name)["data"])


def recorded_meta() -> dict:
    return dict(_recording("services")["meta"])


def api_error(status: int, explanation: str) -> APIError:
    """docker-py's exception for an engine answer with this status, as its client raises it."""
    response = requests.Response()
    response.status_code = status
    response.reason = {404: "Not Found", 409: "Conflict", 500: "Internal Server Error", 503: "Service Unavailable"}.get(
        status, ""
    )
    cls = APIError
    if status == 404:
        cls = ImageNotFound if "no such image" in explanation.lower() else NotFound
    return cls(f"{status} Server Error: {response.reason}", response=response, explanation=explanation)


def recorded_error(name: str) -> APIError:
    """One of the engine refusals recorded in errors.json (e.g. "update_out_of_sequence")."""
    error = _recording("errors")["data"][name]
    return api_error(error["status_code"], error["explanation"])


def unreachable() -> requests.exceptions.ConnectionError:
    return requests.exceptions.ConnectionError(
        "('Connection aborted.', FileNotFoundError(2, 'No such file or directory'))"
    )


_STAMP = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _shifted(value: object, delta: timedelta) -> object:
    """Every engine timestamp in value moved by delta (Docker's zero time stays zero)."""
    if isinstance(value, dict):
        moved = {key: _shifted(item, delta) for key, item in value.items()}
        if isinstance(moved.get("timeNano"), int):
            moved["timeNano"] += int(delta.total_seconds()) * 1_000_000_000
        if isinstance(moved.get("time"), int):
            moved["time"] += int(delta.total_seconds())
        return moved
    if isinstance(value, list):
        return [_shifted(item, delta) for item in value]
    if isinstance(value, str):
        match = _STAMP.match(value)
        if match and not value.startswith("0001-"):
            head, fraction, zone = match.groups()
            moved = datetime.fromisoformat(head).replace(tzinfo=UTC) + delta
            return moved.strftime("%Y-%m-%dT%H:%M:%S") + (fraction or "") + zone
    return value


@dataclass
class Write:
    """One request that would have changed the engine."""

    method: str  # "post", or the APIClient method's name (remove_service, start...)
    path: str  # "/services/create", "/services/ID/update"... ("" for named methods)
    body: dict | None = None
    params: dict = field(default_factory=dict)
    args: tuple = ()


class FakeResponse:
    """``payload`` None: an empty body, as the engine answers a node's update."""

    def __init__(self, payload: dict | None) -> None:
        self.payload = payload
        self.content = b"" if payload is None else json_dumps(payload).encode()


class FakeStream:
    """events(decode=True): an iterable the caller may close, as docker-py's CancellableStream."""

    def __init__(self, events: list[dict]) -> None:
        self._events = iter(events)
        self.closed = False

    def __iter__(self):
        return self

    def __next__(self) -> dict:
        if self.closed:
            raise StopIteration
        return next(self._events)

    def close(self) -> None:
        self.closed = True


class FakeAPIClient:
    """The subset of docker.APIClient that engine/ calls, on recorded engine answers."""

    def __init__(
        self,
        *,
        age: timedelta | None = timedelta(minutes=1),
        services: list[str] | None = None,
        ids: dict[str, str] | None = None,
    ) -> None:
        """``age``: how long ago the recording seems made (None: its own timestamps, untouched);
        ``services``: keep only these recorded services (by name), with their tasks and containers;
        ``ids``: serve recorded services under other ids ({"rec-web": "svc1"}), everywhere."""
        delta = timedelta(0)
        if age is not None:
            recorded_at = datetime.fromisoformat(recorded_meta()["recorded_at"])
            delta = timedelta(seconds=int((datetime.now(UTC) - age - recorded_at).total_seconds()))
        self.delta = delta
        renamed = {
            raw["ID"]: ids[raw["Spec"]["Name"]] for raw in recorded("services") if raw["Spec"]["Name"] in (ids or {})
        }

        def load(name: str) -> object:
            text = json.dumps(recorded(name))
            for old, new in renamed.items():
                text = text.replace(old, new)
            return _shifted(json.loads(text), delta)

        self._services: list[dict] = load("services")
        inspected: dict = load("inspect_service")
        # inspect_service answers without ServiceStatus; kept apart from the listing's copies.
        self._inspected: dict[str, dict] = inspected
        self._tasks: list[dict] = load("tasks")
        self._nodes: list[dict] = load("nodes")
        self._info: dict = load("info")
        self._containers: list[dict] = load("containers")
        self._inspected_containers: dict[str, dict] = load("inspect_container")
        self._images: dict[str, dict] = load("inspect_image")
        self._events: list[dict] = load("events")
        # Networks (tests/engine_json/networks.json): the predefined ones, rec-net (attachable, encrypted,
        # 10.77.0.0/24), rec-front (as the list shows a swarm network no task of this node uses),
        # rec_stack_default (internal, of the stack rec_stack).
        self._networks: list[dict] = load("networks")
        # Secrets and configs (none recorded): {"secret": [...], "config": [...]}, shaped as the engine's.
        self._files: dict[str, list[dict]] = {"secret": [], "config": []}
        self.file_data: dict[str, bytes] = {}  # what each create_secret/create_config was sent, by name
        if services is not None:
            self.keep(services)
        self.writes: list[Write] = []
        self.calls: list[tuple[str, dict]] = []
        self.distributions: dict[str, str] = {}  # image -> digest the registry holds
        self._failures: dict[str, list] = {}
        self._ids = itertools.count(1)
        self.base_url = "http+docker://fake"

    # --- test helpers --------------------------------------------------------------------------

    def keep(self, names: list[str]) -> None:
        """Forget every recorded service but ``names`` (and their tasks, containers, events)."""
        ids = {s["ID"] for s in self._services if s["Spec"]["Name"] in names}
        self._services = [s for s in self._services if s["ID"] in ids]
        self._inspected = {key: value for key, value in self._inspected.items() if key in ids}
        self._tasks = [t for t in self._tasks if t.get("ServiceID") in ids]
        self._containers = [c for c in self._containers if _labels(c).get("com.docker.swarm.service.id") in ids]
        kept = {c["Id"] for c in self._containers}
        self._inspected_containers = {k: v for k, v in self._inspected_containers.items() if k in kept}
        self._events = [e for e in self._events if e["Type"] == "node" or _event_service(e) in ids]

    def service_id(self, name: str) -> str:
        return next(s["ID"] for s in self._services if s["Spec"]["Name"] == name)

    def raw_service(self, name: str) -> dict:
        """The inspect_service answer of a recorded service, as the fake holds it now."""
        return self._inspected[self.service_id(name)]

    def spec_change(self, name: str, change: Callable[[dict], None]) -> None:
        """Change a recorded service's spec in place, as if it had been created so."""
        service_id = self.service_id(name)
        listed = next(s for s in self._services if s["ID"] == service_id)
        for raw in (listed, self._inspected[service_id]):
            change(raw["Spec"])

    def node_add(
        self, node_id: str, hostname: str, *, role: str = "worker", state: str = "ready", availability: str = "active"
    ) -> dict:
        """Add a node made from the recorded manager (a worker unless ``role``); returns it, held live."""
        raw = copy.deepcopy(self._nodes[0])
        raw["ID"] = node_id
        raw["Description"]["Hostname"] = hostname
        raw["Spec"] = {"Availability": availability, "Labels": {}, "Role": role}
        raw["Status"] = {"Addr": "127.0.0.2", "State": state}
        raw["Version"] = {"Index": 10}
        if role == "manager":
            raw["ManagerStatus"] = {"Addr": "127.0.0.2:2377", "Leader": False, "Reachability": "reachable"}
        else:
            raw.pop("ManagerStatus", None)
        self._nodes.append(raw)
        return raw

    def raw_node(self, node_id: str) -> dict:
        """A node as the fake holds it now (changes to it are what the engine answers next)."""
        return self._find_node(node_id)

    def raw_tasks(self, name: str | None = None) -> list[dict]:
        service_id = self.service_id(name) if name else None
        return [t for t in self._tasks if service_id is None or t["ServiceID"] == service_id]

    def task_add(self, raw: dict) -> None:
        """A task Swarm started meanwhile (a drained node's replacement)."""
        self._tasks.append(raw)

    def fail(self, method: str, error: Exception, *, times: int | None = None) -> None:
        """Make ``method`` ("*": any) raise ``error``: the next ``times`` calls, or every call (None)."""
        self._failures[method] = [error] * times if times else [error, ...]

    def _call(self, method: str, **kwargs) -> None:
        self.calls.append((method, kwargs))
        errors = self._failures.get(method) or self._failures.get("*")
        if not errors:
            return
        error = errors[0]
        if len(errors) > 1 and errors[1] is ...:
            raise error
        errors.pop(0)
        raise error

    # --- reads ---------------------------------------------------------------------------------

    def version(self, api_version: bool = True) -> dict:
        self._call("version")
        meta = recorded_meta()
        return {"Version": meta["engine_version"], "ApiVersion": meta["api_version"]}

    def info(self) -> dict:
        self._call("info")
        return copy.deepcopy(self._info)

    def nodes(self, filters: dict | None = None) -> list[dict]:
        self._call("nodes", filters=filters)
        return copy.deepcopy(self._nodes)

    def inspect_node(self, node_id: str) -> dict:
        self._call("inspect_node", node_id=node_id)
        return copy.deepcopy(self._find_node(node_id))

    def _find_node(self, node_id: str) -> dict:
        # The engine takes an id, a host name or a unique prefix of an id.
        for raw in self._nodes:
            if node_id in (raw["ID"], raw["Description"]["Hostname"]):
                return raw
        matches = [raw for raw in self._nodes if raw["ID"].startswith(node_id)]
        if len(matches) == 1:
            return matches[0]
        raise api_error(404, f"node {node_id} not found")

    def services(self, filters: dict | None = None, status: bool | None = None) -> list[dict]:
        self._call("services", filters=filters, status=status)
        filters = filters or {}
        result = []
        for service in self._services:
            # The engine's id filter matches a prefix of the id; a list matches any of its values.
            if "id" in filters and not any(service["ID"].startswith(value) for value in _values(filters["id"])):
                continue
            # The engine's name filter matches a prefix of the name.
            if "name" in filters and not service["Spec"]["Name"].startswith(filters["name"]):
                continue
            if "label" in filters and not _label_matches(service["Spec"].get("Labels") or {}, filters["label"]):
                continue
            item = copy.deepcopy(service)
            if not status:
                item.pop("ServiceStatus", None)
            result.append(item)
        return result

    def inspect_service(self, service: str, insert_defaults: bool | None = None) -> dict:
        self._call("inspect_service", service=service)
        raw = self._find_service(service)
        return copy.deepcopy(self._inspected[raw["ID"]])

    def _find_service(self, service: str) -> dict:
        for item in self._services:
            if item["ID"] == service or item["Spec"]["Name"] == service:
                return item
        matches = [item for item in self._services if item["ID"].startswith(service)]
        if len(matches) == 1:
            return matches[0]
        raise api_error(404, f"service {service} not found")

    def inspect_task(self, task: str) -> dict:
        self._call("inspect_task", task=task)
        matches = [item for item in self._tasks if item["ID"].startswith(task)]
        if len(matches) != 1:
            raise api_error(404, f"task {task} not found")
        return copy.deepcopy(matches[0])

    def tasks(self, filters: dict | None = None) -> list[dict]:
        self._call("tasks", filters=filters)
        filters = filters or {}
        wanted = None
        if "service" in filters:
            wanted = set()
            for value in _values(filters["service"]):
                with contextlib.suppress(NotFound):
                    wanted.add(self._find_service(value)["ID"])
            if not wanted:
                return []
        result = []
        for task in self._tasks:
            if wanted and task.get("ServiceID") not in wanted:
                continue
            if "desired-state" in filters and task.get("DesiredState") != filters["desired-state"]:
                continue
            if "node" in filters and task.get("NodeID") != filters["node"]:
                continue
            if "id" in filters and not task["ID"].startswith(filters["id"]):
                continue
            result.append(copy.deepcopy(task))
        return result

    def containers(self, all: bool = False, filters: dict | None = None, **kwargs) -> list[dict]:  # noqa: A002
        self._call("containers", all=all, filters=filters)
        label = (filters or {}).get("label")
        return [
            copy.deepcopy(c)
            for c in self._containers
            if (all or c.get("State") == "running") and (not label or _label_matches(_labels(c), label))
        ]

    def inspect_container(self, container: str) -> dict:
        self._call("inspect_container", container=container)
        for key, raw in self._inspected_containers.items():
            if key.startswith(container) or raw.get("Name", "").lstrip("/") == container:
                return copy.deepcopy(raw)
        raise api_error(404, f"No such container: {container}")

    def inspect_image(self, image: str) -> dict:
        self._call("inspect_image", image=image)
        for key, raw in self._images.items():
            if image in (key, raw["Id"]) or image in (raw.get("RepoTags") or []):
                return copy.deepcopy(raw)
        raise api_error(404, f"no such image: {image}: No such image: {image}")

    def inspect_distribution(self, image: str, auth_config: dict | None = None) -> dict:
        self._call("inspect_distribution", image=image)
        if image in self.distributions:
            return {"Descriptor": {"digest": self.distributions[image]}, "Platforms": []}
        raise recorded_error("inspect_distribution_unreachable")

    def events(self, since=None, until=None, filters: dict | None = None, decode: bool | None = None) -> FakeStream:
        self._call("events", since=since, until=until, filters=filters)
        types = set((filters or {}).get("type") or [])
        low = int(float(since) * 1e9) if since else None
        high = int(float(until) * 1e9) if until else None
        chosen = [
            copy.deepcopy(event)
            for event in self._events
            if (not types or event["Type"] in types)
            and (low is None or event["timeNano"] >= low)
            and (high is None or event["timeNano"] <= high)
        ]
        return FakeStream(chosen)

    # --- writes --------------------------------------------------------------------------------

    def _url(self, pathfmt: str, *args: str, **kwargs) -> str:
        return f"{self.base_url}/v{API_VERSION}" + pathfmt.format(*args)

    def _result(self, response: FakeResponse, json: bool = False, binary: bool = False):  # noqa: A002
        if json and response.payload is None:
            raise ValueError("Expecting value: line 1 column 1 (char 0)")  # what requests' .json() raises
        return response.payload if json else json_dumps(response.payload)

    def _raise_for_status(self, response: FakeResponse) -> None:
        """Errors are raised by the methods themselves (``fail``): a response here is a success."""

    def _post_json(self, url: str, data: dict | None = None, params: dict | None = None, **kwargs) -> FakeResponse:
        path = url.split(f"/v{API_VERSION}", 1)[1]
        self._call("_post_json", path=path, data=data, params=params)
        self.writes.append(Write("post", path, copy.deepcopy(data), dict(params or {})))
        if path == "/services/create":
            return FakeResponse({"ID": self._service_create(data or {})})
        found = re.fullmatch(r"/services/([^/]+)/update", path)
        if found:
            self._service_update(found.group(1), data or {}, params or {})
            return FakeResponse({"Warnings": None})
        found = re.fullmatch(r"/nodes/([^/]+)/update", path)
        if found:
            self._node_update(found.group(1), data or {}, params or {})
            return FakeResponse(None)
        if path == "/containers/create":
            return FakeResponse({"Id": f"fakecontainer{next(self._ids):051d}", "Warnings": []})
        return FakeResponse({})

    def _service_create(self, spec: dict) -> str:
        if any(s["Spec"]["Name"] == spec.get("Name") for s in self._services):
            raise api_error(
                409,
                "rpc error: code = AlreadyExists desc = name conflicts with an existing object: "
                f"service {spec.get('Name')} exists",
            )
        service_id = f"fakeservice{next(self._ids):014d}"
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        raw = {
            "ID": service_id,
            "Version": {"Index": 1},
            "CreatedAt": now,
            "UpdatedAt": now,
            "Spec": copy.deepcopy(spec),
        }
        self._inspected[service_id] = copy.deepcopy(raw)
        self._services.append({**raw, "ServiceStatus": {"RunningTasks": 0, "DesiredTasks": 0, "CompletedTasks": 0}})
        return service_id

    def _service_update(self, service: str, spec: dict, params: dict) -> None:
        listed = self._find_service(service)
        raw = self._inspected[listed["ID"]]
        if int(params.get("version", -1)) != raw["Version"]["Index"]:
            raise recorded_error("update_out_of_sequence")
        previous = raw["Spec"]
        if params.get("rollback") == "previous":
            spec = raw.get("PreviousSpec") or spec
        raw["PreviousSpec"], raw["Spec"] = previous, copy.deepcopy(spec)
        raw["Version"]["Index"] += 1
        raw["UpdatedAt"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        for key in ("PreviousSpec", "Spec", "Version", "UpdatedAt"):
            listed[key] = copy.deepcopy(raw[key])

    def _node_update(self, node_id: str, spec: dict, params: dict) -> None:
        raw = self._find_node(node_id)
        if int(params.get("version", -1)) != raw["Version"]["Index"]:
            raise recorded_error("update_out_of_sequence")
        if raw["Spec"]["Role"] == "manager" and spec.get("Role") == "worker" and self._managers() == [raw]:
            # swarmkit's controlapi UpdateNode, as the engine answers it (FailedPrecondition: 400).
            raise api_error(
                400, "rpc error: code = FailedPrecondition desc = attempting to demote the last manager of the swarm"
            )
        raw["Spec"] = copy.deepcopy(spec)
        raw["Version"]["Index"] += 1
        raw["UpdatedAt"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")

    def _managers(self) -> list[dict]:
        return [raw for raw in self._nodes if raw["Spec"]["Role"] == "manager"]

    def remove_node(self, node_id: str, force: bool = False) -> bool:
        self._call("remove_node", node_id=node_id, force=force)
        raw = self._find_node(node_id)
        # swarmkit's controlapi RemoveNode, in its order and words.
        if raw["Spec"]["Role"] == "manager":
            raise api_error(
                400,
                f"rpc error: code = FailedPrecondition desc = node {raw['ID']} is a cluster manager and is a member "
                "of the raft cluster. It must be demoted to worker before removal",
            )
        if not force and raw["Status"]["State"] == "ready":
            raise api_error(
                400, f"rpc error: code = FailedPrecondition desc = node {raw['ID']} is not down and can't be removed"
            )
        self.writes.append(Write("remove_node", "", None, {"force": force}, (node_id,)))
        self._nodes.remove(raw)
        return True

    def _named_write(self, method: str, *args, **kwargs) -> None:
        self._call(method, args=args, **kwargs)
        self.writes.append(Write(method, "", None, dict(kwargs), args))

    def remove_service(self, service: str) -> bool:
        raw = self._find_service(service)
        self._named_write("remove_service", service)
        self._services.remove(raw)
        self._inspected.pop(raw["ID"], None)
        return True

    def start(self, container: str, *args, **kwargs) -> None:
        self._named_write("start", container)

    def stop(self, container: str, timeout: int | None = None) -> None:
        self._named_write("stop", container, timeout=timeout)

    def rename(self, container: str, name: str) -> None:
        self._named_write("rename", container, name)

    def remove_container(self, container: str, v: bool = False, link: bool = False, force: bool = False) -> None:
        self._named_write("remove_container", container, v=v, force=force)

    def pull(self, repository: str, tag: str | None = None, **kwargs) -> str:
        self._named_write("pull", repository, tag=tag)
        return ""

    # --- secrets and configs, as engine 20.10 answers (checked on the sandbox) --------------------

    def file_add(self, kind: str, name: str, *, data: bytes = b"", labels: dict | None = None) -> str:
        """A secret or config that exists already; returns its id."""
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        object_id = f"fake{kind}{next(self._ids):019d}"
        spec: dict = {"Name": name, "Labels": dict(labels or {})}
        if kind == "config":  # the engine never returns a secret's data
            spec["Data"] = base64.b64encode(data).decode()
        self._files[kind].append(
            {"ID": object_id, "Version": {"Index": 11}, "CreatedAt": now, "UpdatedAt": now, "Spec": spec}
        )
        return object_id

    def _file_find(self, kind: str, object_id: str) -> dict:
        for raw in self._files[kind]:
            if object_id in (raw["ID"], raw["Spec"]["Name"]):
                return raw
        raise api_error(404, f"{kind} {object_id} not found")

    def _file_list(self, kind: str, filters: dict | None) -> list[dict]:
        names = _values((filters or {}).get("name", []))
        # The engine's name filter matches prefixes (s1 finds s10 too).
        return [
            copy.deepcopy(raw)
            for raw in self._files[kind]
            if not names or any(raw["Spec"]["Name"].startswith(n) for n in names)
        ]

    def _file_create(self, kind: str, name: str, data: bytes | str, labels: dict | None) -> dict:
        self._call(f"create_{kind}", name=name, labels=labels)
        if any(raw["Spec"]["Name"] == name for raw in self._files[kind]):
            raise api_error(409, f"rpc error: code = AlreadyExists desc = {kind} {name} already exists")
        data = data if isinstance(data, bytes) else data.encode()
        self.writes.append(Write(f"create_{kind}", "", None, {"name": name, "labels": dict(labels or {})}))
        self.file_data[name] = data
        return {"ID": self.file_add(kind, name, data=data, labels=labels)}

    def _file_remove(self, kind: str, object_id: str) -> None:
        self._call(f"remove_{kind}", object_id=object_id)
        raw = self._file_find(kind, object_id)
        key = f"{kind.capitalize()}s"
        users = sorted(
            service["Spec"]["Name"]
            for service in self._inspected.values()
            if any(
                ref.get(f"{kind.capitalize()}ID") == raw["ID"]
                for ref in service["Spec"].get("TaskTemplate", {}).get("ContainerSpec", {}).get(key) or []
            )
        )
        if users:
            raise api_error(
                400,
                f"rpc error: code = InvalidArgument desc = {kind} '{raw['Spec']['Name']}' is in use by the following "
                f"service: {', '.join(users)}",
            )
        self.writes.append(Write(f"remove_{kind}", "", None, {}, (object_id,)))
        self._files[kind].remove(raw)

    def secrets(self, filters: dict | None = None) -> list[dict]:
        self._call("secrets", filters=filters)
        return self._file_list("secret", filters)

    def inspect_secret(self, id: str) -> dict:  # noqa: A002 - docker-py's name
        self._call("inspect_secret", id=id)
        return copy.deepcopy(self._file_find("secret", id))

    def create_secret(self, name: str, data: bytes | str, labels: dict | None = None, driver=None) -> dict:
        return self._file_create("secret", name, data, labels)

    def remove_secret(self, id: str) -> bool:  # noqa: A002
        self._file_remove("secret", id)
        return True

    def configs(self, filters: dict | None = None) -> list[dict]:
        self._call("configs", filters=filters)
        return self._file_list("config", filters)

    def inspect_config(self, id: str) -> dict:  # noqa: A002
        self._call("inspect_config", id=id)
        return copy.deepcopy(self._file_find("config", id))

    def create_config(self, name: str, data: bytes | str, labels: dict | None = None, templating=None) -> dict:
        return self._file_create("config", name, data, labels)

    def remove_config(self, id: str) -> bool:  # noqa: A002
        self._file_remove("config", id)
        return True

    # --- networks, as engine 20.10 answers (recorded on the sandbox: networks.json, network_errors.json)

    def network_id(self, name: str) -> str:
        return self._network_find(name)["Id"]

    def _network_find(self, network: str) -> dict:
        # The engine takes an id, a name or a unique prefix of an id.
        for raw in self._networks:
            if network in (raw["Id"], raw["Name"]):
                return raw
        matches = [raw for raw in self._networks if raw["Id"].startswith(network)]
        if len(matches) == 1:
            return matches[0]
        raise _network_error("network_missing", "nosuchnetwork", network)

    def networks(self, names=None, ids=None, filters: dict | None = None) -> list[dict]:
        self._call("networks", filters=filters)
        label = (filters or {}).get("label")
        return [copy.deepcopy(raw) for raw in self._networks if not label or _label_matches(raw["Labels"] or {}, label)]

    def inspect_network(self, net_id: str, verbose=None, scope=None) -> dict:
        self._call("inspect_network", net_id=net_id)
        return copy.deepcopy(self._network_find(net_id))

    def create_network(
        self,
        name: str,
        driver=None,
        options=None,
        ipam=None,
        check_duplicate=None,
        internal=False,
        labels=None,
        enable_ipv6=False,
        attachable=None,
        scope=None,
        ingress=None,
    ) -> dict:
        self._call("create_network", name=name)
        if any(raw["Name"] == name for raw in self._networks):
            raise _network_error("network_exists", "rec-front", name)
        network_id = f"fakenetwork{next(self._ids):014d}"
        configs = [{key: value for key, value in pool.items() if value} for pool in (ipam or {}).get("Config") or []]
        for config in configs:  # the engine fills the gateway in: the subnet's first address
            config.setdefault("Gateway", str(next(ipaddress.ip_network(config["Subnet"]).hosts())))
        raw = {
            "Name": name,
            "Id": network_id,
            "Created": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "Scope": scope or "swarm",
            "Driver": driver,
            "EnableIPv6": enable_ipv6,
            "IPAM": {
                "Driver": "default",
                "Options": None,
                "Config": configs or [{"Subnet": "10.0.9.0/24", "Gateway": "10.0.9.1"}],
            },
            "Internal": internal,
            "Attachable": bool(attachable),
            "Ingress": False,
            "ConfigFrom": {"Network": ""},
            "ConfigOnly": False,
            "Containers": None,
            "Options": {"com.docker.network.driver.overlay.vxlanid_list": "4200", **(options or {})},
            "Labels": dict(labels or {}),
        }
        kept = {
            "driver": driver,
            "options": options,
            "ipam": ipam,
            "internal": internal,
            "labels": labels,
            "attachable": attachable,
            "scope": scope,
            "check_duplicate": check_duplicate,
        }
        self.writes.append(Write("create_network", "", None, copy.deepcopy(kept), (name,)))
        self._networks.append(raw)
        return {"Id": network_id, "Warning": ""}

    def remove_network(self, net_id: str) -> None:
        self._call("remove_network", net_id=net_id)
        raw = self._network_find(net_id)
        if raw["Name"] in ("bridge", "host", "none"):
            raise _network_error("network_predefined", "bridge", raw["Name"])
        users = [
            service["ID"]
            for service in self._inspected.values()
            if any(
                item.get("Target") == raw["Id"]
                for item in service["Spec"].get("TaskTemplate", {}).get("Networks") or []
            )
        ]
        if users:
            error = recorded_network_error("network_in_use_service")
            words = re.sub(
                r"network \S+ is in use by service \S+",
                f"network {raw['Id']} is in use by service {users[0]}",
                error["explanation"],
            )
            raise api_error(error["status_code"], words)
        self.writes.append(Write("remove_network", "", None, {}, (net_id,)))
        self._networks.remove(raw)

    def close(self) -> None:
        pass


def recorded_network_error(name: str) -> dict:
    return dict(_recording("network_errors")["data"][name])


def _network_error(name: str, recorded_name: str, name_now: str) -> APIError:
    """A recorded network refusal, naming ``name_now`` where the recording named ``recorded_name``."""
    error = recorded_network_error(name)
    return api_error(error["status_code"], error["explanation"].replace(recorded_name, name_now))


def json_dumps(value: object) -> str:
    return json.dumps(value)


def _labels(container: dict) -> dict:
    return container.get("Labels") or {}


def _label_matches(labels: dict, wanted: str | list[str]) -> bool:
    """The engine's label filter: "key" (present) or "key=value", all of a list."""
    for item in [wanted] if isinstance(wanted, str) else wanted:
        key, equals, value = item.partition("=")
        if key not in labels or (equals and labels[key] != value):
            return False
    return True


def _event_service(event: dict) -> str:
    actor = event.get("Actor") or {}
    if event["Type"] == "service":
        return actor.get("ID", "")
    return (actor.get("Attributes") or {}).get("com.docker.swarm.service.id", "")


def _values(value: str | list[str]) -> list[str]:
    """An engine filter's values: docker-py sends a list or one string."""
    return value if isinstance(value, list) else [value]
