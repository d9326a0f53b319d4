"""Real chromium against the real stack: the page changes by itself, and the scale form works."""

import re

import pytest
from playwright.sync_api import expect

from jobs.models import Job
from updates.runners import update_check_request

from .conftest import ARTIFACTS, browser_login, running_tasks, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_services_page_updates_live_when_the_sdk_scales(stack, page, make_service, admin_login):
    service = make_service(name="browser-live")
    wait_until(lambda: running_tasks(service) == 1)
    browser_login(page, stack.url, admin_login)
    page.goto(f"{stack.url}/services/")
    row = page.locator(f'tr[data-service-id="{service.id}"]')
    expect(row.locator("td.replicas")).to_have_text("1/1")
    expect(page.locator("#services")).to_have_attribute("data-live-state", "connected")
    page.evaluate("window.__not_reloaded = true")

    service.scale(3)

    expect(row.locator("td.replicas")).to_have_text("3/3", timeout=30_000)
    assert page.evaluate("window.__not_reloaded") is True
    page.screenshot(path=ARTIFACTS / "services-live.png", full_page=True)


def test_scale_form_shows_the_job_reach_succeeded(stack, page, make_service, admin_login):
    service = make_service(name="browser-scale")
    wait_until(lambda: running_tasks(service) == 1)
    browser_login(page, stack.url, admin_login)
    page.goto(f"{stack.url}/services/")
    row = page.locator(f'tr[data-service-id="{service.id}"]')

    # The row links to the service's scale page (a list of 1 000 services carries no form a row).
    row.get_by_role("link", name="Scale", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/services/{service.id}/scale/$"))
    expect(page.get_by_label("Replicas")).to_be_focused()
    page.get_by_label("Replicas").fill("2")
    page.get_by_role("button", name="Scale").click()

    expect(page).to_have_url(re.compile(r"/jobs/\d+/$"))
    expect(page.locator("dd.state")).to_have_attribute("data-state", "succeeded", timeout=60_000)
    page.screenshot(path=ARTIFACTS / "scale-job.png", full_page=True)
    assert running_tasks(service) == 2


def test_service_detail_updates_tasks_and_restart_chart_live(stack, page, make_service, admin_login):
    import docker

    service = make_service(
        name="browser-crashloop",
        command=["sh", "-c", "sleep 0.5; exit 3"],
        restart_policy=docker.types.RestartPolicy(condition="on-failure", delay=1_000_000_000),
    )
    browser_login(page, stack.url, admin_login)
    page.goto(f"{stack.url}/services/{service.id}/?range=1h")
    expect(page.locator("#service")).to_have_attribute("data-live-state", "connected")
    page.evaluate("window.__not_reloaded = true")
    restarts = page.locator("tr.restart")
    chart = page.locator("figure.chart")

    wait_until(lambda: restarts.count() >= 1, timeout=30, message="no restart appeared without a reload")
    before = int(chart.get_attribute("data-total"))
    wait_until(lambda: int(chart.get_attribute("data-total")) >= before + 2, timeout=30, message="chart did not grow")
    expect(page.locator("figure.chart rect.cause-exit").first).to_be_visible()
    expect(page.locator("table.tasks tr.task").first).to_be_visible()
    assert restarts.count() >= 3
    assert page.evaluate("window.__not_reloaded") is True
    page.screenshot(path=ARTIFACTS / "service-detail-live.png", full_page=True)


def test_create_a_service_from_the_form_and_watch_the_job_succeed(stack, page, admin_login, docker_client):
    browser_login(page, stack.url, admin_login)
    page.goto(f"{stack.url}/services/")
    page.click("a.button.primary")
    try:
        page.fill("#id_name", "browser-made")
        page.fill("#id_image", "swarmdeck-test/busybox:1")
        page.fill("#id_replicas", "2")
        page.fill("#id_args", "sleep 100000")
        page.fill("#id_labels", "swarmdeck.test=1")
        page.fill("#id_health_cmd", "true")
        page.fill("#id_health_interval", "1s")
        page.select_option("#id_restart_condition", "on-failure")
        page.screenshot(path=ARTIFACTS / "create-form.png", full_page=True)
        page.click("#submit-service")

        expect(page).to_have_url(re.compile(r"/jobs/\d+/$"))
        expect(page.locator("#job")).to_have_attribute("data-live-state", "connected")
        expect(page.locator("dd.state")).to_have_attribute("data-state", "succeeded", timeout=90_000)
        expect(page.locator("progress").first).to_have_attribute("value", "100")
        page.screenshot(path=ARTIFACTS / "create-job-succeeded.png", full_page=True)
        spec = docker_client.services.get("browser-made").attrs["Spec"]
        assert spec["Mode"]["Replicated"]["Replicas"] == 2
        assert spec["TaskTemplate"]["RestartPolicy"]["Condition"] == "on-failure"
    finally:
        for service in docker_client.services.list(filters={"name": "browser-made"}):
            service.remove()


def test_a_bad_form_shows_the_errors_and_creates_nothing(stack, page, admin_login):
    browser_login(page, stack.url, admin_login)
    page.goto(f"{stack.url}/services/new/")
    page.fill("#id_name", "has spaces")
    page.fill("#id_image", "swarmdeck-test/busybox:1")
    page.fill("#id_replicas", "-1")
    page.click("#submit-service")

    expect(page.locator(".message.error")).to_be_visible()
    expect(page.locator(".field.invalid")).to_have_count(2)
    assert not Job.objects.exists()


def test_the_language_bar_switches_the_services_page(stack, page, make_service, admin_login):
    make_service(name="browser-i18n")
    browser_login(page, stack.url, admin_login)
    page.goto(f"{stack.url}/services/")

    page.click(".language-bar button[value=zh-hans]")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("h1")).to_have_text("服务")
    expect(page.locator("#services")).to_have_attribute("data-live-state", "connected")
    expect(page.locator(".live-badge")).to_have_text("实时")
    page.screenshot(path=ARTIFACTS / "services-zh-hans.png", full_page=True)

    page.click(".language-bar button[value=es]")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("h1")).to_have_text("Servicios")
    page.screenshot(path=ARTIFACTS / "services-es.png", full_page=True)
    # The choice is the user's: it comes back after logging in again.
    page.click(".account button")
    page.context.clear_cookies()
    browser_login(page, stack.url, admin_login)
    expect(page.locator("html")).to_have_attribute("lang", "es")


