"""What the services list is pushed when services change: their rows, rendered once for every viewer.

The watcher calls this with the services it saw change. Each row is rendered once per language (a
viewer's socket sends the one of its page, live.consumers.ServiceListConsumer); htmx morphs it into
the page where that service's row is shown; a removed service's row is deleted. A change the rows
cannot carry (a service created: where its row goes depends on each viewer's filter, sort and page;
the whole swarm; more rows than a push should hold) makes the lists re-read instead.
"""

from __future__ import annotations

from collections.abc import Collection

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

import engine
from live import push

from . import selectors

# Past this many changed services at once (a stack deployed, a node back), the lists re-read
# instead: half a page of rows is already about what a re-read of the page costs.
MAX_PUSHED_ROWS = 50


def service_rows_publish(*, service_ids: Collection[str], reshaped: bool = False) -> bool:
    """Push the changed rows, or a hint to re-read; False when Redis did not take it.

    ``reshaped``: services were created, so the lists' rows are not the same set any more.
    """
    ids = {service_id for service_id in service_ids if service_id}
    if reshaped or "" in service_ids or len(ids) > MAX_PUSHED_ROWS:
        return push.publish_service_list_reshaped()
    if not ids:
        return True
    try:
        rows = selectors.service_rows(ids=ids)
    except engine.EngineError:
        # The re-read shows the engine's error in the page, in the viewer's language.
        return push.publish_service_list_reshaped()
    gone = sorted(ids - {row.service.id for row in rows})  # removed: their rows leave the pages
    return push.publish_service_rows(html=service_rows_html(rows, gone=gone))


def service_rows_html(rows: list[selectors.ServiceRow], *, gone: list[str]) -> dict[str, str]:
    html = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            html[code] = render_to_string("services/_rows.html", {"rows": rows, "gone": gone, "pushed": True})
    return html
