"""The panel's image on the real engine: ncp-style all-in-one container, and as a Swarm service.

The image is built by bin/image (make image); the containers run on the test sandbox, whose
ports are reached through tests/netns_forward.py. A person activates the panel in chromium.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from .conftest import ARTIFACTS, ROOT, TEST_LABEL, docker_cli, wait_until

pytestmark = [pytest.mark.slow]

LINK = re.compile(r"Activate Swarmdeck at (http://\S+/activate/\?token=\S+)")
SOCKET_MOUNT = "/var/run/docker.sock"
OTHER_UID = 4321
# The image has no procps: find the watcher in /proc and kill it.
KILL_WATCHER = """
import os, signal
for pid in filter(str.isdigit, os.listdir("/proc")):
    if int(pid) != os.getpid() and b"watch_swarm" in open(f"/proc/{pid}/cmdline", "rb").read():
        os.kill(int(pid), signal.SIGKILL)
"""


def _engine_socket() -> str:
    from django.conf import settings

    return settings.DOCKER_HOST.removeprefix("unix://")


def _free_sandbox_port() -> int:
    # Any port the sandbox namespace does not use: it has nothing but what the tests publish.
    return 20000 + uuid.uuid4().int % 20000


def _data_folder(tmp_path: Path, uid: int | None) -> Path:
    folder = tmp_path / "ncdata"
    folder.mkdir()
    if uid is not None:
        os.chown(folder, uid, uid)
    return folder


def _run(image: str, folder: Path, port: int, name: str, *extra: str) -> str:
    return docker_cli(
        "run",
        "-d",
        "--name",
        name,
        "--label",
        f"{TEST_LABEL}=1",
        "-p",
        f"{port}:8000",
        "-v",
        f"{folder}:/data",
        "-v",
        f"{_engine_socket()}:{SOCKET_MOUNT}",
        *extra,
        image,
    )


def _logs(name: str) -> str:
    """What `docker logs` shows: the container's stdout and stderr."""
    from django.conf import settings

    result = subprocess.run(
        ["docker", "-H", settings.DOCKER_HOST, "logs", name], capture_output=True, text=True, timeout=60
    )
    return result.stdout + result.stderr


def _health(name: str) -> str:
    return docker_cli("inspect", "-f", "{{.State.Health.Status}}", name, check=False)


def _remove(name: str) -> None:
    docker_cli("rm", "-f", name, check=False)


def _rows(folder: Path, table: str) -> int:
    with sqlite3.connect(f"file:{folder / 'swarmdeck.sqlite3'}?mode=ro", uri=True) as db:
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 - a table name of ours


@pytest.fixture
def container_names() -> list[str]:
    names: list[str] = []
    yield names
    for name in names:
        _remove(name)


def test_all_in_one_container_on_a_folder_of_another_user(
    panel_image, forward, browser, tmp_path, container_names, make_service
):
    make_service(name=f"t-listed-{uuid.uuid4().hex[:6]}")
    folder = _data_folder(tmp_path, OTHER_UID)
    port = _free_sandbox_port()
    local = forward(port)
    url = f"http://127.0.0.1:{local}"
    name = f"swarmdeck-t-{uuid.uuid4().hex[:6]}"
    container_names.append(name)
    _run(panel_image, folder, port, name, "-e", f"SWARMDECK_URL={url}")

    link = wait_until(
        lambda: LINK.search(_logs(name)),
        timeout=90,
        message="no activation link in docker logs",
    )[1]
    assert link.startswith(url + "/activate/?token=")
    wait_until(lambda: _health(name) == "healthy", timeout=120, message=f"not healthy: {_health(name)}")
    health = requests.get(url + "/healthz", timeout=5).json()
    assert health == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "ok", "engine": "ok", "watcher": "ok"},
    }

    # Non-root: every process runs as the owner of the host folder, which keeps its owner; private files.
    assert folder.stat().st_uid == OTHER_UID
    for private in ("secret_key", "swarmdeck.sqlite3"):
        info = (folder / private).stat()
        assert (info.st_uid, info.st_mode & 0o777) == (OTHER_UID, 0o600), private
    processes = docker_cli("top", name, "-eo", "pid,uid,args").splitlines()[1:]
    assert processes and all(line.split()[1] == str(OTHER_UID) for line in processes), processes

    # A person activates it and sees the swarm's services.
    context = browser.new_context()
    page = context.new_page()
    page.goto(link)
    username = page.locator("#username").inner_text()
    password = page.locator("#password").inner_text()
    page.click("#activate")
    expect(page.locator(".wizard")).to_have_attribute("data-step", "language")
    page.click("button[value=skip]")
    page.goto(url + "/services/")
    expect(page.locator("body")).to_contain_text("t-listed-")
    page.screenshot(path=ARTIFACTS / "container-services.png", full_page=True)
    context.close()
    jobs_before = _rows(folder, "services_job")
    history_before = _rows(folder, "services_task")
    assert history_before > 0

    # Re-created on the same folder: still activated, same users and history.
    _remove(name)
    _run(panel_image, folder, port, name, "-e", f"SWARMDECK_URL={url}")
    wait_until(lambda: _health(name) == "healthy", timeout=120, message=f"not healthy: {_health(name)}")
    assert "Activate Swarmdeck" not in _logs(name)
    session = requests.Session()
    login_page = session.get(url + "/login/", timeout=5)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text)[1]
    response = session.post(
        url + "/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": csrf},
        headers={"Referer": url + "/login/"},
        timeout=10,
    )
    assert response.url.rstrip("/") == url, response.url
    assert _rows(folder, "services_job") == jobs_before
    assert _rows(folder, "services_task") >= history_before


