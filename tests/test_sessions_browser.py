"""Sessions on the real stack (daphne, Redis, chromium): a password changed in one browser ends the
other browser's session, and its open live page finds itself at the login page without a click."""

import re

import pytest

from .conftest import browser_login

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_password_change_elsewhere_sends_an_open_live_page_to_the_login(stack, browser, admin_login):
    watching_context, changing_context = browser.new_context(), browser.new_context()
    try:
        watching, changing = watching_context.new_page(), changing_context.new_page()
        browser_login(watching, stack.url, admin_login)
        browser_login(changing, stack.url, admin_login)
        watching.goto(f"{stack.url}/nodes/")
        # The socket is up before the change, so its closing is what moves the page.
        watching.locator(".live-badge.connected").wait_for(timeout=15_000)

        changing.goto(f"{stack.url}/account/password/")
        changing.fill("#id_old_password", admin_login.password)
        changing.fill("#id_new_password1", "An0ther-long-passphrase!")
        changing.fill("#id_new_password2", "An0ther-long-passphrase!")
        changing.locator("form button[type=submit].primary").click()
        changing.get_by_text("Your password was changed.").wait_for()

        # No click, no reload by the test: the closed socket (4401) makes the page reload to the login.
        watching.wait_for_url(re.compile(r"/login/"), timeout=20_000)
        changing.goto(f"{stack.url}/nodes/")
        assert "/login/" not in changing.url  # the changer's own session is kept
    finally:
        watching_context.close()
        changing_context.close()
