"""Live logs in real chromium: the lines follow, a reader scrolled back stays put, the filter narrows,
Pause holds, and what a program prints stays text (no HTML, no escape codes)."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import ARTIFACTS, browser_login, running_tasks, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# A counter every 100 ms; every tenth count also a line that looks like HTML, and a red one on stderr.
COUNTER = r"""i=0
while true; do
  i=$((i+1))
  echo "count $i"
  if [ $((i % 10)) = 0 ]; then
    echo "<b>bold $i</b>"
    printf '\033[31mred %s\033[0m\n' "$i" >&2
  fi
  sleep 0.1
done"""

SCROLL = "view => ({top: view.scrollTop, fromBottom: view.scrollHeight - view.scrollTop - view.clientHeight})"
SHOWN_TEXTS = """view => Array.from(view.children)
    .filter(row => !row.hidden)
    .map(row => row.querySelector(".log-text").textContent)"""


def _more_lines(rows, than: int, by: int = 10) -> int:
    """Waits until at least ``by`` more lines than ``than`` are in the view; returns the count."""
    return wait_until(lambda: (count := rows.count()) >= than + by and count, timeout=20)


def _scroll_at_rest(view) -> int:
    """The view's scrollTop once a wheel scroll, which may be smooth, has come to rest."""
    seen = [None]

    def resting() -> bool:
        top = view.evaluate("view => view.scrollTop")
        rest, seen[0] = top == seen[0], top
        return rest

    wait_until(resting, timeout=5, interval=0.3)
    return seen[0]


