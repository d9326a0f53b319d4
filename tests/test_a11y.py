"""Accessibility and the pages around the app: skip link, sorted headers, error pages, favicon, a phone's width."""

import re
from html.parser import HTMLParser

import pytest
from django.test import RequestFactory
from django.urls import get_resolver, reverse

from .conftest import ARTIFACTS, browser_login, running_tasks, wait_until

FOCUSABLE = {"a", "button", "input", "select", "textarea", "summary"}


class _Page(HTMLParser):
    """Collects the focusable elements in document order, the sortable headers and the ids of <main>."""

    def __init__(self) -> None:
        super().__init__()
        self.focusable: list[dict] = []
        self.headers: list[dict] = []
        self.main_ids: list[str] = []
        self.icons: list[dict] = []
        self._header: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "main":
            self.main_ids.append(attrs.get("id", ""))
        if tag == "link" and attrs.get("rel") == "icon":
            self.icons.append(attrs)
        if tag == "th":
            self._header = {**attrs, "text": ""}
            self.headers.append(self._header)
        tabbable = attrs.get("tabindex") not in (None, "-1")
        if (
            tag in FOCUSABLE and not (tag == "a" and "href" not in attrs) and attrs.get("type") != "hidden"
        ) or tabbable:
            self.focusable.append({"tag": tag, **attrs})

    def handle_endtag(self, tag):
        if tag == "th":
            self._header = None

    def handle_data(self, data):
        if self._header is not None:
            self._header["text"] += data.strip()


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def _assert_skip_link_first(html: str) -> None:
    page = _parse(html)
    first = page.focusable[0]
    assert (first["tag"], first.get("class"), first.get("href")) == ("a", "skip-link", "#content"), first
    assert page.main_ids == ["content"]


def test_skip_link_is_the_first_focusable_element_and_targets_main(panel_client, fake_web):
    for url in (
        reverse("overview"),
        reverse("services:list"),
        reverse("services:detail", args=["svc1"]),
        reverse("logs:service", args=["svc1"]),
        reverse("users:list"),
        reverse("api:tokens"),
        reverse("hooks:list"),
        reverse("notifications:list"),
    ):
        html = panel_client.get(url).content.decode()
        _assert_skip_link_first(html)
        assert "Skip to content" in html


def test_the_logs_page_labels_every_control_and_runs_no_inline_code(panel_client, fake_web):
    response = panel_client.get(reverse("logs:service", args=["svc1"]))

    assert response.status_code == 200
    html = response.content.decode()
    labelled = set(re.findall(r'<label[^>]* for="([^"]+)"', html))
    controls = [element for element in _parse(html).focusable if element["tag"] in ("input", "select", "textarea")]
    assert len(controls) >= 5 and all(control.get("id") in labelled for control in controls), controls
    # The lines scroll in a labelled log the keyboard can reach; their words come from the script.
    assert re.search(r'<div id="logs-view" [^>]*role="log"[^>]*aria-label="Log lines"[^>]*tabindex="0"', html)
    assert not re.search(r"<script(?![^>]*\bsrc=)", html) and " style=" not in html


def test_skip_link_is_there_for_a_visitor_too(client, admin_login):
    _assert_skip_link_first(client.get(reverse("login")).content.decode())


def _sort_of(panel_client, sort: str) -> dict[str, str]:
    html = panel_client.get(reverse("services:list"), {"sort": sort}).content.decode()
    return {header["text"]: header.get("aria-sort") for header in _parse(html).headers}


def test_sorted_column_headers_say_their_order(panel_client, fake_web):
    by_name = _sort_of(panel_client, "name")
    assert by_name["Name"] == "ascending"
    assert set(by_name.values()) == {"ascending", "none", None}  # None: the Scale column is not sortable
    assert list(by_name.values()).count("ascending") == 1
    assert by_name["Scale"] is None

    by_restarts = _sort_of(panel_client, "-restarts")
    assert by_restarts["Restarts (24 h)"] == "descending"
    assert by_restarts["Name"] == "none"
    assert [value for value in by_restarts.values() if value not in ("none", None)] == ["descending"]


def test_the_services_table_scrolls_inside_its_own_labelled_region(panel_client, fake_web):
    html = panel_client.get(reverse("services:list")).content.decode()

    region = html.index('<div class="table-scroll" role="region" aria-label="Services" tabindex="0">')
    assert region < html.index('<table class="services">') < html.index("</table>") < html.index("</div>", region + 1)


