"""Live regions in real chromium: htmx morphs each refresh in, so what the user holds stays held."""

import re
import uuid

import pytest
from playwright.sync_api import expect

import engine
from services.runners import job_scale_request

from .conftest import ARTIFACTS, browser_login, running_tasks, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# Counts the rows of one service pushed over the socket, so the test knows each engine event reached
# the page that way, and the hints that make every list re-read (services created elsewhere).
COUNT_PUSHED_ROWS = """serviceId => {
    window.__pushed = 0;
    window.__reshaped = 0;
    document.addEventListener("htmx:ws:after:message:incoming", event => {
        const data = event.detail.message.data;
        if (data.includes("hx-swap-oob") && data.includes(serviceId)) { window.__pushed += 1; }
        if (data.includes('"reshaped"')) { window.__reshaped += 1; }
    });
}"""


def test_refreshes_keep_focus_scroll_selection_and_open_details(stack, page, make_service, admin_login):
    # The swarm may hold other tests' services: the page lists only this test's, by a label of its own.
    mine = {"live-test": uuid.uuid4().hex[:8]}
    others = [make_service(name=f"live-a-{n}", labels=mine) for n in range(5)]
    # Three labels fold into a <details>; last in the list, so its changes move nothing above it;
    # a short grace period makes scaling down quick.
    scaled = make_service(name="live-z-scaled", labels={**mine, "team": "ops"}, stop_grace_period=10**9)
    wait_until(lambda: running_tasks(scaled) == 1 and all(running_tasks(s) == 1 for s in others), timeout=60)
    page.set_viewport_size({"width": 1000, "height": 320})  # short, so the page scrolls
    console = []
    page.on("console", lambda message: console.append(message.text))
    browser_login(page, stack.url, admin_login)
    page.goto(f"{stack.url}/services/?q=live-test={mine['live-test']}")
    region = page.locator("#services")
    expect(region).to_have_attribute("data-live-state", "connected")
    expect(region.locator("tbody tr")).to_have_count(6)
    row = page.locator(f'tr[data-service-id="{scaled.id}"]')
    expect(row.locator("td.replicas")).to_have_text("1/1")
    page.evaluate("window.__not_reloaded = true")

    # What the user holds: an open <details>, the focused Scale link, a selected name, a scroll position.
    row.locator("details.labels summary").click()
    expect(row.locator("details.labels")).to_have_attribute("open", "")
    scale = row.get_by_role("link", name="Scale", exact=True)
    scale.evaluate("link => { link.focus(); window.__focused = link; }")
    name = page.locator(f'tr[data-service-id="{others[-1].id}"] td.name a')
    name.evaluate("""link => {
        const range = document.createRange();
        range.selectNodeContents(link);
        getSelection().removeAllRanges();
        getSelection().addRange(range);
    }""")
    assert page.evaluate("getSelection().toString()") == "live-a-4"
    scroll = page.evaluate("document.documentElement.scrollHeight - innerHeight") // 2
    assert scroll > 20, "the page must be taller than the window"
    page.evaluate(f"window.scrollTo(0, {scroll})")
    # The changed rows come rendered over the socket (services/pushes.py): the page re-reads nothing.
    rereads = []
    page.on("request", lambda request: request.headers.get("hx-request") and rereads.append(request.url))
    page.evaluate(COUNT_PUSHED_ROWS, scaled.id)

    for n, replicas in enumerate([2, 1, 2, 1, 2], start=1):
        scaled.reload()  # the service's version moved with the last scale
        scaled.scale(replicas)
        expect(row.locator("td.replicas")).to_have_text(f"{replicas}/{replicas}", timeout=30_000)
        assert page.evaluate("window.__pushed") >= n
    # No re-read for the scales. A list re-reads only on a "reshaped" hint, which the swarm's other
    # changes can send meanwhile (services created, or a batch of more than 50, as when the watcher
    # closes the tasks of earlier tests' removed services): never more re-reads than those.
    assert len(rereads) <= page.evaluate("window.__reshaped")

    state = page.evaluate("""() => ({
        focused: document.activeElement === window.__focused && window.__focused.isConnected,
        scrollY: window.scrollY,
        selection: getSelection().toString(),
        reloaded: window.__not_reloaded !== true,
    })""")
    assert state == {"focused": True, "scrollY": scroll, "selection": "live-a-4", "reloaded": False}
    expect(row.locator("details.labels")).to_have_attribute("open", "")
    # htmx needs neither inline code nor inline styles: the policy refused nothing.
    assert not [text for text in console if "Content Security Policy" in text]
    page.screenshot(path=ARTIFACTS / "services-live-morph.png")


