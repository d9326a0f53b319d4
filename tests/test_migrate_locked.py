"""Processes that start together (the container's roles, replicas) migrate once, under a lock."""

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow


def test_two_processes_migrating_a_new_database_at_once_both_succeed(tmp_path):
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="dashboard.settings", SWARMDECK_DATA_DIR=str(tmp_path))
    env.pop("DATABASE_URL", None)
    command = [sys.executable, str(ROOT / "manage.py"), "migrate_locked", "-v1"]

    def migrate(_):
        return subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(migrate, range(2)))

    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    applied = [r.stdout.count("... OK") for r in results]
    assert sorted(applied)[0] == 0 and sorted(applied)[1] > 10, applied  # one did it all, the other nothing
