"""Fixtures of the real stack: the sandbox swarm, Redis, the panel's processes (daphne, a Celery
worker, the watcher), chromium, and the sandbox's network namespace (a registry, port forwards,
the panel's image). Slow tests use them; each starts what it needs once per session and stops it
at the end; every service a test creates carries the TEST_LABEL and is removed afterwards.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest
import redis
from django.conf import settings

from .support import ARTIFACTS, CHROMIUM_ARGS, READY_LINES, ROOT, TEST_IMAGE, TEST_LABEL, VENV_BIN, wait_until
from .support import free_port as _free_port

# --- the engine -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def docker_host() -> str:
    if not os.environ.get("SWARMDECK_TEST_DOCKER_HOST"):
        subprocess.run([ROOT / "bin/sandbox", "up", "test"], check=True, stdout=subprocess.DEVNULL)
    return settings.DOCKER_HOST


@pytest.fixture(scope="session")
def docker_client(docker_host) -> Iterator[docker.DockerClient]:
    client = docker.DockerClient(base_url=docker_host, version="auto", timeout=30)
    yield client
    for service in client.services.list(filters={"label": TEST_LABEL}):
        service.remove()
    client.close()


@pytest.fixture
def make_service(docker_client) -> Iterator[Callable[..., docker.models.services.Service]]:
    """Create a labelled test service through the Docker SDK; removed after the test."""
    created = []

    def make(command=("sleep", "100000"), name: str | None = None, image: str = TEST_IMAGE, **kwargs):
        labels = {TEST_LABEL: "1", **kwargs.pop("labels", {})}
        kwargs.setdefault("mode", docker.types.ServiceMode("replicated", replicas=1))
        service = docker_client.services.create(
            image, command=list(command), name=name or f"t-{uuid.uuid4().hex[:8]}", labels=labels, **kwargs
        )
        created.append(service)
        return service

    yield make
    for service in created:
        with contextlib.suppress(docker.errors.NotFound):
            service.remove()


def running_tasks(service) -> int:
    service.reload()
    return sum(1 for task in service.tasks() if task["Status"]["State"] == "running")


# --- Redis ------------------------------------------------------------------------------------


class RedisServer:
    """The tests' private redis-server, which a test may stop and start again."""

    def __init__(self, url: str, port: int) -> None:
        self.url, self.port, self.process = url, port, None
        self.client = redis.Redis.from_url(url, socket_connect_timeout=1)

    def start(self) -> None:
        if _redis_answers(self.client):
            # One left by an earlier run (killed before it could stop it) is used, if it still works:
            # one whose folder was deleted since answers PING but refuses every write.
            try:
                self.client.set("swarmdeck:test:writable", "1", ex=10)
            except redis.exceptions.ResponseError as exc:
                pytest.exit(f"the Redis on port {self.port} is not the tests' and refuses writes ({exc}): stop it")
            return
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        wait_until(lambda: _redis_answers(self.client), timeout=10, message="redis-server did not start")

    def stop(self) -> None:
        if self.process is None:
            pytest.skip("this Redis was not started by the tests")
        self.process.terminate()
        self.process.wait(10)
        self.process = None


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer(settings.REDIS_URL, settings.TEST_REDIS_PORT)
    server.start()
    yield server
    if server.process:
        server.stop()


def _redis_answers(client) -> bool:
    try:
        return client.ping()
    except redis.exceptions.ConnectionError:
        return False


# --- the panel's own processes ----------------------------------------------------------------


@dataclass
class Stack:
    url: str
    env: dict
    processes: dict[str, subprocess.Popen]

    def start(self, name: str) -> None:
        self.processes[name] = _spawn(name, self.env, self.url)
        ready = READY_LINES.get(name)
        if ready:
            wait_until(
                lambda: ready in self.log(name), timeout=60, message=f"{name} did not get ready:\n{self.log(name)}"
            )

    def log(self, name: str) -> str:
        return _log_path(name).read_text(errors="replace")

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        process = self.processes.pop(name)
        if sig == signal.SIGKILL:
            os.killpg(process.pid, sig)  # with whatever it started: nothing lives on to finish its jobs
        else:
            process.send_signal(sig)
        process.wait(20)


def _command(name: str, url: str) -> list[str]:
    python = [str(VENV_BIN / "python"), "manage.py"]
    port = url.rsplit(":", 1)[1]
    return {
        "web": [*python, "serve", "--bind", "127.0.0.1", "--port", port],
        # The pool and its size are the settings' (threads), as in production.
        "worker": [str(VENV_BIN / "celery"), "-A", "dashboard", "worker", "-l", "INFO"],
        # Started by the tests of a periodic task only: the others would see the reaper run.
        "beat": [str(VENV_BIN / "celery"), "-A", "dashboard", "beat", "-s", str(_log_path("beat").with_suffix(".db"))],
        "watcher": [*python, "watch_swarm"],
    }[name]


def _log_path(name: str) -> Path:
    # Another folder (and SWARMDECK_TEST_SQLITE_PATH) lets two test runs share the machine.
    return Path(os.environ.get("SWARMDECK_TEST_LOG_DIR", ROOT / "var" / "test-logs")) / f"{name}.log"


