"""docker/stack.yml, deployed for real with `docker stack deploy` on the test sandbox's swarm.

The panel's image and the stand-ins for redis:7 and postgres:15 (tests/images/) are built on the
sandbox engine by bin/image; the secrets are made as the file's comments say. The sandbox is a
one-node swarm whose node is a manager, so the worker-node watcher has no task there: one test
moves it onto the manager to prove that its database role is enough for what it does.
Everything the module creates (stack, secrets, volumes) is removed, even when a test fails.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from secrets import token_hex, token_urlsafe

import pytest
import requests

from .conftest import ROOT, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

STACK_FILE = ROOT / "docker" / "stack.yml"
PREFIX = "swarmdeck-t-stack"
NAMESPACE = "com.docker.stack.namespace"
SECRET_LABEL = "swarmdeck.test=stack"
REDIS_IMAGE = "swarmdeck-test/redis:7"
POSTGRES_IMAGE = "swarmdeck-test/postgres:15"
NODE_WATCHER_ROLE = "swarmdeck_node_watcher"
# Tasks each service runs on the one-node swarm (global services: one per matching node).
EXPECTED_TASKS = {"web": 1, "worker": 1, "beat": 1, "watcher": 1, "node-watcher": 0, "redis": 1, "db": 1}
PANEL_SERVICES = ("web", "worker", "beat", "watcher")
LINK = re.compile(r"Activate Swarmdeck at (http://\S+/activate/\?token=\S+)")


def _docker(*args: str, check: bool = True, env: dict | None = None, stdin: str | None = None) -> str:
    from django.conf import settings

    result = subprocess.run(
        ["docker", "-H", settings.DOCKER_HOST, *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=120,
    )
    if check and result.returncode != 0:
        pytest.fail(f"docker {' '.join(args)} failed ({result.returncode}): {result.stderr}")
    return result.stdout.strip()


def _lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip()]


@dataclass
class Deployment:
    name: str
    port: int  # published on the sandbox's loopback
    url: str  # the same, reached from here through tests/netns_forward.py
    secrets: dict[str, str]
    volumes: set[str] = field(default_factory=set)

    def service(self, short: str) -> str:
        return f"{self.name}_{short}"

    def container(self, short: str) -> str:
        """The running container of a one-task service."""
        return wait_until(
            lambda: _docker(
                "ps",
                "-q",
                "--filter",
                f"label=com.docker.swarm.service.name={self.service(short)}",
                "--filter",
                "status=running",
            ).split("\n")[0],
            timeout=30,
            message=f"no running container for {short}",
        )

    def logs(self, short: str) -> str:
        """Both streams, as the task wrote them: the panel logs to stderr."""
        from django.conf import settings

        return subprocess.run(
            ["docker", "-H", settings.DOCKER_HOST, "service", "logs", "--raw", self.service(short)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=60,
        ).stdout


def _make_secrets() -> dict[str, str]:
    """The secrets, as the comments at the top of docker/stack.yml make them."""
    db, node_watcher, redis_password = (token_hex(24) for _ in range(3))
    return {
        "swarmdeck_secret_key": token_urlsafe(48),
        "swarmdeck_db_password": db,
        "swarmdeck_database_url": f"postgres://swarmdeck:{db}@db:5432/swarmdeck",
        "swarmdeck_node_watcher_db_password": node_watcher,
        "swarmdeck_node_watcher_database_url": f"postgres://{NODE_WATCHER_ROLE}:{node_watcher}@db:5432/swarmdeck",
        "swarmdeck_redis_password": redis_password,
        "swarmdeck_redis_url": f"redis://:{redis_password}@redis:6379/0",
    }


SECRET_NAMES = tuple(_make_secrets())


def _remove_secrets() -> None:
    """Ours only (labelled): a secret of the same name without the label belongs to someone else."""
    ours = set(_lines(_docker("secret", "ls", "-q", "--filter", f"label={SECRET_LABEL}")))
    for name in SECRET_NAMES:
        secret_id = _docker("secret", "inspect", "-f", "{{.ID}}", name, check=False)
        if secret_id and secret_id not in ours:
            pytest.fail(f"a secret {name} that the tests did not make exists on the test engine")
        if secret_id:
            _docker("secret", "rm", name, check=False)


def _leftovers(name: str) -> dict[str, list[str]]:
    label = f"label={NAMESPACE}={name}"
    return {
        "services": _lines(_docker("service", "ls", "-q", "--filter", label, check=False)),
        "containers": _lines(_docker("ps", "-aq", "--filter", label, check=False)),
        "networks": _lines(_docker("network", "ls", "-q", "--filter", label, check=False)),
        "configs": _lines(_docker("config", "ls", "-q", "--filter", label, check=False)),
    }


def _volumes_of(name: str) -> set[str]:
    """The named and anonymous volumes of every container of the stack, running or not."""
    containers = _lines(_docker("ps", "-aq", "--filter", f"label={NAMESPACE}={name}", check=False))
    if not containers:
        return set()
    mounts = _docker("inspect", "-f", "{{range .Mounts}}{{if .Name}}{{.Name}} {{end}}{{end}}", *containers, check=False)
    return set(mounts.split())


def _stack_remove(name: str, volumes: set[str], *, strict: bool) -> None:
    """docker stack rm, then the named volumes it keeps on purpose. Strict: fail on anything else left."""
    volumes |= _volumes_of(name)
    _docker("stack", "rm", name, check=False)
    gone = wait_until(lambda: not any(_leftovers(name).values()), timeout=90, interval=0.5, fail=False)
    if strict and not gone:
        pytest.fail(f"docker stack rm left {_leftovers(name)}")
    named = set(_lines(_docker("volume", "ls", "-q", "--filter", f"label={NAMESPACE}={name}", check=False)))
    for volume in named:
        _docker("volume", "rm", volume, check=False)
    # Anonymous volumes (the images' VOLUME lines) go with their containers: the engine removes them.
    anonymous = volumes - named

    def left() -> set[str]:
        return anonymous & set(_lines(_docker("volume", "ls", "-q", check=False)))

    if strict and not wait_until(lambda: not left(), timeout=30, interval=0.5, fail=False):
        pytest.fail(f"anonymous volumes outlived the stack's containers: {left()}")
    for volume in left():
        _docker("volume", "rm", volume, check=False)


def _stack_ps(name: str) -> str:
    return _docker("stack", "ps", name, "--no-trunc", "--format", "{{.Name}} {{.CurrentState}} {{.Error}}", check=False)


def _task_counts(name: str) -> dict[str, tuple[int, int]]:
    """{short service name: (running, desired)} as `docker service ls` shows them."""
    counts = {}
    for line in _lines(
        _docker("service", "ls", "--filter", f"label={NAMESPACE}={name}", "--format", "{{.Name}} {{.Replicas}}")
    ):
        service, replicas = line.split()[:2]
        running, desired = replicas.split("/")
        counts[service.removeprefix(f"{name}_")] = (int(running), int(desired))
    return counts


def _converged(name: str) -> bool:
    return _task_counts(name) == {short: (count, count) for short, count in EXPECTED_TASKS.items()}


@pytest.fixture(scope="module")
def deployment(docker_host, forward, panel_image) -> Iterator[Deployment]:
    # One stack test at a time on this sandbox: the secrets' names are the file's, fixed.
    lock_path = ROOT / "var" / "test" / "stack-test.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        # What a killed earlier run may have left.
        for stale in _lines(_docker("stack", "ls", "--format", "{{.Name}}")):
            if stale.startswith(PREFIX):
                _stack_remove(stale, set(), strict=False)
        _remove_secrets()

        env = dict(os.environ, DOCKER_HOST=docker_host)
        subprocess.run([ROOT / "bin/image", "--test-images"], check=True, env=env, stdout=subprocess.DEVNULL)
        name = f"{PREFIX}-{uuid.uuid4().hex[:6]}"
        port = 20000 + uuid.uuid4().int % 20000
        deployment = Deployment(name=name, port=port, url=f"http://127.0.0.1:{forward(port)}", secrets=_make_secrets())
        try:
            for secret, value in deployment.secrets.items():
                _docker("secret", "create", "--label", SECRET_LABEL, secret, "-", stdin=value)
            # Only this test's variables reach the file (none of the developer's SWARMDECK_*).
            deploy_env = {key: value for key, value in os.environ.items() if not key.startswith("SWARMDECK_")}
            deploy_env.update(
                SWARMDECK_IMAGE=panel_image,
                SWARMDECK_REDIS_IMAGE=REDIS_IMAGE,
                SWARMDECK_POSTGRES_IMAGE=POSTGRES_IMAGE,
                SWARMDECK_HOST="127.0.0.1",
                SWARMDECK_PORT=str(port),
                SWARMDECK_URL=f"http://127.0.0.1:{port}",
                # The sandbox engine's socket: this machine has no /var/run/docker.sock.
                SWARMDECK_DOCKER_SOCKET=docker_host.removeprefix("unix://"),
            )
            _docker(
                "stack",
                "deploy",
                "--resolve-image",
                "never",
                "--detach=true",
                "-c",
                str(STACK_FILE),
                name,
                env=deploy_env,
            )
            if not wait_until(lambda: _converged(name), timeout=240, interval=1, fail=False):
                logs = {
                    short: deployment.logs(short)[-3000:]
                    for short, (running, desired) in _task_counts(name).items()
                    if running != desired or desired != EXPECTED_TASKS.get(short)
                }
                pytest.fail(f"the stack did not converge: {_task_counts(name)}\n{_stack_ps(name)}\n{logs}")
            yield deployment
        finally:
            _stack_remove(name, deployment.volumes, strict=False)
            _remove_secrets()


def test_every_service_converges_on_the_encrypted_network(deployment):
    counts = _task_counts(deployment.name)
    assert counts == {short: (count, count) for short, count in EXPECTED_TASKS.items()}
    network = json.loads(_docker("network", "inspect", deployment.service("swarmdeck")))[0]
    assert network["Driver"] == "overlay"
    assert network["Options"].get("encrypted") == "true"
    for short in EXPECTED_TASKS:
        spec = json.loads(_docker("service", "inspect", deployment.service(short)))[0]["Spec"]
        constraints = spec["TaskTemplate"].get("Placement", {}).get("Constraints", [])
        role = "worker" if short == "node-watcher" else "manager"
        assert constraints[:1] == [f"node.role == {role}"], (short, constraints)
        if short in PANEL_SERVICES:
            assert spec["UpdateConfig"]["FailureAction"] == "rollback"
            assert spec["UpdateConfig"]["Order"] == ("stop-first" if short == "web" else "start-first")
    # The web task's port is published on its node (mode: host), not through the routing mesh.
    web = json.loads(_docker("service", "inspect", deployment.service("web")))[0]
    assert [(port["PublishedPort"], port["PublishMode"]) for port in web["Endpoint"]["Ports"]] == [
        (deployment.port, "host")
    ]


def test_the_panel_is_healthy_over_plain_http_and_prints_its_activation_link(deployment):
    def healthz():
        try:
            response = requests.get(deployment.url + "/healthz", timeout=5)
        except requests.RequestException:
            return None
        return response.status_code == 200 and response.json()

    health = wait_until(healthz, timeout=60, message="/healthz never answered 200")
    assert health == {"status": "ok", "checks": {"database": "ok", "redis": "ok", "engine": "ok", "watcher": "ok"}}
    # SWARMDECK_HTTPS=false: no redirect to https.
    home = requests.get(deployment.url + "/", timeout=5, allow_redirects=False)
    assert not home.headers.get("Location", "").startswith("https:"), home.headers
    link = wait_until(
        lambda: LINK.search(deployment.logs("web")), timeout=30, message="no activation link in the web logs"
    )[1]
    assert link.startswith(f"http://127.0.0.1:{deployment.port}/activate/?token=")
    assert f"Granted the history tables to the node watchers' role {NODE_WATCHER_ROLE}" in deployment.logs("web")


def _psql(deployment: Deployment, sql: str, *, password: str | None = None) -> subprocess.CompletedProcess:
    """psql in the db container as the node watchers' role, with its password, as they connect: to "db"
    on the overlay network (the image trusts connections from its own loopback)."""
    from django.conf import settings

    password = password or deployment.secrets["swarmdeck_node_watcher_db_password"]
    command = ["psql", "-h", "db", "-U", NODE_WATCHER_ROLE, "-d", "swarmdeck", "-v", "ON_ERROR_STOP=1"]
    command += ["-tAc", sql]
    return subprocess.run(
        ["docker", "-H", settings.DOCKER_HOST, "exec", "-e", f"PGPASSWORD={password}", deployment.container("db")]
        + command,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_the_node_watcher_role_may_write_the_history_and_nothing_else(deployment):
    role = _psql(deployment, "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user")
    assert (role.returncode, role.stdout.strip()) == (0, "f|f|f"), role.stderr
    for table in ("services_task", "services_tasktransition", "services_serviceevent", "services_watcher"):
        allowed = _psql(deployment, f"SELECT count(*) FROM {table}")  # noqa: S608 - our own table names
        assert allowed.returncode == 0, (table, allowed.stderr)
    for sql in (
        "SELECT count(*) FROM services_job",
        "SELECT count(*) FROM auth_user",
        "SELECT count(*) FROM django_session",
        "SELECT count(*) FROM accounts_installation",
        "INSERT INTO services_job (kind) VALUES ('scale')",
        "UPDATE services_job SET state = 'queued'",
        "DELETE FROM services_watcher",
        # The history is written there, never erased: the retention runs on a manager.
        "DELETE FROM services_task",
        "DELETE FROM services_serviceevent",
        "CREATE TABLE swarmdeck_probe (id int)",
    ):
        denied = _psql(deployment, sql)
        assert denied.returncode != 0 and "permission denied" in denied.stderr, (sql, denied.stdout, denied.stderr)
    # A wrong password is refused (the role is not reachable without its secret).
    refused = _psql(deployment, "SELECT 1", password="not-the-password")
    assert refused.returncode != 0 and "password authentication failed" in refused.stderr, refused.stderr


def test_redis_refuses_commands_without_the_password(deployment):
    container = deployment.container("redis")
    assert "NOAUTH" in _docker("exec", container, "redis-cli", "ping", check=False)
    password = deployment.secrets["swarmdeck_redis_password"]
    assert _docker("exec", container, "redis-cli", "--no-auth-warning", "-a", password, "ping") == "PONG"
    # Not root, and the password is not on its command line (`ps` shows it to anyone on the node).
    status = _docker("exec", container, "cat", "/proc/1/status", "/proc/1/cmdline")
    assert re.search(r"^Uid:\s+[1-9]", status, re.M), status
    assert "redis-server" in status and password not in status


def test_the_node_watcher_holds_no_panel_secret_and_its_role_is_enough(deployment):
    service = deployment.service("node-watcher")
    spec = json.loads(_docker("service", "inspect", service))[0]["Spec"]["TaskTemplate"]["ContainerSpec"]
    assert [secret["SecretName"] for secret in spec["Secrets"]] == ["swarmdeck_node_watcher_database_url"]
    env = dict(item.split("=", 1) for item in spec["Env"])
    assert not {key for key in env if key.startswith(("REDIS_URL", "SECRET_KEY", "CELERY"))}, env
    assert env["SWARMDECK_WATCHER_PUBLISH"] == "false"
    for short in PANEL_SERVICES:
        panel = json.loads(_docker("service", "inspect", deployment.service(short)))[0]["Spec"]["TaskTemplate"]
        names = {secret["SecretName"] for secret in panel["ContainerSpec"]["Secrets"]}
        assert "swarmdeck_node_watcher_database_url" not in names and "swarmdeck_redis_url" in names, short

    # The sandbox has no worker node: run it on the manager, under a name of its own. A manager's
    # watcher also re-reads services and tasks, so this is more than a worker's does.
    _docker(
        "service",
        "update",
        "--detach",
        "--quiet",
        "--constraint-rm",
        "node.role == worker",
        "--constraint-add",
        "node.role == manager",
        "--env-add",
        "SWARMDECK_WATCHER_NAME=node-watcher-probe",
        service,
    )
    wait_until(
        lambda: _task_counts(deployment.name)["node-watcher"] == (1, 1),
        timeout=90,
        interval=1,
        message=f"the node watcher did not start on the manager:\n{_stack_ps(deployment.name)}",
    )
    wait_until(lambda: "following Swarm events as node-watcher-probe" in deployment.logs("node-watcher"), timeout=30)

    def watcher_row() -> str:
        result = _psql(
            deployment,
            "SELECT state, is_manager, heartbeat_at, last_event_ns FROM services_watcher"
            " WHERE name = 'node-watcher-probe'",
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    first = wait_until(watcher_row, timeout=10)
    assert first.startswith("connected|t|"), first
    # It keeps writing as its role: its heartbeat, or the cursor of the events it recorded.
    wait_until(lambda: watcher_row() != first, timeout=30, message=f"the node watcher's row stays {first}")
    sessions = _psql(
        deployment, "SELECT count(*) FROM pg_stat_activity WHERE usename = current_user AND pid <> pg_backend_pid()"
    )
    assert int(sessions.stdout) >= 1, sessions.stderr
    logs = deployment.logs("node-watcher")
    assert "permission denied" not in logs and "could not publish" not in logs, logs[-3000:]
    tasks = _lines(_docker("service", "ps", service, "--format", "{{.CurrentState}}"))
    assert len(tasks) == 1 and tasks[0].startswith("Running"), tasks


def test_stack_rm_leaves_nothing_behind(deployment):
    name = deployment.name
    deployment.volumes |= _volumes_of(name)
    assert f"{name}_db" in deployment.volumes
    _stack_remove(name, deployment.volumes, strict=True)
    assert not any(_leftovers(name).values()), _leftovers(name)
    existing = set(_lines(_docker("volume", "ls", "-q")))
    assert not deployment.volumes & existing, deployment.volumes & existing
    _remove_secrets()
    assert not _lines(_docker("secret", "ls", "-q", "--filter", f"label={SECRET_LABEL}"))
