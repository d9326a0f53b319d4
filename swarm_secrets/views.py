"""The secrets pages: every secret with the services using it, one secret, and the forms that
create, rotate and remove secrets through jobs. No page ever holds a secret's content: the engine
does not return it, and the forms never render it back.

A write view validates, asks for a Job (the content handed off, never in the row) and shows the
job's page; it never calls the engine to change anything itself.
"""

from functools import wraps

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

import engine
from accounts.roles import admin_required, operator_required
from jobs.messages import error_text
from live.rereads import reread_once_per_change

from . import runners, selectors
from .forms import RemoveForm, RotateForm, SecretCreateForm, next_version_name


@operator_required
@require_GET
@reread_once_per_change
def secret_list(request):
    try:
        rows, error = selectors.secret_rows(), None
    except engine.EngineError as exc:
        rows, error = [], error_text(exc)
    template = "swarm_secrets/_list.html" if request.htmx else "swarm_secrets/list.html"
    return render(request, template, {"rows": rows, "error": error})


@operator_required
@require_GET
@reread_once_per_change
def secret_detail(request, secret_id: str):
    try:
        page, error = selectors.secret_page(secret_id=secret_id), None
    except engine.SecretNotFound:
        raise Http404 from None
    except engine.EngineError as exc:
        page, error = None, error_text(exc)
    template = "swarm_secrets/_detail.html" if request.htmx else "swarm_secrets/detail.html"
    return render(request, template, {"page": page, "error": error, "secret_id": secret_id})


# An error report (a crash with DEBUG, or mailed to the admins) shows no posted content.
@admin_required
@sensitive_post_parameters("content")
@require_http_methods(["GET", "POST"])
def secret_create(request):
    form = SecretCreateForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        job = runners.job_create_request(kind="secret", name=data["name"], data=data["data"], user=request.user)
        return redirect("jobs:detail", job_id=job.id)
    return render(request, "swarm_secrets/create.html", {"form": form})


def with_secret(view):
    """Give a write view the secret and the services using it, as read now; an unknown secret or
    an unreachable engine is an error on the secrets list, and nothing is asked for."""

    @wraps(view)
    def wrapped(request, secret_id: str):
        try:
            secret = engine.secret_get(secret_id=secret_id)
            uses = engine.secret_users().get(secret.id, [])
        except engine.EngineError as exc:
            messages.error(request, error_text(exc).message)
            return redirect("swarm_secrets:list")
        return view(request, secret, uses)

    return wrapped


@admin_required
@require_http_methods(["GET", "POST"])
@with_secret
def secret_remove(request, secret: engine.SecretSnapshot, uses: list[engine.ServiceUse]):
    """A secret in use is named so before the question; asked anyway, the engine refuses it in its
    own words on the job's page (a service may also start or stop using it meanwhile)."""
    form = RemoveForm(request.POST or None, name=secret.name)
    if request.method == "POST" and form.is_valid():
        job = runners.job_remove_request(kind="secret", object_id=secret.id, name=secret.name, user=request.user)
        return redirect("jobs:detail", job_id=job.id)
    return render(request, "swarm_secrets/remove.html", {"secret": secret, "uses": uses, "form": form})


@admin_required
@sensitive_post_parameters("content")
@require_http_methods(["GET", "POST"])
@with_secret
def secret_rotate(request, secret: engine.SecretSnapshot, uses: list[engine.ServiceUse]):
    try:
        proposed = next_version_name(secret.name, selectors.secret_names())
    except engine.EngineError as exc:
        messages.error(request, error_text(exc).message)
        return redirect("swarm_secrets:list")
    form = RotateForm(request.POST or None, request.FILES or None, proposed=proposed)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        job = runners.job_rotate_request(secret=secret, new_name=data["new_name"], data=data["data"], user=request.user)
        return redirect("jobs:detail", job_id=job.id)
    context = {"secret": secret, "uses": uses, "form": form, "proposed": proposed}
    return render(request, "swarm_secrets/rotate.html", context)
