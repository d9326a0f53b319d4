"""Record the engine's own JSON for the fast tests' fake engine (tests/fake_engine.py).

Run against the test sandbox (``bin/sandbox up test``), never an engine that matters:

    .venv/bin/python tests/record_engine_json.py [--host unix://…/var/test/docker.sock]

It creates a few services labelled ``swarmdeck.record`` (not the slow tests' label, whose session
teardown would remove them mid-recording), lets them live for a while, saves what the APIClient
calls of engine/ answer into tests/engine_json/*.json (one file per call, each with the engine's
version), and removes its services. The services, by design:

- ``rec-web``: 2 replicas of httpd with a health check, env, labels, a pause-on-failure update
  policy; then updated (its environment), after which the check passes in slot 1 only (the slot
  reaches the container through a templated environment variable): Swarm kills slot 2's new tasks
  as unhealthy (exit 137) and pauses the update: PreviousSpec, UpdateStatus "paused", 1 of 2
  tasks running.
- ``rec-global``: a global service.
- ``rec-crash``: exits 15 a second after it starts, restarted by Swarm over and over.
- ``rec-mounts``: a volume, a tmpfs and a read-only bind mount, a host-mode port; updated once
  (a label), so its UpdateStatus is "completed".
"""

from __future__ import annotations

import argparse
import contextlib
import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import docker
from docker.errors import APIError

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent / "engine_json"
LABEL = "swarmdeck.record"
IMAGE = "swarmdeck-test/busybox:1"
SECOND = 1_000_000_000


def _service_spec(name: str, mode: dict, container: dict, **extra) -> dict:
    return {
        "Name": name,
        "Labels": {LABEL: "1", **extra.pop("labels", {})},
        "Mode": mode,
        "TaskTemplate": {
            "ContainerSpec": {"Image": IMAGE, **container},
            "RestartPolicy": extra.pop("restart", {"Condition": "any", "Delay": SECOND}),
        },
        **extra,
    }


SPECS = [
    _service_spec(
        "rec-web",
        {"Replicated": {"Replicas": 2}},
        {
            "Args": ["httpd", "-f", "-p", "8080", "-h", "/www"],
            "Env": ["DB_PASSWORD=not-a-secret", "GREETING=hello world", "SLOT={{.Task.Slot}}"],
            "Labels": {"role": "frontend"},
            "Healthcheck": {
                "Test": [
                    "CMD-SHELL",
                    '[ "$SLOT" = 1 -o "$GREETING" = "hello world" ] && wget -q -O /dev/null http://127.0.0.1:8080/',
                ],
                "Interval": SECOND,
                "Timeout": SECOND,
                "Retries": 2,
            },
        },
        labels={"tier": "front", "team": "web"},
        restart={"Condition": "on-failure", "Delay": SECOND, "MaxAttempts": 3},
        UpdateConfig={"Parallelism": 1, "FailureAction": "pause", "Monitor": 60 * SECOND, "MaxFailureRatio": 0},
    ),
    _service_spec("rec-global", {"Global": {}}, {"Args": ["sleep", "100000"]}, labels={"tier": "infra"}),
    _service_spec("rec-crash", {"Replicated": {"Replicas": 1}}, {"Args": ["sh", "-c", "sleep 1; exit 15"]}),
    _service_spec(
        "rec-mounts",
        {"Replicated": {"Replicas": 1}},
        {
            "Args": ["httpd", "-f", "-p", "8080", "-h", "/www"],
            "Mounts": [
                {"Type": "volume", "Source": "rec-data", "Target": "/data"},
                {"Type": "tmpfs", "Target": "/cache", "TmpfsOptions": {"SizeBytes": 1 << 20}},
                {"Type": "bind", "Source": "/tmp", "Target": "/host-tmp", "ReadOnly": True},
            ],
        },
        EndpointSpec={
            "Ports": [{"Protocol": "tcp", "TargetPort": 8080, "PublishedPort": 18081, "PublishMode": "host"}]
        },
    ),
]


def _post_json(api: docker.APIClient, path: str, *args: str, body: dict, params: dict | None = None) -> dict:
    # As engine.client.post_json: the spec is sent exactly as written.
    response = api._post_json(api._url(path, *args), data=body, params=params)
    return api._result(response, json=True) or {}


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            print(f"  (gave up waiting for {what})")
            return
        time.sleep(0.5)


def _error(call) -> dict:
    """The shape docker-py gives an engine refusal: status code and the engine's words."""
    try:
        call()
    except APIError as exc:
        return {"status_code": exc.status_code, "explanation": exc.explanation}
    return {}


def _ours(services_ids: set[str]):
    return lambda item: item.get("ServiceID") in services_ids


