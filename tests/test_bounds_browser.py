"""Real chromium: a bind mount of a protected host path asks the user's password in the form."""

import re
import socket
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from jobs.models import Job

from .conftest import ARTIFACTS, TEST_IMAGE, TEST_LABEL, browser_login, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def bind_mounts_allowed(stack) -> Iterator[None]:
    """The stack's web process restarted with SWARMDECK_ALLOW_BIND_MOUNTS=true, and back after."""

    def restart(**env: str) -> None:
        stack.stop("web")
        stack.env.pop("SWARMDECK_ALLOW_BIND_MOUNTS", None)
        stack.env.update(env)
        stack.start("web")
        port = int(stack.url.rsplit(":", 1)[1])
        wait_until(lambda: _answers(port), timeout=30, message="daphne did not start again")

    restart(SWARMDECK_ALLOW_BIND_MOUNTS="true")
    yield
    restart()


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def test_a_bind_mount_of_etc_asks_the_password_in_the_create_form(
    stack, bind_mounts_allowed, page, admin_login, docker_client
):
    name = "browser-bind-etc"
    browser_login(page, stack.url, admin_login)
    page.goto(f"{stack.url}/services/new/")
    try:
        page.fill("#id_name", name)
        page.fill("#id_image", TEST_IMAGE)
        page.fill("#id_args", "sleep 100000")
        page.fill("#id_labels", f"{TEST_LABEL}=1")
        page.fill("#id_mounts", "type=bind,source=/etc,target=/host-etc,readonly")
        expect(page.locator("#id_confirm_password")).to_have_count(0)
        page.click("#submit-service")

        password = page.get_by_label("Your password")
        expect(password).to_be_visible()
        expect(page.locator("#id_confirm_password_error")).to_contain_text("Enter your password to confirm")
        page.screenshot(path=ARTIFACTS / "bind-mount-password.png", full_page=True)
        password.fill("not-" + admin_login.password)
        page.click("#submit-service")
        expect(page.locator("#id_confirm_password_error")).to_contain_text("not your password")
        assert not Job.objects.exists()

        # What was typed is still there; the password is asked again, never sent back.
        expect(page.locator("#id_mounts")).to_have_value("type=bind,source=/etc,target=/host-etc,readonly")
        expect(password).to_have_value("")
        password.fill(admin_login.password)
        page.click("#submit-service")

        expect(page).to_have_url(re.compile(r"/jobs/\d+/$"))
        expect(page.locator("dd.state")).to_have_attribute("data-state", "succeeded", timeout=90_000)
        mounts = docker_client.services.get(name).attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Mounts"]
        assert mounts == [{"Type": "bind", "Source": "/etc", "Target": "/host-etc", "ReadOnly": True}]
    finally:
        for service in docker_client.services.list(filters={"name": name}):
            service.remove()
