"""`make run`'s files are the panel's user's alone: another local user reads neither the database
(every session is in it) nor Redis (whoever reaches it can queue jobs), and finds no password in ps."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import uuid
from pathlib import Path

import pytest

from .support import ROOT, VENV_BIN, free_port, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def other_user():
    name = f"sd-other-{uuid.uuid4().hex[:6]}"
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True)
    yield name
    subprocess.run(["userdel", name], check=False)


@pytest.fixture
def panel_run(docker_host):
    """`make run` (bin/run) on the test engine, with a data directory an older release left open:
    0755, a database 0644, under a folder every user may enter (not pytest's private tmp_path)."""
    base = Path(f"/tmp/swarmdeck-private-{uuid.uuid4().hex[:8]}")  # noqa: S108 - reachable by the other user
    base.mkdir(mode=0o755)
    base.chmod(0o755)
    data = base / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    database = data / "swarmdeck.sqlite3"
    database.touch()
    database.chmod(0o644)
    redis_port = free_port()
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "REDIS_"))},
        "SWARMDECK_DATA_DIR": str(data),
        "SWARMDECK_PORT": str(free_port()),
        "SWARMDECK_REDIS_PORT": str(redis_port),
        "DOCKER_HOST": docker_host,
    }
    log = base / "run.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [VENV_BIN / "python", ROOT / "bin/run"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until(lambda: "Swarmdeck is at" in log.read_text(), timeout=120, message=log.read_text)
        yield data, redis_port, process
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(60)
        subprocess.run(["rm", "-rf", str(base)], check=False)


def _as(user: str, *command: str) -> subprocess.CompletedProcess:
    return subprocess.run(["runuser", "-u", user, "--", *command], capture_output=True, text=True, timeout=30)


def test_another_local_user_reads_neither_the_database_nor_redis(panel_run, other_user):
    data, redis_port, process = panel_run

    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for path in [data / "swarmdeck.sqlite3", data / "secret_key", data / "redis_password", *data.glob("*-wal")]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert _as(other_user, "cat", str(data / "swarmdeck.sqlite3")).returncode != 0
    assert _as(other_user, "ls", str(data / "redis")).returncode != 0

    refused = _as(other_user, "redis-cli", "-p", str(redis_port), "ping")
    assert "NOAUTH" in refused.stdout + refused.stderr
    password = (data / "redis_password").read_text().strip()
    allowed = subprocess.run(
        ["redis-cli", "-p", str(redis_port), "--no-auth-warning", "-a", password, "ping"],
        capture_output=True,
        text=True,
    )
    assert allowed.stdout.strip() == "PONG"

    # No process of the panel shows the password on its command line (ps shows them to everyone).
    command_lines = [
        Path(f"/proc/{pid}/cmdline").read_bytes()
        for pid in os.listdir("/proc")
        if pid.isdigit()
        if Path(f"/proc/{pid}/cmdline").exists()
    ]
    assert not [line for line in command_lines if password.encode() in line]