def record(host: str) -> None:
    api = docker.APIClient(base_url=host, version="auto", timeout=60)
    version = api.version()
    for stale in api.services(filters={"label": LABEL}):
        api.remove_service(stale["ID"])
    # The engine replays only its last 256 events, which health-check execs soon push out: the
    # events are followed live, on a client of their own, while the services live.
    stream_api = docker.APIClient(base_url=host, version="auto", timeout=None)
    stream = stream_api.events(filters={"type": ["service", "container", "node"]}, decode=True)
    followed: list[dict] = []
    follower = threading.Thread(target=_follow, args=(stream, followed), daemon=True)
    follower.start()
    ids: dict[str, str] = {}
    try:
        for spec in SPECS:
            ids[spec["Name"]] = _post_json(api, "/services/create", body=spec)["ID"]
            print("created", spec["Name"], ids[spec["Name"]])
        ours = set(ids.values())

        def running(name: str, count: int) -> bool:
            tasks = api.tasks(filters={"service": ids[name], "desired-state": "running"})
            return sum(1 for t in tasks if t["Status"]["State"] == "running") >= count

        _wait(lambda: running("rec-web", 2) and running("rec-mounts", 1), 60, "the services to run")
        time.sleep(4)  # healthy web tasks, a few crashes of rec-crash

        # rec-web: a new environment, in which slot 2's health check fails: the update pauses.
        raw = api.inspect_service(ids["rec-web"])
        spec = raw["Spec"]
        spec["TaskTemplate"]["ContainerSpec"]["Env"][1] = "GREETING=hello again"
        _post_json(api, "/services/{0}/update", raw["ID"], body=spec, params={"version": raw["Version"]["Index"]})
        # rec-mounts: a new label and environment, a rolling update that completes.
        raw = api.inspect_service(ids["rec-mounts"])
        spec = raw["Spec"]
        spec["Labels"]["release"] = "2"
        spec["TaskTemplate"]["ContainerSpec"]["Env"] = ["RELEASE=2"]
        _post_json(api, "/services/{0}/update", raw["ID"], body=spec, params={"version": raw["Version"]["Index"]})

        def update_state(name: str) -> str:
            return (api.inspect_service(ids[name]).get("UpdateStatus") or {}).get("State", "")

        _wait(lambda: update_state("rec-web") == "paused", 90, "rec-web's update to pause")
        _wait(lambda: update_state("rec-mounts") == "completed", 60, "rec-mounts' update to complete")
        time.sleep(2)

        data: dict[str, object] = {}
        data["services"] = [s for s in api.services(status=True) if s["ID"] in ours]
        data["inspect_service"] = {service_id: api.inspect_service(service_id) for service_id in ours}
        data["tasks"] = [t for t in api.tasks() if t.get("ServiceID") in ours]
        data["nodes"] = api.nodes()
        data["info"] = api.info()
        task_ids = {t["ID"] for t in data["tasks"]}
        containers = api.containers(all=True, filters={"label": "com.docker.swarm.task.id"})
        data["containers"] = [
            c for c in containers if (c.get("Labels") or {}).get("com.docker.swarm.task.id") in task_ids
        ]
        data["inspect_container"] = {c["Id"]: api.inspect_container(c["Id"]) for c in data["containers"]}
        stream.close()
        follower.join(10)
        data["events"] = _events_kept(list(followed), ours, task_ids)
        data["inspect_image"] = {IMAGE: api.inspect_image(IMAGE)}
        data["errors"] = {
            "inspect_service_missing": _error(lambda: api.inspect_service("nosuchservice0000000000000")),
            "inspect_container_missing": _error(lambda: api.inspect_container("nosuchcontainer")),
            "inspect_image_missing": _error(lambda: api.inspect_image("nosuch/image:1")),
            "update_out_of_sequence": _error(
                lambda: _post_json(
                    api,
                    "/services/{0}/update",
                    ids["rec-global"],
                    body=api.inspect_service(ids["rec-global"])["Spec"],
                    params={"version": 1},
                )
            ),
            # No registry listens there in the sandbox: the engine's words for "unreachable".
            "inspect_distribution_unreachable": _error(lambda: api.inspect_distribution("127.0.0.1:5999/app:1")),
        }
        # On a worker, the engine refuses Swarm calls with 503; the sandbox is a manager, so the shape
        # is the one docker's own daemon writes (daemon/cluster/errors.go), with its status code.
        data["errors"]["not_manager"] = {
            "status_code": 503,
            "explanation": 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" '
            "to connect this node to swarm and try again.",
            "synthetic": True,
        }
        # The moment the answers were read: the fake engine moves every timestamp by now - this.
        meta = {
            "engine_version": version["Version"],
            "api_version": version["ApiVersion"],
            "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "recorded_by": "tests/record_engine_json.py",
        }
        OUT.mkdir(exist_ok=True)
        for name, value in data.items():
            path = OUT / f"{name}.json"
            path.write_text(json.dumps({"meta": meta, "data": value}, indent=1, sort_keys=True) + "\n")
            print("wrote", path.relative_to(ROOT))
    finally:
        for service_id in ids.values():
            with contextlib.suppress(APIError):
                api.remove_service(service_id)
        _wait(
            lambda: (
                not api.containers(
                    all=True, filters={"label": f"com.docker.swarm.service.id={ids.get('rec-mounts', '-')}"}
                )
            ),
            30,
            "rec-mounts' containers to go",
        )
        with contextlib.suppress(APIError):
            api.remove_volume("rec-data", force=True)
        api.close()
        stream_api.close()


def _follow(stream, into: list[dict]) -> None:
    with contextlib.suppress(Exception):  # the stream ends with an error when it is closed
        for event in stream:
            into.append(event)


def _events_kept(events: list[dict], services: set[str], task_ids: set[str]) -> list[dict]:
    """Our services' events, less the flood of health-check execs (a few of them are kept)."""
    kept, execs = [], 0
    for event in events:
        attributes = (event.get("Actor") or {}).get("Attributes") or {}
        mine = (
            event.get("Type") == "node"
            or (event.get("Actor") or {}).get("ID") in services
            or attributes.get("com.docker.swarm.service.id") in services
            or attributes.get("com.docker.swarm.task.id") in task_ids
        )
        if not mine:
            continue
        if event.get("Action", "").startswith("exec_"):
            execs += 1
            if execs > 3:
                continue
        kept.append(event)
    return kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=f"unix://{ROOT}/var/test/docker.sock")
    record(parser.parse_args().host)


if __name__ == "__main__":
    main()