def test_jobs_list_and_service_page_show_a_new_job_live(stack, page, make_service, admin_login):
    service = make_service(name="live-jobs")
    wait_until(lambda: running_tasks(service) == 1)
    browser_login(page, stack.url, admin_login)
    jobs_page = page
    jobs_page.goto(f"{stack.url}/jobs/")
    expect(jobs_page.locator("#jobs")).to_have_attribute("data-live-state", "connected")
    service_page = page.context.new_page()
    service_page.goto(f"{stack.url}/services/{service.id}/")
    expect(service_page.locator("#service")).to_have_attribute("data-live-state", "connected")
    expect(service_page.locator("ul.service-jobs")).to_have_count(0)
    for each in (jobs_page, service_page):
        each.evaluate("window.__not_reloaded = true")
    # Each re-read names the change it follows, so the viewers of one change share one render.
    versions = []
    jobs_page.on("request", lambda request: request.headers.get("hx-request") and versions.append(request.headers))

    job = job_scale_request(service=engine.service_get(service_id=service.id), replicas=2)

    row = jobs_page.locator(f'#jobs tr[data-job-id="{job.id}"]')
    expect(row).to_be_visible(timeout=30_000)
    expect(row.locator(".job-state")).to_have_attribute("data-state", "succeeded", timeout=60_000)
    listed = service_page.locator(f'ul.service-jobs a[href="/jobs/{job.id}/"]')
    expect(listed).to_be_visible(timeout=30_000)
    # The end of the job reaches the service's page too, not only the engine's events.
    expect(service_page.locator("ul.service-jobs li").first.locator(".job-state")).to_have_attribute(
        "data-state", "succeeded", timeout=30_000
    )
    for each in (jobs_page, service_page):
        assert each.evaluate("window.__not_reloaded") is True
    assert versions and all(headers.get("x-live-version", "").isdigit() for headers in versions)
    service_page.screenshot(path=ARTIFACTS / "service-jobs-live.png", full_page=True)


def test_the_service_pages_scale_form_works_after_a_shared_re_read(stack, page, make_service, admin_login):
    service = make_service(name="live-form", stop_grace_period=10**9)
    wait_until(lambda: running_tasks(service) == 1)
    browser_login(page, stack.url, admin_login)
    page.goto(f"{stack.url}/services/{service.id}/")
    region = page.locator("#service")
    expect(region).to_have_attribute("data-live-state", "connected")
    rereads = []
    page.on("request", lambda request: request.headers.get("x-live-version") and rereads.append(request.url))

    service.scale(2)  # elsewhere: the page re-reads the fragment every viewer shares, with no token in it
    expect(region.locator("dd.replicas")).to_have_text("2/2", timeout=30_000)
    assert rereads
    assert region.locator("form.scale [name=csrfmiddlewaretoken]").count() == 0

    region.locator("#detail-replicas").fill("1")
    region.get_by_role("button", name="Scale", exact=True).click()

    # live.js gave the form this viewer's token: the scale was accepted and ran as a job.
    expect(page).to_have_url(re.compile(r"/jobs/\d+/$"))
    expect(page.locator("dd.state")).to_have_attribute("data-state", "succeeded", timeout=60_000)