def test_a_folder_from_an_older_version_is_migrated_once_and_keeps_its_choices(
    panel_image, forward, tmp_path, container_names, settings
):
    """A /data written by the previous release (root-owned, auto-update chosen in the wizard)."""
    folder = _data_folder(tmp_path, None)
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="dashboard.settings", SWARMDECK_DATA_DIR=str(folder))
    env.pop("DATABASE_URL", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    for target in (("accounts", "0001"), ("services", "0003")):
        subprocess.run([*manage, "migrate", *target, "-v0"], check=True, env=env, cwd=ROOT)
    with sqlite3.connect(folder / "swarmdeck.sqlite3") as db:
        db.execute(
            "INSERT INTO auth_user (password, last_login, is_superuser, username, first_name, last_name, email,"
            " is_staff, is_active, date_joined) VALUES ('!', '2026-01-01', 1, 'admin', '', '', '', 1, 1, '2026-01-01')"
        )
        db.execute(
            "INSERT INTO accounts_installation (singleton, activated_at, admin_id, auto_update, wizard_step,"
            " wizard_done_at) VALUES (1, '2026-01-01', 1, 1, 'updates', '2026-01-01')"
        )
    port = _free_sandbox_port()
    name = f"swarmdeck-t-{uuid.uuid4().hex[:6]}"
    container_names.append(name)
    _run(panel_image, folder, port, name)

    wait_until(lambda: _health(name) == "healthy", timeout=120, message=f"not healthy: {_health(name)}")
    logs = _logs(name)
    assert "Activate Swarmdeck" not in logs
    assert "Applying updates.0002_auto_update_from_installation... OK" in logs
    with sqlite3.connect(f"file:{folder / 'swarmdeck.sqlite3'}?mode=ro", uri=True) as db:
        assert db.execute("SELECT auto_update FROM updates_updatepolicy").fetchall() == [(1,)]
    assert folder.stat().st_uid == 10001  # a root-owned folder is given to the panel's user


def test_processes_that_die_are_restarted_and_the_log_says_so(panel_image, tmp_path, container_names):
    folder = _data_folder(tmp_path, None)
    name = f"swarmdeck-t-{uuid.uuid4().hex[:6]}"
    container_names.append(name)
    _run(panel_image, folder, _free_sandbox_port(), name)
    wait_until(lambda: "following Swarm events" in _logs(name), timeout=90)

    docker_cli("exec", name, "python", "-c", KILL_WATCHER)

    wait_until(lambda: "watcher exited" in _logs(name), timeout=20)
    logs = wait_until(lambda: (out := _logs(name)).count("following Swarm events") >= 2 and out, timeout=60)
    assert "restarting watcher" in logs
    assert docker_cli("inspect", "-f", "{{.State.Running}}", name) == "true"


def test_the_image_has_no_data_no_key_and_its_labels(panel_image):
    listing = docker_cli(
        "run", "--rm", "--entrypoint", "sh", panel_image, "-c", "ls -A /data; find / -xdev -name secret_key"
    )
    assert listing == ""
    # The Docker CLI that deploys stacks (settings.SWARMDECK_DOCKER_CLI), runnable by the panel's user.
    version = docker_cli("run", "--rm", "--user", "10001", "--entrypoint", "docker", panel_image, "--version")
    assert version.startswith("Docker version "), version
    labels = json.loads(docker_cli("inspect", "-f", "{{json .Config.Labels}}", panel_image))
    assert labels["org.opencontainers.image.version"]
    assert labels["org.opencontainers.image.revision"]
    assert docker_cli("inspect", "-f", "{{json .Config.Healthcheck.Test}}", panel_image)


def test_the_readme_service_create_line_runs_a_healthy_panel(panel_image, tmp_path, forward):
    """The README's `docker service create` line, with the sandbox's socket and a test folder."""
    readme = (ROOT / "README.md").read_text()
    line = re.search(r"^docker service create .*?swarmdeck:latest$", readme, re.S | re.M)[0]
    folder = _data_folder(tmp_path, None)
    port = _free_sandbox_port()
    command = (
        line.replace("\\\n", " ")
        .replace("/srv/swarmdeck", str(folder))
        .replace("src=/var/run/docker.sock", f"src={_engine_socket()}")
        .replace("published=8000", f"published={port}")
        .replace("swarmdeck:latest", panel_image)
    )
    name = f"swarmdeck-svc-{uuid.uuid4().hex[:6]}"
    args = command.split()[1:]
    args = [*args[:-1], "--name", name, "--label", f"{TEST_LABEL}=1", "--detach", args[-1]]
    args = [arg for arg in args if arg not in ("--name=swarmdeck",)]
    try:
        docker_cli(*args)
        url = f"http://127.0.0.1:{forward(port)}"

        def healthy():
            try:
                return requests.get(url + "/healthz", timeout=3).status_code == 200
            except requests.RequestException:
                return False

        wait_until(healthy, timeout=150, message="the service never answered /healthz")
        # Swarm reports the task running once the image's own HEALTHCHECK passed.
        state = lambda: docker_cli("service", "ps", name, "--format", "{{.CurrentState}}")  # noqa: E731
        wait_until(lambda: state().startswith("Running"), timeout=60, message=state())
    finally:
        docker_cli("service", "rm", name, check=False)