def test_check_now_on_the_updates_page_shows_the_job_and_what_it_found(stack, page, admin_login):
    browser_login(page, stack.url, admin_login)
    page.goto(f"{stack.url}/updates/")
    page.check("input[name=auto_update]")
    page.select_option("select[name=schedule]", "daily")
    page.click("#update-policy button.primary")
    expect(page.locator(".messages")).to_contain_text("saved")
    expect(page.locator("input[name=auto_update]")).to_be_checked()

    # A check started elsewhere (the schedule) shows up here by itself, and so does its end.
    expect(page.locator("#updates-status")).to_have_attribute("data-live-state", "connected")
    page.evaluate("window.__not_reloaded = true")
    scheduled = update_check_request()
    row = page.locator(f'#updates-status tr[data-job-id="{scheduled.id}"]')
    expect(row.locator(".job-state")).to_have_attribute("data-state", "succeeded", timeout=30_000)
    expect(page.locator('#updates-status tr[data-target="panel"]')).to_contain_text("make run")
    assert page.evaluate("window.__not_reloaded") is True

    page.click("#check-now")

    expect(page).to_have_url(re.compile(r"/jobs/\d+/$"))
    expect(page.locator("dd.state")).to_have_attribute("data-state", "succeeded", timeout=30_000)
    expect(page.locator(".steps-log")).to_contain_text("cannot be updated here")
    page.goto(f"{stack.url}/updates/")
    expect(page.locator('tr[data-target="panel"]')).to_contain_text("make run")
    page.screenshot(path=ARTIFACTS / "updates.png", full_page=True)
