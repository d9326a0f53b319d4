"""The services page at scale: pages of 100 with the filter and sort kept, compact rows, one query per table."""

import copy
import hashlib
import re
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import engine
from services.views import PAGE_SIZE

from .fixtures_fake import CRASH, GLOBAL, MOUNTS, WEB

pytestmark = pytest.mark.django_db

ROW = re.compile(r"<tr data-service-id=")


def _id(seed: str) -> str:
    """A 25-character id, as Swarm's."""
    return hashlib.sha256(seed.encode()).hexdigest()[:25]


def grow(fake, count: int) -> list[str]:
    """Serve ``count`` services: copies of the recorded four (modes, labels, tasks, restarts), each
    under its own id and name, with a pinned image digest as Swarm writes it. Returns their names."""
    templates = {name: fake.service_id(name) for name in (WEB, GLOBAL, CRASH, MOUNTS)}
    services, inspected, tasks = [], {}, []
    names = []
    for n in range(count):
        name = f"svc-{n:04d}"
        source_name = (WEB, GLOBAL, CRASH, MOUNTS)[n % 4]
        source_id, service_id = templates[source_name], _id(name)
        listed = copy.deepcopy(next(s for s in fake._services if s["ID"] == source_id))
        detail = copy.deepcopy(fake._inspected[source_id])
        for raw in (listed, detail):
            raw["ID"] = service_id
            raw["Spec"]["Name"] = name
            container = raw["Spec"]["TaskTemplate"]["ContainerSpec"]
            container["Image"] = (
                container["Image"].split("@")[0] + "@sha256:" + hashlib.sha256(name.encode()).hexdigest()
            )
        services.append(listed)
        inspected[service_id] = detail
        for task in fake._tasks:
            if task.get("ServiceID") == source_id:
                clone = copy.deepcopy(task)
                clone["ID"], clone["ServiceID"] = _id(task["ID"] + name), service_id
                tasks.append(clone)
        names.append(name)
    fake._services, fake._inspected, fake._tasks = services, inspected, tasks
    return names


def _fragment(panel_client, **query) -> str:
    response = panel_client.get(reverse("services:list"), query, headers={"HX-Request": "true"})
    assert response.status_code == 200
    return response.content.decode()


def _rows(html: str) -> int:
    return len(ROW.findall(html))


def _names(html: str) -> list[str]:
    return re.findall(r'<td class="name"><a href="[^"]+/">([^<]+)</a>', html)


def test_the_list_is_paged_by_100_with_the_filter_and_sort_kept(panel_client, fake_engine):
    names = grow(fake_engine, 250)

    first = _fragment(panel_client)
    assert _rows(first) == PAGE_SIZE == 100
    assert _names(first) == names[:100]
    assert "Services 1–100 of 250" in first
    third = _fragment(panel_client, page=3)
    assert _names(third) == names[200:]
    assert _fragment(panel_client, page=99) == third  # past the end: the last page
    assert _fragment(panel_client, page="x") == first

    # Sorted and filtered over every service, then paged; the page links keep both.
    backwards = _fragment(panel_client, sort="-name", page=2)
    assert _names(backwards) == sorted(names, reverse=True)[100:200]
    assert 'href="?q=&amp;sort=-name&amp;page=3" rel="next"' in backwards
    assert 'href="?q=&amp;sort=-name&amp;page=1" rel="prev"' in backwards
    assert 'aria-current="page" href="?q=&amp;sort=-name&amp;page=2"' in backwards
    filtered = _fragment(panel_client, q="svc-01", sort="-name")
    assert _names(filtered) == [f"svc-01{n:02d}" for n in range(99, -1, -1)]
    assert "Services" not in filtered.split("</table>")[1]  # 100 matches: one page, no page links
    tier = _fragment(panel_client, q="tier", page=2)  # a label filter: rec-web's and rec-global's copies
    assert _names(tier) == [name for n, name in enumerate(names) if n % 4 in (0, 1)][100:]
    assert 'href="?q=tier&amp;sort=name&amp;page=1" rel="prev"' in tier


def test_the_live_refresh_re_reads_the_page_it_shows(panel_client, fake_engine):
    grow(fake_engine, 150)

    html = panel_client.get(reverse("services:list"), {"q": "svc", "sort": "-name", "page": 2}).content.decode()

    assert 'hx-get="/services/?q=svc&amp;sort=-name&amp;page=2"' in html


def test_one_query_per_table_whatever_the_number_of_services(panel_client, fake_engine, django_assert_max_num_queries):
    from history import recorder
    from history.models import Task

    grow(fake_engine, 300)
    for task in engine.task_list():
        recorder.task_record(task, service_name="svc")  # exits and health, as the watcher records them
    panel_client.get(reverse("services:list"))  # the session's first use writes nothing later

    with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(4):
        html = _fragment(panel_client, sort="restarts")

    tables = Counter(re.search(r'FROM "(\w+)"', query["sql"]).group(1) for query in queries.captured_queries)
    assert set(tables.values()) == {1}, tables  # the session, the user, the tasks' history
    assert tables[Task._meta.db_table] == 1
    assert "bad" in html  # the restarts were counted, in that one query


def test_restarts_and_health_come_out_right_from_the_one_query(panel_client, fake_web):
    row = panel_client.get(reverse("services:list")).context["rows"][0]

    assert (row.service.name, row.restarts, row.restarts_last_hour) == (WEB, 1, 1)


def test_a_row_is_compact_and_the_page_weighs_little_per_service(panel_client, fake_engine):
    grow(fake_engine, 300)

    html = _fragment(panel_client)

    body = html[html.index("<tbody>") + len("<tbody>") : html.index("</tbody>")]  # the rows, no chrome
    assert _rows(body) == 100
    assert "csrfmiddlewaretoken" not in html and "<form" not in html and "<input" not in html
    # 25-character ids (three times a row) and the recording's 1 to 3 labels a service: ~400 bytes, the
    # per-row scale form made it ~1.2 KiB. The page holds 100 of the 300: well under 300 bytes a service.
    assert len(body) / 100 < 450
    assert len(html) / 300 < 200


def test_the_scale_link_opens_the_scale_page_whose_form_scales(panel_client, fake_engine, no_enqueue):
    html = _fragment(panel_client)
    web, global_ = fake_engine.service_id(WEB), fake_engine.service_id(GLOBAL)
    assert f'<a href="{web}/scale/">Scale</a>' in html
    assert f'<a href="{global_}/scale/">' not in html  # a global service is not scaled

    page = panel_client.get(reverse("services:scale", args=[web]))

    assert page.status_code == 200
    form = page.content.decode()
    assert f'action="{reverse("services:scale", args=[web])}"' in form
    assert 'name="replicas" type="number" min="0" max="1000" value="2" required autofocus' in form
    assert "csrfmiddlewaretoken" in form
    zero = panel_client.post(reverse("services:scale", args=[web]), {"replicas": "0"})
    assert zero.templates[0].name == "services/scale_zero.html"  # 0 still asks first
    assert not no_enqueue


def test_the_scale_page_of_a_global_or_gone_service(panel_client, fake_engine):
    global_ = fake_engine.service_id(GLOBAL)

    response = panel_client.get(reverse("services:scale", args=[global_]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("services:detail", args=[global_])
    assert "cannot be scaled" in response.content.decode() or response.context["messages"]
    assert panel_client.get(reverse("services:scale", args=["nosuchservice"])).status_code == 404
