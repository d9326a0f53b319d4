"""The stacks pages: every stack, one stack (its services, objects and deploys), and the forms that
deploy, update, roll back and remove a stack through jobs.

A write view validates (stacks.compose: nothing the engine is sent unchecked), records the deploy,
asks stacks.runners for a Job, hands the job the files of the `file:` secrets and configs (Redis,
sealed: never the database) and shows the job's page. It never calls the engine to change anything.
"""

from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

import engine
from accounts.roles import admin_required
from jobs.messages import error_text
from live.rereads import reread_once_per_change
from services.masking import mask_value

from . import runners, selectors
from .forms import DeployForm, RemoveForm, RollbackForm
from .models import StackDeploy


@require_GET
@reread_once_per_change
def stack_list(request):
    try:
        rows, error = selectors.stack_rows(), None
    except engine.EngineError as exc:
        rows, error = [], error_text(exc)
    template = "stacks/_list.html" if request.htmx else "stacks/list.html"
    return render(request, template, {"rows": rows, "error": error})


@require_GET
@reread_once_per_change
def stack_detail(request, name: str):
    try:
        page, error = selectors.stack_page(name=name), None
        if page is None:
            raise Http404
    except engine.EngineError as exc:
        page, error = None, error_text(exc)
    context = {"page": page, "error": error, "name": name}
    if page and page.last_deploy:
        context["variables"] = [(key, mask_value(key, value)) for key, value in page.last_deploy.variables.items()]
    return render(request, "stacks/_detail.html" if request.htmx else "stacks/detail.html", context)


def _deploy(request, form: DeployForm):
    """Record the deploy and ask for its job; the files go to the job once the row is there, before
    the worker is told (job_request hands it over when the transaction commits)."""
    data = form.cleaned_data
    checked = data["compose"]
    with transaction.atomic():
        deploy = StackDeploy.objects.create(
            stack_name=data["name"],
            compose=checked.text,
            variables=data["variables"],
            file_names=sorted(set(checked.files.values())),
            requested_by=request.user,
        )
        job = runners.job_deploy_request(deploy=deploy, files=checked.files, uploads=data["files"], user=request.user)
    return redirect("jobs:detail", job_id=job.id)


@admin_required
@require_http_methods(["GET", "POST"])
def stack_deploy(request):
    form = DeployForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        return _deploy(request, form)
    return render(request, "stacks/deploy.html", {"form": form, "name": ""})


@admin_required
@require_http_methods(["GET", "POST"])
def stack_update(request, name: str):
    """The deploy form for an existing stack, filled with its last deploy through the panel."""
    last = StackDeploy.objects.filter(stack_name=name).first()
    initial = {}
    if last:
        initial = {
            "compose_text": last.compose,
            "variables": "\n".join(f"{key}={value}" for key, value in last.variables.items()),
        }
    form = DeployForm(request.POST or None, request.FILES or None, stack_name=name, initial=initial)
    if request.method == "POST" and form.is_valid():
        return _deploy(request, form)
    return render(request, "stacks/deploy.html", {"form": form, "name": name, "last": last})


@admin_required
@require_http_methods(["GET", "POST"])
def stack_rollback(request, name: str, deploy_id: int):
    """Deploy an earlier deploy's file and variables again, as a new deploy that points back to it."""
    earlier = get_object_or_404(StackDeploy, id=deploy_id, stack_name=name)
    current = StackDeploy.objects.filter(stack_name=name).first()
    form = RollbackForm(request.POST or None, request.FILES or None, deploy=earlier)
    if request.method == "POST" and form.is_valid():
        checked = form.cleaned_data["compose"]
        files = form.cleaned_data["files"]
        with transaction.atomic():
            deploy = StackDeploy.objects.create(
                stack_name=name,
                compose=earlier.compose,
                variables=earlier.variables,
                file_names=sorted(set(checked.files.values())),
                requested_by=request.user,
                rollback_of=earlier,
            )
            job = runners.job_deploy_request(deploy=deploy, files=checked.files, uploads=files, user=request.user)
        return redirect("jobs:detail", job_id=job.id)
    diff = selectors.compose_diff(current.compose, earlier.compose) if current else []
    return render(request, "stacks/rollback.html", {"form": form, "name": name, "deploy": earlier, "diff": diff})


@admin_required
@require_http_methods(["GET", "POST"])
def stack_remove(request, name: str):
    try:
        stack = engine.stack_get(name=name)
    except engine.EngineError as exc:
        return render(request, "stacks/remove.html", {"name": name, "error": error_text(exc)})
    if stack.empty:
        raise Http404
    form = RemoveForm(request.POST or None, name=name)
    if request.method == "POST" and form.is_valid():
        job = runners.job_remove_request(name=name, user=request.user)
        return redirect("jobs:detail", job_id=job.id)
    return render(request, "stacks/remove.html", {"name": name, "stack": stack, "form": form})
