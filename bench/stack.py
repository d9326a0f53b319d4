"""The real stack as `make run` starts it, private to one bench run: an engine (the `bench` sandbox
swarm unless --docker-host names one), Redis, daphne, a Celery worker with beat, the watcher, a
fresh database with an activated administrator, and an HTTP session logged in as that administrator.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import requests
from django.conf import settings

import engine
from tests.support import READY_LINES, ROOT, TEST_IMAGE, VENV_BIN, free_port, poll

LABEL = "swarmdeck.bench"
IMAGE = TEST_IMAGE  # imported by bin/sandbox; nothing can be pulled
SANDBOX = "bench"


def wait_until(predicate: Callable[[], object], timeout: float, message: str, interval: float = 0.1):
    """poll(), raising when the stack does not get there: the bench stops with the reason."""
    value = poll(predicate, timeout, interval)
    if not value:
        raise TimeoutError(message)
    return value


def _port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class Stack:
    def __init__(self, docker_host: str | None = None, keep: bool = False) -> None:
        self.docker_host, self.keep = docker_host, keep
        self.sandbox_started = False
        self.dir = Path(tempfile.mkdtemp(prefix="swarmdeck-bench-"))
        self.logs = self.dir / "logs"
        self.logs.mkdir()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.redis_port = free_port()
        self.processes: dict[str, subprocess.Popen] = {}
        self.password = secrets.token_urlsafe(18)
        self.engine_used = False
        self.session: requests.Session | None = None

    # --- start -------------------------------------------------------------------------------

    def start(self) -> None:
        self._engine()
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL_FILE", "DATABASE_URL_FILE")
        }
        self.env.update(
            DJANGO_SETTINGS_MODULE="dashboard.settings",
            PYTHONUNBUFFERED="1",
            SWARMDECK_DATA_DIR=str(self.dir),
            DOCKER_HOST=self.docker_host,
            REDIS_URL=f"redis://127.0.0.1:{self.redis_port}/0",
        )
        self.processes["redis"] = self._spawn(
            "redis",
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.redis_port), "--save", "", "--appendonly", "no"],
        )
        wait_until(lambda: _port_answers(self.redis_port), 20, "redis-server did not start")
        manage = [str(VENV_BIN / "python"), "manage.py"]
        subprocess.run([*manage, "migrate_locked", "-v0"], cwd=ROOT, env=self.env, check=True)
        subprocess.run([*manage, "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=self.env, check=True)
        subprocess.run(
            [*manage, "shell", "-v0", "-c", ADMIN_CODE],
            cwd=ROOT,
            env={**self.env, "BENCH_PW": self.password},
            check=True,
        )
        worker = [str(VENV_BIN / "celery"), "-A", "dashboard", "--quiet", "worker", "-l", "INFO"]
        worker += ["-B", "--schedule", str(self.dir / "celerybeat-schedule")]
        commands = {
            "worker": worker,
            "watcher": [*manage, "watch_swarm"],
            "web": [*manage, "serve", "--bind", "127.0.0.1", "--port", str(self.port)],
        }
        for name, command in commands.items():
            self.processes[name] = self._spawn(name, command)
        for name, line in READY_LINES.items():
            wait_until(lambda name=name, line=line: line in self.log(name), 90, f"{name} did not get ready")
        wait_until(lambda: _port_answers(self.port), 60, "daphne did not start")
        self.session = self.login()

    def _engine(self) -> None:
        if not self.docker_host:
            self.docker_host = subprocess.run(
                [ROOT / "bin/sandbox", "host", SANDBOX], check=True, capture_output=True, text=True
            ).stdout.strip()
            if not _engine_answers(self.docker_host):
                self.sandbox_started = True
                subprocess.run([ROOT / "bin/sandbox", "up", SANDBOX], check=True, stdout=subprocess.DEVNULL)
        _engine_use(self.docker_host)
        self.engine_used = True
        self.remove_services()  # what an interrupted run left behind

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the process
        # A session of its own: stopping it stops its children too (the worker's pool and beat).
        return subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def login(self) -> requests.Session:
        session = requests.Session()
        session.get(f"{self.url}/login/", timeout=30).raise_for_status()
        response = session.post(
            f"{self.url}/login/",
            data={"username": "admin", "password": self.password, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
            timeout=30,
            allow_redirects=False,
        )
        if response.status_code != 302 or "sessionid" not in session.cookies:
            raise RuntimeError(f"login failed: {response.status_code}")
        return session

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.session.cookies.items())

    def query(self, sql: str) -> list[tuple]:
        """Rows of the panel's own SQLite database, opened read-only beside the running panel."""
        path = Path(self.dir) / "swarmdeck.sqlite3"
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)) as db:
            return db.execute(sql).fetchall()

    def counts(self, pages: dict[str, tuple[str, dict]]) -> dict[str, dict]:
        """Docker API calls and database queries of one render of each page (bench/counts.py)."""
        code = "import bench.counts; bench.counts.main()"
        result = subprocess.run(
            [str(VENV_BIN / "python"), "manage.py", "shell", "-c", code],
            cwd=ROOT,
            env={**self.env, "BENCH_PAGES": json.dumps(pages)},
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(result.stdout.strip().splitlines()[-1])

    # --- what runs where ----------------------------------------------------------------------

    def pids(self) -> dict[str, int]:
        return {name: self.processes[name].pid for name in ("web", "worker", "watcher")}

    def machine(self) -> dict:
        meminfo = Path("/proc/meminfo").read_text()
        total_kib = int(re.search(r"MemTotal:\s+(\d+)", meminfo).group(1))
        cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        info = engine.swarm_info()
        return {
            "nproc": os.cpu_count(),
            "cpu": cpu.group(1) if cpu else platform.processor(),
            "ram_mib": total_kib // 1024,
            "kernel": platform.release(),
            "python": platform.python_version(),
            "engine_version": info.engine_version,
            "engine": "sandbox"
            if self.docker_host.endswith("/docker.sock") and "/var/" in self.docker_host
            else "given",
        }

    # --- services -----------------------------------------------------------------------------

    def create_service(self, name: str, replicas: int, kind: str = "live") -> engine.ServiceSummary:
        spec = {
            "Name": name,
            "Labels": {LABEL: kind},
            "Mode": {"Replicated": {"Replicas": replicas}},
            "TaskTemplate": {
                # busybox sleep as PID 1 ignores SIGTERM: a short grace period makes scaling down quick.
                "ContainerSpec": {"Image": IMAGE, "Command": ["sleep", "100000"], "StopGracePeriod": 10**9},
            },
        }
        return engine.service_get(service_id=engine.service_create(spec=spec))

    def remove_services(self) -> None:
        for service in engine.services_labelled(label=LABEL):
            with contextlib.suppress(engine.ServiceNotFound):
                engine.service_remove(service_id=service.id)

    # --- stop ---------------------------------------------------------------------------------

    def stop(self) -> None:
        if self.engine_used:
            with contextlib.suppress(Exception):
                self.remove_services()
        for name in ("web", "watcher", "worker", "redis"):
            process = self.processes.pop(name, None)
            if process is None:
                continue
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        if self.sandbox_started:
            subprocess.run([ROOT / "bin/sandbox", "stop", SANDBOX], check=False, stdout=subprocess.DEVNULL)
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)


def _engine_use(host: str) -> None:
    """Talk to the engine at ``host`` through the panel's own adapter (engine/), as the panel does."""
    if not settings.configured:
        settings.configure(DOCKER_HOST=host, DOCKER_TIMEOUT=60, USE_TZ=True)
    settings.DOCKER_HOST = host


def _engine_answers(host: str) -> bool:
    _engine_use(host)
    try:
        engine.node_identity()
    except engine.EngineError:
        return False
    return True


ADMIN_CODE = """
import os
from django.contrib.auth import get_user_model
from accounts.models import Installation, Profile
user = get_user_model().objects.create_user("admin", password=os.environ["BENCH_PW"], is_staff=True, is_superuser=True)
Installation.objects.create(admin=user, wizard_done_at=user.date_joined)
Profile.objects.create(user=user, role="admin")
"""
