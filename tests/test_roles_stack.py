"""Roles on the real stack (daphne, the Celery worker, the engine, chromium).

An admin invites a person in the browser; the invitee joins as a viewer, sees no action and cannot
scale even with a forged POST (no job, the engine unchanged); made an operator, they scale through
the page and the worker does it, but cannot remove; the admin removes the service; then removes the
user, whose open page leaves for the login page by itself."""

import re

import pytest
import requests

from jobs.models import Job

from .conftest import browser_login, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "Invitee-passphrase-42"


def _replicas(docker_client, service_id: str) -> int:
    return docker_client.services.get(service_id).attrs["Spec"]["Mode"]["Replicated"]["Replicas"]


def _forged_scale(url: str, page, service_id: str) -> int:
    """A POST with the browser's own session cookie and CSRF token, as a script in the page could."""
    cookies = {cookie["name"]: cookie["value"] for cookie in page.context.cookies()}
    token = page.locator("meta[name=csrf-token]").get_attribute("content")
    response = requests.post(
        f"{url}/services/{service_id}/scale/",
        data={"replicas": "3", "csrfmiddlewaretoken": token},
        cookies=cookies,
        headers={"Referer": f"{url}/services/{service_id}/", "X-CSRFToken": token},
        allow_redirects=False,
        timeout=10,
    )
    return response.status_code


def test_a_viewer_an_operator_and_an_admin_in_the_browser(stack, browser, admin_login, make_service, docker_client):
    service = make_service()
    admin_context, invitee_context = browser.new_context(), browser.new_context()
    try:
        admin, invitee = admin_context.new_page(), invitee_context.new_page()
        browser_login(admin, stack.url, admin_login)

        # The admin invites a viewer from the account menu.
        admin.click(".account-menu summary")
        admin.click(".account-menu >> text=Users")
        admin.click("#invite-user")
        admin.select_option("#id_role", "viewer")
        admin.fill("#id_note", "Ana")
        admin.click("#create-invite")
        link = admin.locator("#invite-link").inner_text()

        invitee.goto(link)
        invitee.fill("#id_username", "ana")
        invitee.fill("#id_password1", PASSWORD)
        invitee.fill("#id_password2", PASSWORD)
        invitee.click("#join")
        invitee.get_by_text("You joined as Viewer").wait_for()

        # A viewer sees the service, and no action on it; a forged POST is refused too.
        invitee.goto(f"{stack.url}/services/{service.id}/")
        invitee.locator(".live-badge.connected").wait_for(timeout=15_000)
        assert invitee.locator("#redeploy").is_hidden()
        assert invitee.locator("form.scale").is_hidden()
        assert invitee.get_by_role("link", name="Remove").is_hidden()
        assert _forged_scale(stack.url, invitee, service.id) == 403
        assert not Job.objects.exists()
        assert _replicas(docker_client, service.id) == 1

        # Made an operator, the same person scales through the page; the worker does it.
        admin.goto(f"{stack.url}/users/")
        row = admin.locator("tr[data-user=ana]")
        row.locator("select").select_option("operator")
        row.get_by_role("button", name="Change").click()
        admin.get_by_text("ana is now Operator.").wait_for()

        invitee.goto(f"{stack.url}/services/{service.id}/")
        invitee.fill("#detail-replicas", "2")
        invitee.locator("form.scale button").click()
        invitee.wait_for_url(re.compile(r"/jobs/\d+/"))
        invitee.locator(".state-succeeded").first.wait_for(timeout=60_000)
        assert _replicas(docker_client, service.id) == 2
        assert Job.objects.get().requested_by.username == "ana"

        # ... but cannot remove it: the link is hidden and the URL refuses.
        invitee.goto(f"{stack.url}/services/{service.id}/")
        assert invitee.get_by_role("link", name="Remove").is_hidden()
        assert invitee.goto(f"{stack.url}/services/{service.id}/remove/").status == 403

        # The admin can: the service is gone from the engine.
        admin.goto(f"{stack.url}/services/{service.id}/remove/")
        admin.fill("#confirm_name", service.name)
        admin.click("#confirm-remove")
        admin.locator(".state-succeeded").first.wait_for(timeout=60_000)
        wait_until(lambda: not docker_client.services.list(filters={"id": service.id}), timeout=30)

        # Removing the user closes their open page's socket: it reloads to the login by itself.
        invitee.goto(f"{stack.url}/nodes/")
        invitee.locator(".live-badge.connected").wait_for(timeout=15_000)
        admin.goto(f"{stack.url}/users/")
        admin.locator("tr[data-user=ana]").get_by_role("link", name="Remove").click()
        admin.click("#confirm-remove")
        admin.get_by_text("ana was removed").wait_for()
        invitee.wait_for_url(re.compile(r"/login/"), timeout=20_000)
    finally:
        admin_context.close()
        invitee_context.close()
