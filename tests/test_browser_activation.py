"""A person's first visit, in chromium against the real server: printed token to dashboard."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Installation, Profile
from updates.models import UpdatePolicy

from .conftest import ARTIFACTS, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
LINK = re.compile(r"Activate Swarmdeck at (http://\S+/activate/\?token=\S+)")


def test_token_activation_wizard_dashboard(stack, page):
    # A restart prints a fresh link (the test database was emptied since the server started).
    stack.stop("web")
    stack.start("web")
    link = wait_until(lambda: LINK.search(stack.log("web")), message="the server printed no activation link")[1]

    page.goto(stack.url + "/services/")
    expect(page).to_have_url(re.compile(r"/activate/$"))
    expect(page.locator("body")).to_contain_text("Activate Swarmdeck at")

    page.goto(link)
    expect(page).to_have_url(stack.url + "/activate/")  # the token went into the session
    password = page.locator("#password").inner_text()
    assert len(password) >= 20
    # "admin" is the first name a guesser tries: the owner picks another, and the sheet shows it.
    expect(page.locator("#id_username")).to_have_value("admin")
    page.fill("#id_username", "ops-lead")
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.locator("#activate")).to_be_hidden()
    expect(page.locator("#password")).to_be_visible()
    expect(page.locator("#username")).to_have_text("ops-lead")
    page.screenshot(path=ARTIFACTS / "activation-credentials-print.png", full_page=True)
    page.emulate_media(media="screen")
    page.screenshot(path=ARTIFACTS / "activation.png", full_page=True)

    page.click("#activate")
    expect(page.locator(".wizard")).to_have_attribute("data-step", "language")
    page.check("input[name=language][value=es]")
    page.click("button[value=next]")
    expect(page.locator(".wizard")).to_have_attribute("data-step", "docker")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("ul.checks li.ok")).to_have_count(3)
    page.click("button[value=next]")
    expect(page.locator(".wizard")).to_have_attribute("data-step", "updates")
    page.check("input[name=auto_update]")
    page.screenshot(path=ARTIFACTS / "wizard-updates.png", full_page=True)
    page.click("button[value=next]")

    expect(page).to_have_url(stack.url + "/")
    expect(page.locator("#overview")).to_have_attribute("data-live-state", "connected")
    installation = Installation.objects.get()
    assert UpdatePolicy.objects.get().auto_update is True
    assert installation.wizard_done_at is not None
    assert Profile.objects.get().language == "es"
    assert Installation.objects.get().admin.username == "ops-lead"
    assert password not in stack.log("web")
    # The server's whole output names the token once: in the line meant to show it, not in the
    # access log's lines of the link, the activation or the language bar's requests.
    token = link.rsplit("token=", 1)[1]
    assert sum(stack.log(name).count(token) for name in stack.processes) == 1

    # The link is single-use, and logging out leads back to the login page only.
    page.goto(link)
    expect(page).to_have_url(stack.url + "/")
    page.click(".account button")
    expect(page).to_have_url(re.compile(r"/login/$"))
    page.goto(stack.url + "/services/")
    expect(page).to_have_url(re.compile(r"/login/\?next="))
