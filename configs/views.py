"""The configs pages: every config with the services using it, one config (its content shown,
escaped: a config is not secret), and the forms that create and remove configs through jobs."""

from functools import wraps

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

import engine
from accounts.roles import admin_required
from jobs.messages import error_text
from live.rereads import reread_once_per_change
from swarm_secrets import runners

from . import selectors
from .forms import ConfigCreateForm, RemoveForm


@require_GET
@reread_once_per_change
def config_list(request):
    try:
        rows, error = selectors.config_rows(), None
    except engine.EngineError as exc:
        rows, error = [], error_text(exc)
    template = "configs/_list.html" if request.htmx else "configs/list.html"
    return render(request, template, {"rows": rows, "error": error})


@require_GET
@reread_once_per_change
def config_detail(request, config_id: str):
    try:
        page, error = selectors.config_page(config_id=config_id), None
    except engine.ConfigNotFound:
        raise Http404 from None
    except engine.EngineError as exc:
        page, error = None, error_text(exc)
    template = "configs/_detail.html" if request.htmx else "configs/detail.html"
    return render(request, template, {"page": page, "error": error, "config_id": config_id})


@admin_required
@require_http_methods(["GET", "POST"])
def config_create(request):
    form = ConfigCreateForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        job = runners.job_create_request(kind="config", name=data["name"], data=data["data"], user=request.user)
        return redirect("jobs:detail", job_id=job.id)
    return render(request, "configs/create.html", {"form": form})


def with_config(view):
    @wraps(view)
    def wrapped(request, config_id: str):
        try:
            config = engine.config_get(config_id=config_id)
            uses = engine.config_users().get(config.id, [])
        except engine.EngineError as exc:
            messages.error(request, error_text(exc).message)
            return redirect("configs:list")
        return view(request, config, uses)

    return wrapped


@admin_required
@require_http_methods(["GET", "POST"])
@with_config
def config_remove(request, config: engine.ConfigSnapshot, uses: list[engine.ServiceUse]):
    """A config in use is named so before the question; asked anyway, the engine refuses it in its
    own words on the job's page."""
    form = RemoveForm(request.POST or None, name=config.name)
    if request.method == "POST" and form.is_valid():
        job = runners.job_remove_request(kind="config", object_id=config.id, name=config.name, user=request.user)
        return redirect("jobs:detail", job_id=job.id)
    return render(request, "configs/remove.html", {"config": config, "uses": uses, "form": form})