def test_an_unknown_address_gives_the_translated_404_page_with_a_way_back(panel_client):
    response = panel_client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert "<h1>Page not found</h1>" in html
    assert "/no-such-page/" in html
    assert f'href="{reverse("overview")}" id="back"' in html
    _assert_skip_link_first(html)


def test_a_gone_service_gives_the_404_page(panel_client, monkeypatch):
    import engine

    def gone(service_id, **kwargs):
        raise engine.ServiceNotFound()

    monkeypatch.setattr(engine, "service_detail", gone)

    response = panel_client.get(reverse("services:redeploy", args=["nope"]))

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_a_visitor_gets_the_404_page_too(client, admin_login):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_the_500_page_renders_without_a_request_context_or_database(settings):
    """No django_db mark: the handler must render with no database, as Django calls it after a crash."""
    settings.DEBUG = False
    handler = get_resolver().resolve_error_handler(500)

    response = handler(RequestFactory().get("/boom/"))

    assert response.status_code == 500
    html = response.content.decode()
    assert "<h1>Something went wrong</h1>" in html
    assert f'href="{reverse("overview")}" id="back"' in html
    assert "{%" not in html and "Skip to content" in html


@pytest.mark.django_db
def test_a_crashing_view_gives_the_500_page(client, admin_login, settings, monkeypatch):
    from django.contrib.auth import get_user_model

    from services import views

    def crash(**kwargs):
        raise RuntimeError("boom")

    settings.DEBUG = False
    monkeypatch.setattr(views.selectors, "service_rows", crash)
    client.force_login(get_user_model().objects.get(username=admin_login.username))
    client.raise_request_exception = False

    response = client.get(reverse("services:list"))

    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


def test_favicon_is_linked_and_served(client, admin_login, panel_client):
    icons = _parse(panel_client.get(reverse("overview")).content.decode()).icons
    assert [icon["type"] for icon in icons] == ["image/svg+xml"]

    client.logout()
    response = client.get("/favicon.ico")  # a browser asks without logging in

    assert response.status_code == 302
    assert response["Location"] == icons[0]["href"]
    svg = client.get(response["Location"])
    assert svg.status_code == 200
    assert svg["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in b"".join(svg.streaming_content if svg.streaming else [svg.content])


@pytest.mark.django_db
def test_favicon_is_served_before_activation(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"].endswith(".svg")


# --- a real browser at a phone's width --------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_services_list_fits_a_phone_and_the_skip_link_shows_on_focus(stack, browser, make_service, admin_login):
    service = make_service(name="a11y-phone-with-a-rather-long-service-name", labels={"tier": "front", "team": "ops"})
    wait_until(lambda: running_tasks(service) == 1)
    context = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2)
    try:
        page = context.new_page()
        browser_login(page, stack.url, admin_login)
        page.goto(f"{stack.url}/services/")
        page.locator(f'tr[data-service-id="{service.id}"]').wait_for()

        # The page itself never scrolls sideways; the table does, inside its own box.
        assert page.evaluate("window.innerWidth") == 375
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        box = page.locator(".table-scroll")
        assert box.evaluate("el => el.scrollWidth > el.clientWidth")
        page.screenshot(path=ARTIFACTS / "services-phone.png", full_page=True)

        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        link = page.locator(".skip-link").bounding_box()
        assert link is not None and link["y"] >= 0 and link["x"] >= 0
        page.keyboard.press("Enter")
        assert page.evaluate("location.hash") == "#content"
        assert page.evaluate("document.activeElement.id") == "content"  # focus moved past the header

        background = "getComputedStyle(document.documentElement).backgroundColor"
        page.emulate_media(color_scheme="light")
        assert page.evaluate(background) == "rgb(245, 246, 248)"
        page.emulate_media(color_scheme="dark")  # follows the system, no reload
        assert page.evaluate(background) == "rgb(15, 20, 28)"
        page.screenshot(path=ARTIFACTS / "services-phone-dark.png", full_page=True)

        response = page.goto(f"{stack.url}/no-such-page/")
        assert response is not None and response.status == 404
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=ARTIFACTS / "not-found-phone-dark.png", full_page=True)
    finally:
        context.close()
