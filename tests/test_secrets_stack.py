"""Secrets and configs on the real stack (daphne, the Celery worker, the watcher, the sandbox engine):
a secret created in the panel reaches a service created through the panel's form, as the file the
form asked for, and its value reaches no page, Job row, table or process log; it is rotated as one
job; removing one in use is refused in the engine's words. A config the same way, lighter; and a
person creating a secret in chromium."""

import json
import os
import uuid
from pathlib import Path

import docker
import pytest
from django.db import connection
from django.urls import reverse
from playwright.sync_api import expect

from jobs.models import Job

from .conftest import ARTIFACTS, ROOT, TEST_IMAGE, TEST_LABEL, browser_login, running_tasks, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _finished(job_id: int, state: str = "succeeded") -> Job:
    if not wait_until(lambda: Job.objects.get(id=job_id).finished, timeout=120, fail=False):
        pytest.fail(f"job {job_id} did not finish: {Job.objects.get(id=job_id).steps[-4:]}")
    job = Job.objects.get(id=job_id)
    assert job.state == state, (job.error_code, job.error, job.steps[-3:])
    return job


def _job(response) -> Job:
    assert response.status_code == 302, response.content.decode()[:2000]
    return Job.objects.get(id=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))


def _file_in_task(docker_client, service_name: str, path: str) -> str:
    """``cat path`` in the service's running container ("" while there is none)."""
    label = f"com.docker.swarm.service.name={service_name}"
    for container in docker_client.containers.list(filters={"label": label}):
        try:
            result = container.exec_run(["cat", path])
        except docker.errors.APIError:
            continue  # stopped meanwhile: an update replaces it
        if result.exit_code == 0:
            return result.output.decode(errors="replace")
    return ""


def _database_dump() -> str:
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from the schema
            rows += [repr(row) for row in cursor.fetchall()]
    return "\n".join(rows)


def _logs() -> list[str]:
    folder = Path(os.environ.get("SWARMDECK_TEST_LOG_DIR", ROOT / "var" / "test-logs"))
    logs = [path.read_text(errors="replace") for path in folder.glob("*.log")]
    assert logs, "no log of the stack's processes was found"
    return logs


def _cleanup(docker_client, *, service: str, prefix: str) -> None:
    for leftover in docker_client.services.list(filters={"name": service}):
        leftover.remove()
    # A secret stays "in use" until the service's removal has gone through.
    for kind in (docker_client.secrets, docker_client.configs):
        for item in kind.list(filters={"name": prefix}):
            wait_until(lambda item=item: _removed(item), timeout=30, fail=False)


def _removed(item) -> bool:
    try:
        item.remove()
    except Exception:  # noqa: BLE001 - still in use for a moment, or gone already
        return False
    return True


def test_a_secret_reaches_its_service_only_rotates_and_is_not_removed_while_used(stack, panel_client, docker_client):
    tag = uuid.uuid4().hex[:10]
    value, rotated = f"first-{tag}-value", f"second-{tag}-value"
    name, service_name = f"t-sec-{tag[:6]}", f"t-secsvc-{tag[:6]}"
    pages = []
    try:
        created = _finished(
            _job(panel_client.post(reverse("swarm_secrets:create"), {"name": name, "content": value})).id
        )
        secret = docker_client.secrets.get(created.target_id)
        assert secret.name == name

        response = panel_client.post(
            reverse("services:create"),
            {
                "name": service_name,
                "image": TEST_IMAGE,
                "args": "sleep 100000",
                "labels": f"{TEST_LABEL}=1",
                "secrets": f"source={name},target=app-pw,uid=0,gid=0,mode=0400",
            },
        )
        service_job = _finished(_job(response).id)
        service = docker_client.services.get(service_name)
        wait_until(lambda: running_tasks(service) == 1, timeout=60, message="the service never ran its task")
        (reference,) = service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Secrets"]
        assert reference["File"] == {"Name": "app-pw", "UID": "0", "GID": "0", "Mode": 0o400}
        assert _file_in_task(docker_client, service_name, "/run/secrets/app-pw") == value

        for url in (
            reverse("swarm_secrets:list"),
            reverse("swarm_secrets:detail", args=[secret.id]),
            reverse("swarm_secrets:rotate", args=[secret.id]),
            reverse("swarm_secrets:remove", args=[secret.id]),
            reverse("services:detail", args=[service.id]),
            reverse("services:update", args=[service.id]),
            reverse("jobs:list"),
            reverse("jobs:detail", args=[created.id]),
            reverse("jobs:detail", args=[service_job.id]),
        ):
            page = panel_client.get(url)
            assert page.status_code == 200, url
            pages.append(page.content.decode())
        assert name in pages[0] and service_name in pages[0]  # the list names the secret and its service

        # Rotate: one job creates <name>-v2, moves the service (same file), removes the old one.
        rotate = _finished(
            _job(panel_client.post(reverse("swarm_secrets:rotate", args=[secret.id]), {"content": rotated})).id
        )
        pages.append(panel_client.get(reverse("jobs:detail", args=[rotate.id])).content.decode())
        codes = [step["code"] for step in rotate.steps]
        assert codes[-5:] == [
            "secret_created",
            "rotate_services",
            "rotate_service_updated",
            "secret_removed",
            "succeeded",
        ]
        service.reload()
        (reference,) = service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Secrets"]
        assert reference["SecretName"] == f"{name}-v2"
        assert reference["File"] == {"Name": "app-pw", "UID": "0", "GID": "0", "Mode": 0o400}
        assert [s.name for s in docker_client.secrets.list(filters={"name": name})] == [f"{name}-v2"]
        wait_until(
            lambda: _file_in_task(docker_client, service_name, "/run/secrets/app-pw") == rotated,
            timeout=90,
            message="the service's new task never had the new value",
        )

        # Removing the new version while the service uses it: the engine refuses, in its words.
        new_id = reference["SecretID"]
        remove_page = panel_client.get(reverse("swarm_secrets:remove", args=[new_id])).content.decode()
        assert "Docker refuses to remove it" in remove_page
        refused = _finished(
            _job(panel_client.post(reverse("swarm_secrets:remove", args=[new_id]), {"confirm_name": f"{name}-v2"})).id,
            state="failed",
        )
        assert refused.error_code == "secret_in_use"
        assert f"secret '{name}-v2' is in use by the following service: {service_name}" in refused.error
        assert docker_client.secrets.get(new_id)

        rows = [json.dumps([job.params, job.steps, job.error, job.target_name]) for job in Job.objects.all()]
        dump, logs = _database_dump(), _logs()
        for secret_value in (value, rotated):
            assert not [page for page in pages if secret_value in page]
            assert not [row for row in rows if secret_value in row]
            assert secret_value not in dump
            assert not [log for log in logs if secret_value in log]
    finally:
        _cleanup(docker_client, service=service_name, prefix=name)


