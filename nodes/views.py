"""The nodes pages: every node of the swarm, one node (its tasks now and before, its watcher), and
the forms that change a node through jobs.

A write view validates against the node as read now, asks nodes.runners for a Job and shows the
job's page; it never calls the engine to change anything itself.
"""

from functools import wraps

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import engine
from accounts.roles import admin_required
from jobs.messages import error_text
from live.rereads import reread_once_per_change

from . import runners, selectors
from .forms import AvailabilityForm, LabelsForm, RemoveForm, RoleForm


@require_GET
@reread_once_per_change
def node_list(request):
    try:
        rows, error = selectors.node_rows(), None
    except engine.EngineError as exc:
        rows, error = [], error_text(exc)
    template = "nodes/_list.html" if request.htmx else "nodes/list.html"
    return render(request, template, {"rows": rows, "error": error})


@require_GET
@reread_once_per_change
def node_detail(request, node_id: str):
    try:
        page, error = selectors.node_page(node_id=node_id), None
    except engine.NodeNotFound:
        raise Http404 from None
    except engine.EngineError as exc:
        page, error = None, error_text(exc)
    if request.htmx:
        return render(request, "nodes/_detail.html", {"page": page, "error": error})
    return _detail_render(request, page, error, node_id=node_id)


def _detail_render(request, page: selectors.NodePage | None, error=None, *, node_id: str = "", **forms):
    """The node's page with its forms; ``forms`` replaces one with the bound form that has errors."""
    context = {"page": page, "error": error, "node_id": page.node.id if page else node_id}
    if page:
        context |= {
            "availability_form": AvailabilityForm(initial={"availability": page.node.availability}),
            "labels_form": LabelsForm(node=page.node),
            **forms,
        }
    return render(request, "nodes/detail.html", context)


def with_node(view):
    """Give a write view the node as read now; an unknown node or an unreachable engine is an error
    on the nodes list, and nothing is asked for."""

    @wraps(view)
    def wrapped(request, node_id: str):
        try:
            node = engine.node_get(node_id=node_id)
        except engine.EngineError as exc:
            messages.error(request, error_text(exc).message)
            return redirect("nodes:list")
        return view(request, node)

    return wrapped


def _invalid(request, node: engine.NodeDetail, **forms):
    """The node's page again with the form's errors (nothing was asked for)."""
    try:
        page = selectors.node_page(node_id=node.id)
    except engine.EngineError as exc:
        messages.error(request, error_text(exc).message)
        return redirect("nodes:list")
    return _detail_render(request, page, **forms)


@admin_required
@require_POST
@with_node
def node_availability(request, node: engine.NodeDetail):
    form = AvailabilityForm(request.POST)
    if not form.is_valid():
        return _invalid(request, node, availability_form=form)
    availability = form.cleaned_data["availability"]
    # Draining moves every task: it asks first, listing them, with a form that posts confirm=1.
    if availability == "drain" and node.availability != "drain" and request.POST.get("confirm") != "1":
        tasks = selectors.node_tasks(node_id=node.id)
        return render(request, "nodes/drain.html", {"node": node, "tasks": tasks})
    job = runners.job_availability_request(node=node, availability=availability, user=request.user)
    return redirect("jobs:detail", job_id=job.id)


@admin_required
@require_POST
@with_node
def node_role(request, node: engine.NodeDetail):
    form = RoleForm(request.POST, node=node, managers=selectors.manager_count())
    if not form.is_valid():
        return _invalid(request, node, role_form=form)
    job = runners.job_role_request(node=node, role=form.cleaned_data["role"], user=request.user)
    return redirect("jobs:detail", job_id=job.id)


@admin_required
@require_POST
@with_node
def node_labels(request, node: engine.NodeDetail):
    form = LabelsForm(request.POST, node=node)
    if not form.is_valid():
        return _invalid(request, node, labels_form=form)
    data = form.cleaned_data
    job = runners.job_labels_request(node=node, add=data["add"], remove=sorted(data["remove"]), user=request.user)
    return redirect("jobs:detail", job_id=job.id)


@admin_required
@require_http_methods(["GET", "POST"])
@with_node
def node_remove(request, node: engine.NodeDetail):
    form = RemoveForm(request.POST or None, node=node, managers=selectors.manager_count())
    if request.method == "POST" and form.is_valid():
        job = runners.job_node_remove_request(node=node, force=form.cleaned_data["force"], user=request.user)
        return redirect("jobs:detail", job_id=job.id)
    return render(request, "nodes/remove.html", {"node": node, "form": form})