def test_a_reader_follows_scrolls_back_filters_and_pauses_the_live_logs(stack, page, make_service, admin_login):
    service = make_service(command=("sh", "-c", COUNTER), name="logs-counter")
    wait_until(lambda: running_tasks(service) == 1)
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.set_viewport_size({"width": 1100, "height": 700})
    browser_login(page, stack.url, admin_login)
    page.goto(f"{stack.url}/services/{service.id}/")
    page.screenshot(path=ARTIFACTS / "service-logs-tab.png")

    page.locator("nav.tabs").get_by_role("link", name="Logs", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/logs/services/{service.id}/$"))
    expect(page.locator("h1")).to_have_text("logs-counter")
    expect(page.locator("#logs-state")).to_have_text("Live", timeout=20_000)
    view = page.locator("#logs-view")
    rows = view.locator(".log-line")
    count = _more_lines(rows, 0, by=60)  # enough for the view to scroll

    # At the end, it follows.
    _more_lines(rows, count)
    assert view.evaluate(SCROLL)["fromBottom"] <= 8
    expect(page.locator("#logs-live")).to_be_hidden()
    page.screenshot(path=ARTIFACTS / "logs-live.png")

    # What the program printed is text: no <b> element, no escape code; stderr and its colour told apart.
    bold = view.locator(".log-line", has_text="<b>bold")
    expect(bold.first.locator(".log-text")).to_have_text(re.compile(r"^<b>bold \d+</b>$"))
    assert view.locator("b").count() == 0
    red = view.locator(".log-line.stderr .ansi-fg-1")
    expect(red.first).to_have_text(re.compile(r"^red \d+$"))
    assert "\x1b" not in view.inner_text()
    expect(rows.first.locator(".log-task")).to_have_text("logs-counter.1")

    # Scrolled back, the reader stays where they are while lines keep coming.
    view.hover()
    page.mouse.wheel(0, -300)
    wait_until(lambda: view.evaluate(SCROLL)["fromBottom"] > 200, timeout=5)
    top = _scroll_at_rest(view)
    _more_lines(rows, rows.count(), by=15)
    assert view.evaluate(SCROLL)["top"] == top
    jump = page.locator("#logs-live")
    expect(jump).to_be_visible()
    expect(jump).to_have_text(re.compile(r"^Jump to live \(\d+ new lines?\)$"))
    page.screenshot(path=ARTIFACTS / "logs-scrolled-back.png")

    # Jump to live: at the end again, and following.
    jump.click()
    expect(jump).to_be_hidden()
    _more_lines(rows, rows.count())
    assert view.evaluate(SCROLL)["fromBottom"] <= 8

    # The filter narrows the lines shown, the ones that arrive later too.
    page.get_by_label("Filter (text or /regex/)").fill("7")
    shown = view.evaluate(SHOWN_TEXTS)
    assert shown and all("7" in text for text in shown) and len(shown) < rows.count()
    wait_until(lambda: len(view.evaluate(SHOWN_TEXTS)) > len(shown), timeout=20)
    assert all("7" in text for text in view.evaluate(SHOWN_TEXTS))
    expect(page.locator("#logs-counts")).to_contain_text("lines shown")
    page.screenshot(path=ARTIFACTS / "logs-filtered.png")
    page.get_by_label("Filter (text or /regex/)").fill(r"/^count \d*7$/")
    shown = view.evaluate(SHOWN_TEXTS)
    assert shown and all(re.fullmatch(r"count \d*7", text) for text in shown)
    page.get_by_label("Filter (text or /regex/)").fill("/(/")  # not a regex: said, and taken as text
    expect(page.locator("#logs-filter-message")).to_contain_text("not a valid regular expression")
    assert view.evaluate(SHOWN_TEXTS) == []
    page.get_by_label("Filter (text or /regex/)").fill("")
    expect(page.locator("#logs-filter-message")).to_have_text("")
    assert view.evaluate("view => Array.from(view.children).every(row => !row.hidden)")

    # Paused, nothing new appears; resumed, what came meanwhile shows at once.
    page.get_by_role("button", name="Pause").click()
    held = rows.count()
    page.wait_for_timeout(1500)
    assert rows.count() == held
    expect(page.locator("#logs-counts")).to_contain_text(re.compile(r"Paused: \d+ new lines? waiting"))

    # "Download shown" (while the view holds still): its lines, as the server's range download writes them.
    with page.expect_download() as download:
        page.get_by_role("button", name="Download shown").click()
    assert re.fullmatch(r"logs-counter-\d{8}T\d{6}Z\.log", download.value.suggested_filename)
    with open(download.value.path(), encoding="utf-8") as file:
        written = file.read().splitlines()
    assert len(written) == held
    assert all(re.fullmatch(r"\S+Z logs-counter\.1 (stdout|stderr) .+", line) for line in written), written[:5]
    assert [line.split(" ", 3)[3] for line in written] == view.evaluate(SHOWN_TEXTS)

    page.get_by_role("button", name="Resume").click()
    assert rows.count() >= held + 10
    expect(page.get_by_role("button", name="Pause")).to_be_visible()

    # Timestamps off is remembered.
    page.get_by_label("Timestamps").uncheck()
    expect(rows.first.locator(".log-at")).to_be_hidden()
    page.reload()
    expect(page.get_by_label("Timestamps")).not_to_be_checked()
    _more_lines(rows, 0)
    expect(rows.first.locator(".log-at")).to_be_hidden()
    page.get_by_label("Timestamps").check()

    # The page needs no inline code or style: the policy refused nothing.
    assert not [text for text in console if "Content Security Policy" in text]


def test_a_tasks_logs_open_from_the_service_page(stack, page, make_service, admin_login):
    service = make_service(command=("sh", "-c", COUNTER), name="logs-task")
    wait_until(lambda: running_tasks(service) == 1)
    task_id = next(task["ID"] for task in service.tasks() if task["Status"]["State"] == "running")
    browser_login(page, stack.url, admin_login)
    page.goto(f"{stack.url}/services/{service.id}/")

    page.locator(f'tr[data-task-id="{task_id}"]').get_by_role("link", name=f"Logs of task {task_id[:12]}").click()

    expect(page).to_have_url(re.compile(rf"/logs/tasks/{task_id}/$"))
    expect(page.locator("nav.tabs a[aria-current=page]")).to_have_text("Task logs-task.1")
    rows = page.locator("#logs-view .log-line")
    _more_lines(rows, 0)
    expect(rows.last.locator(".log-task")).to_have_text("logs-task.1")
    page.emulate_media(color_scheme="dark")
    page.screenshot(path=ARTIFACTS / "logs-task-dark.png")
