from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import selectors, swarm
from .chart import RANGES


def _is_partial(request) -> bool:
    """A live refresh asks for the fragment only (htmx-style), a visit for the whole page."""
    return request.headers.get("HX-Request") == "true"


def _render(request, name: str, context: dict):
    """services/<name>.html for a visit, services/_<name>.html for a live refresh."""
    template = f"services/_{name}.html" if _is_partial(request) else f"services/{name}.html"
    return render(request, template, context)


def _engine_call(function, **kwargs) -> tuple[object, swarm.SwarmError | None]:
    try:
        return function(**kwargs), None
    except swarm.ServiceNotFound:
        raise
    except swarm.SwarmError as exc:
        return None, exc


@require_GET
def overview(request):
    data, error = _engine_call(selectors.overview)
    return _render(request, "overview", {"overview": data, "error": error, "watchers": selectors.watcher_list()})


@require_GET
def service_list(request):
    query, sort = request.GET.get("q", "")[:200], request.GET.get("sort", "name")
    rows, error = _engine_call(selectors.service_rows, query=query, sort=sort)
    return _render(request, "list", {"rows": rows or [], "error": error, "query": query, "sort": sort})


@require_GET
def service_detail(request, service_id: str):
    chart_range = request.GET.get("range", "24h")
    try:
        page, error = _engine_call(selectors.service_page, service_id=service_id, chart_range=chart_range)
    except swarm.ServiceNotFound:
        raise Http404 from None
    context = {"page": page, "error": error, "service_id": service_id, "ranges": RANGES, "range": chart_range}
    return _render(request, "detail", context)


@require_GET
def node_list(request):
    rows, error = _engine_call(selectors.node_rows)
    return _render(request, "nodes", {"rows": rows or [], "error": error})
