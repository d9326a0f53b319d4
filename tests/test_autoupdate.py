"""Auto-update on the real engine and a real registry (Debian's docker-registry in the sandbox's
namespace): a service that opted in by label, the panel as a Swarm service, the panel as a plain
container. Each pushes v2 under the followed tag (it is applied), then a broken v3 (it is rolled
back by itself and never tried again)."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests

from jobs.models import Job
from updates.models import UpdateTarget
from updates.runners import update_check_request

from .conftest import REGISTRY, TEST_IMAGE, TEST_LABEL, docker_cli, wait_until

pytestmark = [pytest.mark.slow]

SOCKET_MOUNT = "/var/run/docker.sock"
ENTRYPOINT = "/app/docker/entrypoint.py"


def _build(tag: str, dockerfile: str) -> None:
    from django.conf import settings

    subprocess.run(
        ["docker", "-H", settings.DOCKER_HOST, "build", "-q", "-t", tag, "-"],
        input=dockerfile,
        text=True,
        check=True,
        capture_output=True,
    )


def _push(source: str, target: str) -> str:
    """Tag and push; return the registry digest now under the tag."""
    docker_cli("tag", source, target)
    out = docker_cli("push", target)
    return re.search(r"digest: (sha256:[0-9a-f]{64})", out)[1]


def _wait_job(job_id: int, timeout: float = 120) -> Job:
    def finished():
        job = Job.objects.get(id=job_id)
        return job if job.finished else None

    found = wait_until(finished, timeout=timeout, fail=False)
    if found is None:
        job = Job.objects.get(id=job_id)
        pytest.fail(f"job {job_id} ({job.kind}) did not finish: {job.state} {job.attempts} {job.steps}")
    return found


def _service_image(name: str) -> str:
    return docker_cli("service", "inspect", "-f", "{{.Spec.TaskTemplate.ContainerSpec.Image}}", name)


# --- a service that opted in with the label -----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_opted_in_service_follows_its_tag_and_a_failing_version_is_rolled_back(stack, registry, make_service):
    repo = f"{REGISTRY}/t-follow-{uuid.uuid4().hex[:6]}"
    command = ("sh", "-c", "test -f /healthy && exec sleep 100000")
    _build(f"{repo}:v1", f"FROM {TEST_IMAGE}\nRUN echo 1 > /version && touch /healthy\n")
    _build(f"{repo}:v2", f"FROM {TEST_IMAGE}\nRUN echo 2 > /version && touch /healthy\n")
    _build(f"{repo}:v3", f"FROM {TEST_IMAGE}\nRUN echo 3 > /version\n")  # exits at once: no /healthy
    v1 = _push(f"{repo}:v1", f"{repo}:auto")
    followed = make_service(command, image=f"{repo}:auto", labels={"swarmdeck.autoupdate": "true"})
    ignored = make_service(command, image=f"{repo}:auto")
    wait_until(
        lambda: docker_cli("service", "ps", followed.name, "--format", "{{.CurrentState}}").startswith("Running")
    )
    ignored_image = _service_image(ignored.name)

    # Created through the API, the spec names only the tag: the first check pins it to the digest.
    check = _wait_job(update_check_request().id)
    assert check.state == Job.State.SUCCEEDED, check.steps
    target = UpdateTarget.objects.get(key=f"service:{followed.id}")
    pin = _wait_job(Job.objects.get(kind=Job.Kind.IMAGE_UPDATE, params__target=target.key).id)
    assert pin.state == Job.State.SUCCEEDED, (pin.error_code, pin.error, pin.steps)
    assert _service_image(followed.name) == f"{repo}:auto@{v1}", pin.steps
    assert not UpdateTarget.objects.filter(key=f"service:{ignored.id}").exists()

    # Up to date: nothing to do.
    _wait_job(update_check_request().id)
    target.refresh_from_db()
    assert (target.result, target.available_digest) == (UpdateTarget.Result.UP_TO_DATE, v1)
    assert Job.objects.filter(kind=Job.Kind.IMAGE_UPDATE).count() == 1

    # v2 under the tag: the followed service moves to its digest, the other one never does.
    v2 = _push(f"{repo}:v2", f"{repo}:auto")
    _wait_job(update_check_request().id)
    update = Job.objects.filter(kind=Job.Kind.IMAGE_UPDATE, params__target=target.key).order_by("-id").first()
    update = _wait_job(update.id)
    assert update.state == Job.State.SUCCEEDED, (update.error_code, update.error, update.steps)
    assert _service_image(followed.name) == f"{repo}:auto@{v2}"
    assert _service_image(ignored.name) == ignored_image
    target.refresh_from_db()
    assert (target.result, target.running_digest) == (UpdateTarget.Result.UP_TO_DATE, v2)

    # A v3 that never starts: Swarm rolls it back by itself; the job says so, with Swarm's reason.
    v3 = _push(f"{repo}:v3", f"{repo}:auto")
    _wait_job(update_check_request().id)
    update = Job.objects.filter(kind=Job.Kind.IMAGE_UPDATE, params__target=target.key).order_by("-id").first()
    update = _wait_job(update.id, timeout=180)
    assert update.state == Job.State.ROLLED_BACK, (update.error_code, update.error, update.steps)
    assert update.error_code == "rolled_back"
    assert _service_image(followed.name) == f"{repo}:auto@{v2}"
    target.refresh_from_db()
    assert target.rolled_back_digests == [v3]

    # The tag still names v3: the next check leaves it alone.
    count = Job.objects.filter(kind=Job.Kind.IMAGE_UPDATE).count()
    _wait_job(update_check_request().id)
    target.refresh_from_db()
    assert target.result == UpdateTarget.Result.ROLLED_BACK_BEFORE
    assert Job.objects.filter(kind=Job.Kind.IMAGE_UPDATE).count() == count

    # The registry goes away: a clear result, nothing changed.
    registry.stop()
    try:
        _wait_job(update_check_request().id)
        target.refresh_from_db()
        assert target.result == UpdateTarget.Result.REGISTRY_UNREACHABLE
        assert Job.objects.filter(kind=Job.Kind.IMAGE_UPDATE).count() == count
        assert _service_image(followed.name) == f"{repo}:auto@{v2}"
    finally:
        registry.start()


# --- the panel itself ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def panel_versions(panel_image, registry) -> dict[str, str]:
    """v1 (the built image), v2 (the same panel, another digest), v3 (does not start: production
    mode without a secret key), as local tags to push under a followed tag."""
    _build("swarmdeck-t:v2", f"FROM {panel_image}\nLABEL swarmdeck.test.version=2\n")
    _build("swarmdeck-t:v3", f"FROM {panel_image}\nENV SWARMDECK_PRODUCTION=true\n")
    return {"v1": panel_image, "v2": "swarmdeck-t:v2", "v3": "swarmdeck-t:v3"}


def _folder_jobs(folder: Path, kind: str) -> list[tuple[int, str, str]]:
    with sqlite3.connect(f"file:{folder / 'swarmdeck.sqlite3'}?mode=ro", uri=True) as db:
        return db.execute(
            "SELECT id, state, error_code FROM services_job WHERE kind = ? ORDER BY id", [kind]
        ).fetchall()


def _wait_folder_job(folder: Path, count: int, timeout: float) -> tuple[int, str, str]:
    def done():
        rows = _folder_jobs(folder, "image_update")
        if len(rows) >= count and rows[count - 1][1] in ("succeeded", "failed", "rolled_back", "paused"):
            return rows[count - 1]
        return None

    return wait_until(done, timeout=timeout, interval=1, message="the image update did not finish")


def _engine_socket() -> str:
    from django.conf import settings

    return settings.DOCKER_HOST.removeprefix("unix://")


def _answers(url: str) -> bool:
    try:
        return requests.get(url + "/healthz", timeout=3).status_code == 200
    except requests.RequestException:
        return False


def _panel_v1(tmp_path: Path, panel_versions: dict[str, str], kind: str) -> tuple[Path, str, int, str]:
    """A data folder, v1 pushed under a fresh tag, a port of the sandbox and a name."""
    folder = tmp_path / "data"
    folder.mkdir()
    suffix = uuid.uuid4().hex[:6]
    tag = f"{REGISTRY}/swarmdeck:{kind}-{suffix}"
    _push(panel_versions["v1"], tag)
    return folder, tag, 20000 + uuid.uuid4().int % 20000, f"swarmdeck-{kind}-{suffix}"


def test_the_panel_as_a_swarm_service_updates_itself_and_rolls_back_a_broken_version(panel_versions, forward, tmp_path):
    folder, tag, port, name = _panel_v1(tmp_path, panel_versions, "svc")
    docker_cli(
        "service", "create", "--detach", "--name", name, "--label", f"{TEST_LABEL}=1",
        "--constraint", "node.role==manager",
        "--publish", f"published={port},target=8000,mode=host",
        "--mount", f"type=bind,src={folder},dst=/data",
        "--mount", f"type=bind,src={_engine_socket()},dst={SOCKET_MOUNT}",
        "--env", "SWARMDECK_AUTO_UPDATE=true",
        "--env", "SWARMDECK_UPDATE_MONITOR_SECONDS=15",
        "--env", "SWARMDECK_JOB_STALE_SECONDS=8",
        "--health-interval", "3s", "--health-start-period", "90s",
        tag,
    )  # fmt: skip
    url = f"http://127.0.0.1:{forward(port)}"

    def exec_check():
        container = wait_until(
            lambda: docker_cli("ps", "-q", "--filter", f"label=com.docker.swarm.service.name={name}"), timeout=60
        )
        docker_cli("exec", container.split()[0], "python", ENTRYPOINT, "manage", "check_updates")

    try:
        wait_until(lambda: _answers(url), timeout=150, message="the panel service never became healthy")
        v2 = _push(panel_versions["v2"], tag)
        exec_check()
        assert _wait_folder_job(folder, 1, timeout=240)[1] == "succeeded"
        assert _service_image(name) == f"{tag}@{v2}"
        wait_until(lambda: _answers(url), timeout=90)

        _push(panel_versions["v3"], tag)
        exec_check()
        job = _wait_folder_job(folder, 2, timeout=300)
        assert job[1:] == ("rolled_back", "rolled_back"), job
        assert _service_image(name) == f"{tag}@{v2}"
        wait_until(lambda: _answers(url), timeout=90, message="the panel did not come back after the rollback")
    finally:
        docker_cli("service", "rm", name, check=False)


def test_the_panel_as_a_plain_container_is_swapped_by_a_helper_and_put_back(panel_versions, forward, tmp_path):
    folder, tag, port, name = _panel_v1(tmp_path, panel_versions, "ctr")
    url = f"http://127.0.0.1:{forward(port)}"
    docker_cli(
        "run", "-d", "--name", name, "--label", f"{TEST_LABEL}=1", "-p", f"{port}:8000",
        "-v", f"{folder}:/data", "-v", f"{_engine_socket()}:{SOCKET_MOUNT}",
        "-e", "SWARMDECK_UPDATE_MONITOR_SECONDS=60",
        tag,
    )  # fmt: skip

    def manage(*args: str) -> str:
        return docker_cli("exec", name, "python", ENTRYPOINT, "manage", *args)

    try:
        wait_until(lambda: _answers(url), timeout=120, message="the panel container never became healthy")
        v2 = _push(panel_versions["v2"], tag)

        # The flag is off (the default): the check finds v2 and changes nothing.
        manage("check_updates")
        wait_until(lambda: [row for row in _folder_jobs(folder, "update_check") if row[1] == "succeeded"], timeout=60)
        time.sleep(2)
        assert _folder_jobs(folder, "image_update") == []
        image_before = docker_cli("inspect", "-f", "{{.Image}}", name)

        manage("shell", "-c", "from updates import policy; policy.auto_update_set(enabled=True)")
        manage("check_updates")
        assert _wait_folder_job(folder, 1, timeout=240)[1] == "succeeded"
        assert docker_cli("inspect", "-f", "{{.Image}}", name) != image_before
        assert v2 in docker_cli(
            "image", "inspect", "-f", "{{json .RepoDigests}}", docker_cli("inspect", "-f", "{{.Image}}", name)
        )
        assert docker_cli("ps", "-aq", "--filter", f"name={name}-previous") == ""
        wait_until(lambda: _answers(url), timeout=90)
        image_v2 = docker_cli("inspect", "-f", "{{.Image}}", name)

        _push(panel_versions["v3"], tag)
        manage("check_updates")
        job = _wait_folder_job(folder, 2, timeout=300)
        assert job[1:] == ("rolled_back", "new_unhealthy"), job
        assert docker_cli("inspect", "-f", "{{.Image}}", name) == image_v2
        wait_until(lambda: _answers(url), timeout=120, message="the old container did not come back")
        assert list((folder / "backups").glob("*.sqlite3"))
    finally:
        for container in docker_cli("ps", "-aq", "--filter", f"name={name}").split():
            docker_cli("rm", "-f", container, check=False)


def test_registry_digest_needs_no_pull(registry, docker_host):
    """The check asks the registry through the engine: the image is not pulled by it."""
    import engine

    repo = f"{REGISTRY}/t-nopull-{uuid.uuid4().hex[:6]}"
    digest = _push(TEST_IMAGE, f"{repo}:x")
    docker_cli("rmi", f"{repo}:x")

    assert engine.image_remote_digest(image=f"{repo}:x") == digest
    assert docker_cli("images", "-q", repo) == ""
    with pytest.raises(engine.TagNotFound):
        engine.image_remote_digest(image=f"{repo}:missing")
