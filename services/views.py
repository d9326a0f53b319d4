from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from . import jobs, swarm
from .forms import ScaleForm
from .models import Job


def _is_partial(request) -> bool:
    """A live refresh asks for the fragment only (htmx-style), a visit for the whole page."""
    return request.headers.get("HX-Request") == "true"


@require_GET
def service_list(request):
    context = {"services": [], "error": None}
    try:
        context["services"] = swarm.service_list()
    except swarm.SwarmError as exc:
        context["error"] = exc
    template = "services/_table.html" if _is_partial(request) else "services/list.html"
    return render(request, template, context)


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


@require_GET
def job_detail(request, job_id: int):
    job = get_object_or_404(Job, id=job_id)
    template = "jobs/_job.html" if _is_partial(request) else "jobs/detail.html"
    return render(request, template, {"job": job})
