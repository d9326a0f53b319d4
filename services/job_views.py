"""Views that change the swarm: each validates, then asks services.jobs for a Job, then shows it."""

from functools import wraps

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import jobs, specs, swarm
from .forms import ScaleForm, ServiceForm
from .job_messages import ERRORS, STEPS
from .job_messages import render as render_message
from .models import Job


def with_service(view):
    """Give the view the service's detail: 404 when it is gone, the engine's error when unreachable."""

    @wraps(view)
    def wrapped(request, service_id: str):
        try:
            detail = swarm.service_detail(service_id=service_id)
        except swarm.ServiceNotFound:
            raise Http404 from None
        except swarm.SwarmError as exc:
            return render(request, "services/engine_error.html", {"error": exc})
        return view(request, detail)

    return wrapped


@require_http_methods(["GET", "POST"])
def service_create(request):
    form = ServiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        job = jobs.job_create_request(values=form.spec_values(), user=request.user)
        return redirect("services:job", job_id=job.id)
    return render(request, "services/form.html", {"form": form, "creating": True})


@require_http_methods(["GET", "POST"])
@with_service
def service_update(request, detail: swarm.ServiceDetail):
    initial = specs.values_from_spec(detail.spec)
    form = ServiceForm(request.POST or None, initial=initial, updating=True)
    if request.method == "POST" and form.is_valid():
        groups = specs.changed_groups(form.changed_data, form.spec_values())
        if not groups:
            messages.info(request, _("Nothing was changed."))
            return redirect("services:detail", service_id=detail.summary.id)
        job = jobs.job_update_request(service=detail.summary, groups=groups, user=request.user)
        return redirect("services:job", job_id=job.id)
    return render(request, "services/form.html", {"form": form, "creating": False, "service": detail.summary})


@require_POST
def service_scale(request, service_id: str):
    form = ScaleForm(request.POST)
    if not form.is_valid():
        for error in form.errors["replicas"]:
            messages.error(request, error)
        return redirect("services:list")
    try:
        service = swarm.service_get(service_id=service_id)
    except swarm.SwarmError as exc:
        messages.error(request, exc.message)
        return redirect("services:list")
    if service.mode != "replicated":
        messages.error(request, swarm.NotScalable().message)
        return redirect("services:list")
    job = jobs.job_scale_request(service=service, replicas=form.cleaned_data["replicas"], user=request.user)
    return redirect("services:job", job_id=job.id)


@require_POST
@with_service
def service_redeploy(request, detail: swarm.ServiceDetail):
    force = detail.spec.get("TaskTemplate", {}).get("ForceUpdate", 0) + 1
    job = jobs.job_redeploy_request(service=detail.summary, force_update=force, user=request.user)
    return redirect("services:job", job_id=job.id)


@require_http_methods(["GET", "POST"])
@with_service
def service_rollback(request, detail: swarm.ServiceDetail):
    if not detail.previous_spec:
        messages.error(request, swarm.NoPreviousSpec().message)
        return redirect("services:detail", service_id=detail.summary.id)
    if request.method == "POST":
        job = jobs.job_rollback_request(service=detail.summary, user=request.user)
        return redirect("services:job", job_id=job.id)
    diff = specs.spec_diff(detail.spec, detail.previous_spec)
    return render(request, "services/rollback.html", {"service": detail.summary, "diff": diff})


@require_http_methods(["GET", "POST"])
@with_service
def service_remove(request, detail: swarm.ServiceDetail):
    if request.method == "POST":
        if request.POST.get("confirm_name") != detail.summary.name:
            messages.error(request, _("Type the service's name to confirm."))
            return redirect("services:remove", service_id=detail.summary.id)
        job = jobs.job_remove_request(service=detail.summary, user=request.user)
        return redirect("services:job", job_id=job.id)
    return render(request, "services/remove.html", {"service": detail.summary})


def _job_context(job: Job) -> dict:
    steps = [(step["at"], render_message(STEPS, step["code"], step.get("params"))) for step in job.steps]
    for index, step in enumerate(job.steps):
        if step["code"].startswith("error:"):
            steps[index] = (step["at"], render_message(ERRORS, step["code"][6:], step.get("params")))
    error = render_message(ERRORS, job.error_code, _error_params(job)) if job.error_code else ""
    return {"job": job, "steps": steps, "error_message": error}


def _error_params(job: Job) -> dict:
    for step in reversed(job.steps):
        if step["code"] == f"error:{job.error_code}":
            return step.get("params", {})
    return {}


@require_GET
def job_detail(request, job_id: int):
    job = get_object_or_404(Job, id=job_id)
    partial = request.headers.get("HX-Request") == "true"
    return render(request, "jobs/_job.html" if partial else "jobs/detail.html", _job_context(job))


@require_GET
def job_list(request):
    filters = {key: request.GET.get(key, "") for key in ("state", "kind", "service")}
    queryset = Job.objects.select_related("requested_by")
    if filters["state"] in Job.State.values:
        queryset = queryset.filter(state=filters["state"])
    if filters["kind"] in Job.Kind.values:
        queryset = queryset.filter(kind=filters["kind"])
    if filters["service"]:
        queryset = queryset.filter(service_name__icontains=filters["service"][:64])
    context = {"jobs": queryset[:200], "filters": filters, "states": Job.State.choices, "kinds": Job.Kind.choices}
    partial = request.headers.get("HX-Request") == "true"
    return render(request, "jobs/_list.html" if partial else "jobs/list.html", context)
