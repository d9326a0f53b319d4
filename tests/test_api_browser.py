"""API tokens in chromium on the real stack: a person makes a token, sees it once, a script uses it,
the person revokes it and the script's next call is refused; the API's docs page works under the CSP."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect

from .conftest import ARTIFACTS, browser_login

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _services(stack, token: str) -> requests.Response:
    return requests.get(f"{stack.url}/api/v1/services", headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_a_token_is_made_seen_once_used_and_revoked(stack, page, make_user):
    browser_login(page, stack.url, make_user("ops", "operator"))

    page.goto(f"{stack.url}/api/tokens/")
    page.click("#create-token")
    page.fill("#id_name", "deploy script")
    page.select_option("#id_role", "viewer")
    page.select_option("#id_days", "7")
    page.click("#submit-token")
    token = page.locator("#new-token").inner_text().strip()
    assert token.startswith("sd_")
    expect(page.locator("#curl-example")).to_have_text(
        f'curl -H "Authorization: Bearer {token}" {stack.url}/api/v1/services'
    )
    page.screenshot(path=ARTIFACTS / "api-token-created.png", full_page=True)

    assert _services(stack, token).status_code == 200
    page.goto(f"{stack.url}/api/tokens/")
    row = page.locator("#own-tokens tr[data-token-prefix]")
    expect(row).to_have_count(1)
    assert token not in page.content()
    expect(row.locator("td").nth(5)).not_to_contain_text("never")  # its last use is shown
    page.screenshot(path=ARTIFACTS / "api-tokens.png", full_page=True)

    row.get_by_role("link", name="Revoke").click()
    page.click("#confirm-revoke")
    expect(page.locator("#own-tokens tr[data-token-prefix]")).to_have_attribute("data-state", "revoked")

    refused = _services(stack, token)
    assert (refused.status_code, refused.json()["code"]) == (401, "token_revoked")


def test_the_docs_page_renders_under_the_csp(stack, page, admin_login):
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security" in message.text else None)
    browser_login(page, stack.url, admin_login)

    page.goto(f"{stack.url}/api/v1/docs")

    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=15_000)
    expect(page.locator(".swagger-ui")).to_contain_text("/api/v1/services/{service_id}/scale")
    page.screenshot(path=ARTIFACTS / "api-docs.png")
    assert violations == []
