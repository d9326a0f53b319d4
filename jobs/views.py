"""The job pages: one job's steps, and the list of all jobs; both refresh live."""

from django.db.models import Q
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

import engine
from live.rereads import reread_once_per_change
from nodes.selectors import drain_rows

from .messages import job_error_text, step_text
from .models import Job


def _job_context(job: Job) -> dict:
    steps = [(step["at"], step_text(step)) for step in job.steps]
    return {"job": job, "steps": steps, "error_message": job_error_text(job), "drain": _drain(job)}


def _drain(job: Job):
    """A drain's tasks and where each runs now; the job's own steps still tell its story when the
    engine cannot be read."""
    try:
        return drain_rows(job=job)
    except engine.EngineError:
        return None


@require_GET
@reread_once_per_change
def job_detail(request, job_id: int):
    job = get_object_or_404(Job, id=job_id)
    return render(request, "jobs/_job.html" if request.htmx else "jobs/detail.html", _job_context(job))


@require_GET
@reread_once_per_change
def job_list(request):
    filters = {key: request.GET.get(key, "") for key in ("state", "kind", "service", "node")}
    queryset = Job.objects.select_related("requested_by")
    if filters["state"] in Job.State.values:
        queryset = queryset.filter(state=filters["state"])
    if filters["kind"] in Job.Kind.values:
        queryset = queryset.filter(kind=filters["kind"])
    if filters["service"]:
        name = filters["service"][:255]
        queryset = queryset.filter(Q(service_name__icontains=name) | Q(target_name__icontains=name))
    if filters["node"]:
        queryset = queryset.filter(node_name__icontains=filters["node"][:255])
    context = {"jobs": queryset[:200], "filters": filters, "states": Job.State.choices, "kinds": Job.Kind.choices}
    return render(request, "jobs/_list.html" if request.htmx else "jobs/list.html", context)
