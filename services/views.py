"""The service pages: the list, one service, and the forms that change services through jobs.

A write view validates, asks services.runners for a Job and shows the job's page; it never
calls the engine to change anything itself.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth import authenticate
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

import engine
from accounts.roles import admin_required, operator_required
from jobs.messages import error_text
from live.rereads import reread_once_per_change

from . import runners, selectors, specs
from .chart import RANGES
from .forms import ScaleForm, ServiceForm, config_diff


def _render(request, name: str, context: dict):
    """services/<name>.html for a visit, services/_<name>.html for a live refresh."""
    template = f"services/_{name}.html" if request.htmx else f"services/{name}.html"
    return render(request, template, context)


def _engine_call(function, **kwargs):
    """(result, None), or (None, the error's words) when the engine fails; a gone service raises."""
    try:
        return function(**kwargs), None
    except engine.ServiceNotFound:
        raise
    except engine.EngineError as exc:
        return None, error_text(exc)


PAGE_SIZE = 100  # rows a page: the page's weight and render time stay flat at 1 000 services


@require_GET
@reread_once_per_change
def service_list(request):
    query, sort = request.GET.get("q", "")[:200], request.GET.get("sort", "name")
    rows, error = _engine_call(selectors.service_rows, query=query, sort=sort)
    # Filter and sort are server-side, over every service; the page shows one slice of the result.
    # get_page: a page past the end (services removed meanwhile) shows the last one, not an error.
    page = Paginator(rows or [], PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "rows": page.object_list,
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "error": error,
        "query": query,
        "sort": sort,
    }
    return _render(request, "list", context)


@require_GET
@reread_once_per_change
def service_detail(request, service_id: str):
    chart_range = request.GET.get("range", "24h")
    try:
        page, error = _engine_call(selectors.service_page, service_id=service_id, chart_range=chart_range)
    except engine.ServiceNotFound:
        raise Http404 from None
    context = {"page": page, "error": error, "service_id": service_id, "ranges": RANGES, "range": chart_range}
    return _render(request, "detail", context)


def with_service(view):
    """Give the view the service's detail: 404 when it is gone, the engine's error when unreachable."""

    @wraps(view)
    def wrapped(request, service_id: str):
        try:
            detail = engine.service_detail(service_id=service_id)
        except engine.ServiceNotFound:
            raise Http404 from None
        except engine.EngineError as exc:
            return render(request, "services/engine_error.html", {"error": error_text(exc)})
        return view(request, detail)

    return wrapped


def _password_confirms(request) -> Callable[[str], bool]:
    """The user's password, checked as a login checks it: a wrong one counts towards the client
    address's lock (accounts/lockout.py), so a stolen session cannot guess the password here."""

    def confirms(password: str) -> bool:
        return authenticate(request, username=request.user.get_username(), password=password) is not None

    return confirms


@admin_required
@require_http_methods(["GET", "POST"])
def service_create(request):
    form = ServiceForm(request.POST or None, password_confirms=_password_confirms(request))
    if request.method == "POST" and form.is_valid():
        job = runners.job_create_request(values=form.spec_values(), user=request.user)
        return redirect("jobs:detail", job_id=job.id)
    return render(request, "services/form.html", {"form": form, "creating": True})


@operator_required
@require_http_methods(["GET", "POST"])
@with_service
def service_update(request, detail: engine.ServiceDetail):
    form = ServiceForm(
        request.POST or None,
        initial=specs.form_values(detail.config),
        updating=True,
        password_confirms=_password_confirms(request),
    )
    if request.method == "POST" and form.is_valid():
        groups = specs.changed_groups(form.changed_data, form.spec_values())
        if not groups:
            messages.info(request, _("Nothing was changed."))
            return redirect("services:detail", service_id=detail.summary.id)
        job = runners.job_update_request(service=detail.summary, groups=groups, user=request.user)
        return redirect("jobs:detail", job_id=job.id)
    return render(request, "services/form.html", {"form": form, "creating": False, "service": detail.summary})


@operator_required
@require_http_methods(["GET", "POST"])
def service_scale(request, service_id: str):
    """GET: the scale form (the services list links each service here, so its rows carry no form)."""
    if request.method == "GET":
        return _scale_form(request, service_id)
    form = ScaleForm(request.POST)
    if not form.is_valid():
        for error in form.errors["replicas"]:
            messages.error(request, error)
        return redirect("services:list")
    try:
        service = engine.service_get(service_id=service_id)
    except engine.EngineError as exc:
        messages.error(request, error_text(exc).message)
        return redirect("services:list")
    if service.mode != "replicated":
        messages.error(request, error_text(engine.NotScalable()).message)
        return redirect("services:list")
    replicas = form.cleaned_data["replicas"]
    # Scaling to 0 stops every task: it asks first, with a form that posts the same values plus confirm=1.
    if replicas == 0 and request.POST.get("confirm") != "1":
        return render(request, "services/scale_zero.html", {"service": service})
    job = runners.job_scale_request(service=service, replicas=replicas, user=request.user)
    return redirect("jobs:detail", job_id=job.id)


def _scale_form(request, service_id: str):
    try:
        service = engine.service_get(service_id=service_id)
    except engine.ServiceNotFound:
        raise Http404 from None
    except engine.EngineError as exc:
        messages.error(request, error_text(exc).message)
        return redirect("services:list")
    if service.mode != "replicated":
        messages.error(request, error_text(engine.NotScalable()).message)
        return redirect("services:detail", service_id=service.id)
    return render(request, "services/scale.html", {"service": service})


@operator_required
@require_http_methods(["GET", "POST"])
@with_service
def service_redeploy(request, detail: engine.ServiceDetail):
    """GET asks; only a POST with confirm=1 (the confirmation page's form) requests the job."""
    if request.method == "POST" and request.POST.get("confirm") == "1":
        job = runners.job_redeploy_request(detail=detail, user=request.user)
        return redirect("jobs:detail", job_id=job.id)
    if request.method == "POST":
        # The detail page's button posts without confirm=1: show the question on its own URL.
        return redirect("services:redeploy", service_id=detail.summary.id)
    return render(request, "services/redeploy.html", {"service": detail.summary})


@operator_required
@require_http_methods(["GET", "POST"])
@with_service
def service_rollback(request, detail: engine.ServiceDetail):
    if not detail.can_roll_back:
        messages.error(request, error_text(engine.NoPreviousSpec()).message)
        return redirect("services:detail", service_id=detail.summary.id)
    if request.method == "POST":
        job = runners.job_rollback_request(service=detail.summary, user=request.user)
        return redirect("jobs:detail", job_id=job.id)
    diff = config_diff(detail.config, detail.previous_config)
    return render(request, "services/rollback.html", {"service": detail.summary, "diff": diff})


@admin_required
@require_http_methods(["GET", "POST"])
@with_service
def service_remove(request, detail: engine.ServiceDetail):
    if request.method == "POST":
        if request.POST.get("confirm_name") != detail.summary.name:
            messages.error(request, _("Type the service's name to confirm."))
            return redirect("services:remove", service_id=detail.summary.id)
        job = runners.job_remove_request(service=detail.summary, user=request.user)
        return redirect("jobs:detail", job_id=job.id)
    return render(request, "services/remove.html", {"service": detail.summary})
