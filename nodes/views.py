"""The nodes page: every node of the swarm, its tasks and its watcher."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

import engine
from jobs.messages import error_text
from live.rereads import reread_once_per_change

from . import selectors


@require_GET
@reread_once_per_change
def node_list(request):
    try:
        rows, error = selectors.node_rows(), None
    except engine.EngineError as exc:
        rows, error = [], error_text(exc)
    template = "nodes/_list.html" if request.htmx else "nodes/list.html"
    return render(request, template, {"rows": rows, "error": error})