def test_a_config_reaches_its_service_and_shows_on_its_page(stack, panel_client, docker_client):
    tag = uuid.uuid4().hex[:10]
    content = f"listen=8080 # <{tag}>"
    name, service_name = f"t-cfg-{tag[:6]}", f"t-cfgsvc-{tag[:6]}"
    try:
        created = _finished(_job(panel_client.post(reverse("configs:create"), {"name": name, "content": content})).id)
        page = panel_client.get(reverse("configs:detail", args=[created.target_id])).content.decode()
        assert f"listen=8080 # &lt;{tag}&gt;" in page

        response = panel_client.post(
            reverse("services:create"),
            {
                "name": service_name,
                "image": TEST_IMAGE,
                "args": "sleep 100000",
                "labels": f"{TEST_LABEL}=1",
                "configs": f"source={name},target=/etc/app.conf",
            },
        )
        _finished(_job(response).id)
        service = docker_client.services.get(service_name)
        wait_until(lambda: running_tasks(service) == 1, timeout=60, message="the service never ran its task")
        assert _file_in_task(docker_client, service_name, "/etc/app.conf") == content
        assert service_name in panel_client.get(reverse("configs:list")).content.decode()

        refused = _finished(
            _job(panel_client.post(reverse("configs:remove", args=[created.target_id]), {"confirm_name": name})).id,
            state="failed",
        )
        assert refused.error_code == "config_in_use" and "is in use by the following service" in refused.error
    finally:
        _cleanup(docker_client, service=service_name, prefix=name)


def test_a_person_creates_a_secret_and_sees_it_listed(stack, page, admin_login, docker_client):
    tag = uuid.uuid4().hex[:10]
    name, value = f"t-secb-{tag[:6]}", f"typed-{tag}"
    try:
        browser_login(page, stack.url, admin_login)
        page.goto(f"{stack.url}/secrets/")
        page.click("#create-secret")
        page.fill("#id_name", name)
        page.fill("#id_content", value)
        page.click("#submit-secret")
        page.wait_for_url(lambda url: "/jobs/" in url)
        job_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
        _finished(job_id)

        page.goto(f"{stack.url}/secrets/")
        row = page.locator("table.secrets tr", has_text=name)
        expect(row).to_be_visible()
        expect(row.locator("td.uses")).to_contain_text("no service")
        page.screenshot(path=ARTIFACTS / "secrets-list.png")
        assert value not in page.content()
    finally:
        _cleanup(docker_client, service=f"none-{tag}", prefix=name)


def test_secrets_configs_and_networks_made_outside_the_panel_appear_live(stack, page, admin_login, docker_client):
    """The docker CLI's way in, not the panel's: the engine's secret, config and network events reach
    the open lists through the watcher's hints, with no reload."""
    tag = uuid.uuid4().hex[:6]
    secret_name, config_name, network_name = f"t-live-s-{tag}", f"t-live-c-{tag}", f"t-live-n-{tag}"
    made = []
    try:
        browser_login(page, stack.url, admin_login)
        pages = {}
        for path in ("secrets", "configs", "networks"):
            pages[path] = page if not pages else page.context.new_page()
            pages[path].goto(f"{stack.url}/{path}/")
            expect(pages[path].locator("[data-live]")).to_have_attribute("data-live-state", "connected")
            pages[path].evaluate("window.__not_reloaded = true")

        made.append(docker_client.secrets.create(name=secret_name, data=b"x", labels={TEST_LABEL: "1"}))
        made.append(docker_client.configs.create(name=config_name, data=b"y", labels={TEST_LABEL: "1"}))
        made.append(docker_client.networks.create(network_name, driver="overlay", labels={TEST_LABEL: "1"}))

        for path, name in (("secrets", secret_name), ("configs", config_name), ("networks", network_name)):
            expect(pages[path].locator("tr", has_text=name)).to_be_visible(timeout=20_000)
            assert pages[path].evaluate("window.__not_reloaded") is True
    finally:
        for thing in made:
            thing.remove()