def _spawn(name: str, env: dict, url: str) -> subprocess.Popen:
    path = _log_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    log = open(path, "ab")  # noqa: SIM115 - lives as long as the process
    # A session of its own, so a test can kill the process with all its children at once.
    return subprocess.Popen(
        _command(name, url), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


@pytest.fixture(scope="session")
def stack(django_db_setup, django_db_blocker, docker_host, redis_server) -> Iterator[Stack]:
    """Daphne, a Celery worker and the watcher, as separate processes on the test database."""
    from django.db import connection

    with django_db_blocker.unblock():
        db = connection.settings_dict
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="tests.settings",
        PYTHONUNBUFFERED="1",
        # Short enough that the test of a killed worker sees its job redelivered and resumed.
        SWARMDECK_JOB_VISIBILITY_TIMEOUT="8",
        SWARMDECK_JOB_STALE_SECONDS="4",
        # An updated test service proves itself healthy in seconds, not the default two minutes.
        SWARMDECK_UPDATE_MONITOR_SECONDS="5",
        # The beat, when a test starts it, runs the retention every 2 s instead of hourly.
        SWARMDECK_RETENTION_SECONDS="2",
    )
    if db["ENGINE"].endswith("sqlite3"):
        env["SWARMDECK_SQLITE_PATH"] = str(db["NAME"])
    else:
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    url = f"http://127.0.0.1:{_free_port()}"
    stack = Stack(url=url, env=env, processes={})
    for name in ("web", "worker", "watcher"):
        stack.start(name)
    wait_until(lambda: _http_answers(url), timeout=30, message="daphne did not start")
    yield stack
    for process in stack.processes.values():
        process.terminate()
    for process in stack.processes.values():
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()


def _http_answers(url: str) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=1):
            return True
    except OSError:
        return False


# --- the browser ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """Module-scoped: Playwright's sync API keeps an event loop running in this thread, which
    Django's ORM and async_to_sync refuse, so it must end before other modules run."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def page(browser) -> Iterator:
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


# --- the panel's image, a registry and ports inside the sandbox's network namespace -----------


@pytest.fixture(scope="session")
def sandbox_netns(docker_host) -> str:
    if os.environ.get("SWARMDECK_TEST_DOCKER_HOST"):
        pytest.skip("the container tests need the test sandbox (its network namespace)")
    return subprocess.run(
        [ROOT / "bin/sandbox", "netns", "test"], check=True, capture_output=True, text=True
    ).stdout.strip()


class Forwards:
    """Ports of the sandbox's own loopback, reachable from this machine's loopback."""

    def __init__(self, netns: str) -> None:
        self.netns, self.processes = netns, []

    def __call__(self, port: int) -> int:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "netns_forward.py"), self.netns, str(port)],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.processes.append(process)
        return int(process.stdout.readline())

    def close(self) -> None:
        for process in self.processes:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def forward(sandbox_netns) -> Iterator[Forwards]:
    forwards = Forwards(sandbox_netns)
    yield forwards
    forwards.close()


REGISTRY = "127.0.0.1:5000"  # inside the sandbox's namespace: the engine trusts it without TLS


class Registry:
    """Debian's docker-registry, serving the sandbox engine on its own 127.0.0.1:5000."""

    def __init__(self, netns: str) -> None:
        self.netns, self.process = netns, None
        self.dir = ROOT / "var" / "test" / "registry"
        self.config = self.dir / "config.yml"

    def start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.config.write_text(
            "version: 0.1\n"
            f"storage:\n  filesystem:\n    rootdirectory: {self.dir / 'data'}\n  delete:\n    enabled: true\n"
            f"http:\n  addr: {REGISTRY}\n"
        )
        log = open(self.dir / "registry.log", "ab")  # noqa: SIM115 - lives as long as the process
        self.process = subprocess.Popen(
            ["nsenter", f"--net={self.netns}", "docker-registry", "serve", str(self.config)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        check = ["nsenter", f"--net={self.netns}", sys.executable, "-c"]
        probe = f"import socket; socket.create_connection(('127.0.0.1', {REGISTRY.rsplit(':', 1)[1]}), timeout=1)"
        wait_until(lambda: subprocess.run([*check, probe], capture_output=True).returncode == 0, timeout=20)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


@pytest.fixture(scope="session")
def registry(sandbox_netns) -> Iterator[Registry]:
    if subprocess.run(["which", "docker-registry"], capture_output=True).returncode != 0:
        pytest.fail("docker-registry is missing: bin/bootstrap test installs it")
    server = Registry(sandbox_netns)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def panel_image(docker_host) -> str:
    """The panel's image, built by bin/image (as `make image` does) on the test engine."""
    env = dict(os.environ, DOCKER_HOST=docker_host)
    subprocess.run([ROOT / "bin/image"], check=True, env=env, stdout=subprocess.DEVNULL)
    return "swarmdeck:latest"


def docker_cli(*args: str, check: bool = True, host: str | None = None) -> str:
    """The docker CLI against the test engine (as the README's commands are typed)."""
    result = subprocess.run(
        ["docker", "-H", host or settings.DOCKER_HOST, *args], capture_output=True, text=True, timeout=300
    )
    if check and result.returncode != 0:
        pytest.fail(f"docker {' '.join(args)} failed: {result.stderr}")
    return result.stdout.strip()
