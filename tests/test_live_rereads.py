"""Re-reads of one announced change share one render per web process (live.rereads)."""

import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.urls import resolve, reverse

from live.rereads import reread_once_per_change

from .fixtures_fake import WEB_ID

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_shared_renders_from_other_tests():
    cache.clear()
    yield
    cache.clear()


LIVE_PAGES = ["overview", "services:list", "nodes:list", "jobs:list", "updates:page"]  # and a service, below


def _reread(client, url: str, version: str | None, language: str = "en"):
    headers = {"HX-Request": "true", "Accept-Language": language}
    if version is not None:
        headers["X-Live-Version"] = version
    return client.get(url, headers=headers)


def _services_calls(fake_engine) -> int:
    return sum(1 for name, _ in fake_engine.calls if name == "services")


def test_viewers_of_one_change_share_one_render(panel_client, fake_engine):
    url = reverse("overview")

    first = _reread(panel_client, url, "100")
    renders = _services_calls(fake_engine)
    again = [_reread(panel_client, url, "100") for _ in range(5)]

    assert renders == 1
    assert _services_calls(fake_engine) == 1  # the five others were served the same bytes
    assert all(response.content == first.content for response in again)
    assert b"rec-web" in first.content


def test_another_change_another_language_or_no_version_renders_again(panel_client, fake_engine):
    url = reverse("services:list")

    _reread(panel_client, url, "100")
    _reread(panel_client, url, "101")  # the next change
    spanish = _reread(panel_client, url, "101", language="es")  # the same change in another language
    _reread(panel_client, url, None)  # a reconnect's re-read: no announced change
    _reread(panel_client, f"{url}?sort=-name", "101")  # another page of the list

    assert _services_calls(fake_engine) == 5
    assert "Escalar" in spanish.content.decode()


@pytest.mark.parametrize("version", ["", "abc", "1" * 21, "-5"])
def test_a_version_that_is_not_a_change_is_rendered_as_always(panel_client, fake_engine, version):
    url = reverse("overview")

    _reread(panel_client, url, version)
    _reread(panel_client, url, version)

    assert _services_calls(fake_engine) == 2


def test_a_full_page_visit_is_never_shared(panel_client, fake_engine):
    url = reverse("overview")

    panel_client.get(url, headers={"X-Live-Version": "100"})
    panel_client.get(url, headers={"X-Live-Version": "100"})

    assert _services_calls(fake_engine) == 2


@pytest.mark.parametrize("name", LIVE_PAGES)
def test_the_live_pages_share_their_re_reads_and_hold_nothing_of_a_viewer(panel_client, fake_engine, name):
    view = resolve(reverse(name)).func

    response = _reread(panel_client, reverse(name), "100")

    assert _shares_rereads(view)
    assert response.status_code == 200
    assert "csrfmiddlewaretoken" not in response.content.decode()


def test_the_service_page_is_shared_and_its_form_gets_the_viewers_token_from_the_page(panel_client, fake_engine):
    url = reverse("services:detail", args=[WEB_ID])

    reread = _reread(panel_client, url, "100").content.decode()
    calls = len(fake_engine.calls)
    again = _reread(panel_client, url, "100").content.decode()
    assert len(fake_engine.calls) == calls  # served the first one's bytes
    assert again == reread
    page = panel_client.get(url).content.decode()

    assert _shares_rereads(resolve(url).func)
    # The shared re-read's scale form has no token; the page, rendered for this viewer, has one in
    # the form (no script needed) and in <meta name="csrf-token"> (live.js adds it to a re-read form).
    assert 'class="scale needs-operator"' in reread and "csrfmiddlewaretoken" not in reread
    assert re.search(r'<form class="scale needs-operator"[^>]*><input type="hidden" name="csrfmiddlewaretoken"', page)
    assert re.search(r'<meta name="csrf-token" content="[^"]{32,}">', page)


def _shares_rereads(view) -> bool:
    while view is not None:
        if getattr(view, "shares_rereads", False):
            return True
        view = getattr(view, "__wrapped__", None)
    return False


def test_re_reads_arriving_together_wait_for_the_first_render(rf):
    from django_htmx.middleware import HtmxDetails

    renders = []

    @reread_once_per_change
    def view(request):
        renders.append(request)
        time.sleep(0.2)  # a render long enough for the others to arrive meanwhile
        return HttpResponse(f"render {len(renders)}")

    def reread(_) -> bytes:
        request = rf.get("/", headers={"HX-Request": "true", "X-Live-Version": "5"})
        request.htmx = HtmxDetails(request)
        return view(request).content

    with ThreadPoolExecutor(max_workers=8) as pool:
        contents = list(pool.map(reread, range(8)))

    assert len(renders) == 1
    assert contents == [b"render 1"] * 8
