"""The overview at /: the swarm at a glance."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

import engine
from jobs.messages import error_text
from live.rereads import reread_once_per_change

from . import selectors


@require_GET
@reread_once_per_change
def overview(request):
    try:
        data, error = selectors.overview(), None
    except engine.EngineError as exc:
        data, error = None, error_text(exc)
    template = "dashboard/_overview.html" if request.htmx else "dashboard/overview.html"
    return render(request, template, {"overview": data, "error": error, "watchers": selectors.watcher_list()})
