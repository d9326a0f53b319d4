"""A person makes a deploy hook in chromium from a service's page, copies the curl example shown
once with its secret, and CI's call of it (that very example, run by bash) shows on the hook's page
with its job."""

from __future__ import annotations

import json
import subprocess

import pytest
from playwright.sync_api import expect

from jobs.models import Job

from .conftest import ARTIFACTS, browser_login, running_tasks, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_person_makes_a_hook_and_ci_calls_it_with_the_example(stack, page, admin_login, make_service):
    service = make_service()
    wait_until(lambda: running_tasks(service) == 1, timeout=60, message="the service never ran its task")
    browser_login(page, stack.url, admin_login)

    page.goto(f"{stack.url}/services/{service.id}/")
    page.click("#deploy-hook")
    page.fill("#id_name", "pipeline")
    page.click("#create-hook")

    secret = page.locator("#hook-secret").inner_text()
    url = page.locator("#hook-url").inner_text()
    assert url.startswith(f"{stack.url}/hooks/")
    example = page.locator("pre.curl-example").inner_text()
    assert f"HOOK_SECRET='{secret}'" in example and f"HOOK_URL='{url}'" in example
    page.screenshot(path=ARTIFACTS / "hook-created.png")

    # CI runs the example as copied from the page.
    run = subprocess.run(["bash", "-c", example], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    job_id = json.loads(run.stdout)["job"]
    wait_until(lambda: Job.objects.get(id=job_id).finished, timeout=120, message="the hook's job did not finish")

    page.click("#hook-page")
    row = page.locator("tr.hook-call").first
    expect(row).to_contain_text("accepted")
    expect(row.locator(f'a[href="/jobs/{job_id}/"]')).to_be_visible()
    assert secret not in page.content()
    # The example on the hook's page asks for the secret instead of holding it.
    assert secret not in page.locator("pre.curl-example").inner_text()
    page.screenshot(path=ARTIFACTS / "hook-page.png")
