"""The networks pages: every network with the services on it, one network, and the forms that
create and remove one through jobs.

A write view validates against the networks as read now, asks networks.runners for a Job and shows
the job's page; it never calls the engine to change anything itself.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

import engine
from accounts.roles import admin_required
from jobs.messages import error_text
from live.rereads import reread_once_per_change

from . import runners, selectors
from .forms import NetworkCreateForm, NetworkRemoveForm, removal_refusal


@require_GET
@reread_once_per_change
def network_list(request):
    try:
        rows, error = selectors.network_rows(), None
    except engine.EngineError as exc:
        rows, error = [], error_text(exc)
    template = "networks/_list.html" if request.htmx else "networks/list.html"
    return render(request, template, {"rows": rows, "error": error})


@require_GET
@reread_once_per_change
def network_detail(request, network_id: str):
    try:
        page, error = selectors.network_page(network_id=network_id), None
    except engine.NetworkNotFound:
        raise Http404 from None
    except engine.EngineError as exc:
        page, error = None, error_text(exc)
    template = "networks/_detail.html" if request.htmx else "networks/detail.html"
    context = {"page": page, "error": error, "network_id": page.row.network.id if page else network_id}
    if page:
        context["refusal"] = removal_refusal(page.row.network, page.row.services)
    return render(request, template, context)


@admin_required
@require_http_methods(["GET", "POST"])
def network_create(request):
    """The form; a valid POST asks for the job. The names and subnets in use are read when the form
    is checked, so a network made meanwhile is seen."""
    try:
        networks = engine.network_list() if request.method == "POST" else []
    except engine.EngineError as exc:
        messages.error(request, error_text(exc).message)
        return redirect("networks:list")
    form = NetworkCreateForm(request.POST or None, networks=networks)
    if request.method == "POST" and form.is_valid():
        job = runners.job_network_create_request(values=form.network_values(), user=request.user)
        return redirect("jobs:detail", job_id=job.id)
    return render(request, "networks/create.html", {"form": form})


@admin_required
@require_http_methods(["GET", "POST"])
def network_remove(request, network_id: str):
    """GET asks (or says why not); a POST of the confirmation asks for the job."""
    try:
        row = selectors.network_page(network_id=network_id).row
    except engine.NetworkNotFound:
        raise Http404 from None
    except engine.EngineError as exc:
        messages.error(request, error_text(exc).message)
        return redirect("networks:list")
    form = NetworkRemoveForm(request.POST or None, network=row.network, services=row.services)
    if request.method == "POST" and form.is_valid():
        job = runners.job_network_remove_request(network=row.network, user=request.user)
        return redirect("jobs:detail", job_id=job.id)
    refusal = removal_refusal(row.network, row.services)
    return render(request, "networks/remove.html", {"row": row, "form": form, "refusal": refusal})
