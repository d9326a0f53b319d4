"""The Updates page: the auto-update flag and schedule, every followed image, and the jobs they made."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import admin_required, operator_required
from live.rereads import reread_once_per_change

from . import policy
from .forms import PolicyForm
from .runners import update_check_request
from .selectors import updates_overview


def _page(request, form: PolicyForm | None = None, status: int = 200):
    auto_update = policy.auto_update_get()
    form = form or PolicyForm(instance=policy.policy_get(), fixed=auto_update.fixed)
    if auto_update.fixed:
        form.initial["auto_update"] = auto_update.enabled
    targets, update_jobs = updates_overview()
    context = {"form": form, "auto_update": auto_update, "targets": targets, "jobs": update_jobs}
    # A live refresh (any job changed) re-reads the followed images and jobs, never the form.
    template = "updates/_status.html" if request.htmx else "updates/page.html"
    return render(request, template, context, status=status)


@require_GET
@reread_once_per_change
def updates_page(request):
    return _page(request)


@admin_required
@require_POST
def policy_save(request):
    auto_update = policy.auto_update_get()
    form = PolicyForm(request.POST, instance=policy.policy_get(), fixed=auto_update.fixed)
    if not form.is_valid():
        return _page(request, form, status=400)
    policy.schedule_set(
        schedule=form.cleaned_data["schedule"], at=form.cleaned_data["at"], weekday=form.cleaned_data["weekday"]
    )
    if not auto_update.fixed:
        policy.auto_update_set(enabled=form.cleaned_data["auto_update"])
    messages.success(request, _("Update settings saved."))
    return redirect("updates:page")


@operator_required
@require_POST
def check_now(request):
    job = update_check_request(user=request.user)
    return redirect("jobs:detail", job_id=job.id)
