"""Static files: named by their content's hash, cached by browsers for years, sent compressed."""

import gzip
import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

HASHED = re.compile(r"^/static/(?P<name>.+)\.[0-9a-f]{12}\.(?P<ext>js|css|svg)$")


@pytest.mark.django_db
def test_a_page_links_hashed_files_served_for_years_and_gzipped(client, admin_login):
    page = client.get(reverse("login")).content.decode()
    urls = re.findall(r'<script[^>]* src="(/static/[^"]+)"', page)
    urls += re.findall(r'<link[^>]* href="(/static/[^"]+)"', page)

    assert any(url.endswith(".js") for url in urls) and any(url.endswith(".css") for url in urls)
    for url in urls:
        match = HASHED.match(url)
        assert match, f"{url} is not a hashed static file name"
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200
        assert "max-age=315360000" in response["Cache-Control"]
        assert "immutable" in response["Cache-Control"]
        if match["ext"] in ("js", "css"):
            assert response["Content-Encoding"] == "gzip"
            source = finders.find(f"{match['name']}.{match['ext']}")
            with open(source, "rb") as original:
                assert gzip.decompress(b"".join(response.streaming_content)) == original.read()


@pytest.mark.django_db
def test_an_unhashed_name_is_not_cached_for_long(client):
    response = client.get("/static/js/live.js")

    assert response.status_code == 200
    assert "immutable" not in response.get("Cache-Control", "")
