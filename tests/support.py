"""What every test module may use: paths, names, and waiting for the real stack to get there.

A plain module (not a conftest), so the fixture modules and the tests import it alike; so does the
bench (bench/), which starts the same stack outside pytest: nothing here needs pytest but
``wait_until``'s failure.
"""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
ARTIFACTS = ROOT / "test-artifacts"
TEST_LABEL = "swarmdeck.test"
TEST_IMAGE = "swarmdeck-test/busybox:1"
# A line each process logs once it really works (worker connected to Redis, watcher following).
READY_LINES = {"worker": "ready.", "watcher": "following Swarm events"}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def poll(predicate: Callable[[], object], timeout: float, interval: float = 0.2):
    """Call predicate() until it is truthy and return its value; None once ``timeout`` has passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            return None
        time.sleep(interval)


def wait_until(
    predicate: Callable[[], object], timeout: float = 30, interval: float = 0.2, message: str = "", fail: bool = True
):
    """Poll until predicate() is truthy; return its value, or fail with message (None if not fail)."""
    value = poll(predicate, timeout, interval)
    if value or not fail:
        return value
    import pytest  # here only: the bench imports this module outside pytest

    pytest.fail(message or f"condition not met within {timeout}s")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def migrate_to(targets: list[tuple[str, str]] | None = None):
    """Migrate the test database to ``targets`` (the latest migrations when None); return the apps
    as they were then, for writing rows the way that release did."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps
