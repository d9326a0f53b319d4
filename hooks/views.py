"""The deploy hook pages (administrators only) and the hook URL itself, which CI calls.

A hook's secret is on one page only: the answer to its creation or rotation. The database keeps it
sealed, and no other page, list or log shows it.
"""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import engine
from accounts.lockout import client_address
from accounts.roles import admin_required
from jobs.messages import error_text

from . import deploy, selectors
from . import messages as hook_messages
from .forms import HookCreateForm
from .models import DeployHook, HookCall


def _absolute(request: HttpRequest, path: str) -> str:
    """The URL a caller outside uses: SWARMDECK_URL's when it is set (behind a proxy the request's
    own scheme and host may be the proxy's view), else the request's."""
    return settings.SWARMDECK_URL + path if settings.SWARMDECK_URL else request.build_absolute_uri(path)


def _hook_url(request: HttpRequest, hook: DeployHook) -> str:
    return _absolute(request, reverse("hooks:call", args=[hook.key]))


@require_GET
@admin_required
def hook_list(request):
    rows = list(selectors.hook_rows())
    for row in rows:
        row.last_outcome_label = selectors.outcome_label(row.last_outcome)
    return render(request, "hooks/list.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@admin_required
def hook_create(request, service_id: str):
    try:
        service = engine.service_get(service_id=service_id)
    except engine.ServiceNotFound:
        raise Http404 from None
    except engine.EngineError as exc:
        return render(request, "services/engine_error.html", {"error": error_text(exc)})
    form = HookCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        hook, secret = deploy.hook_create(service=service, name=form.cleaned_data["name"], user=request.user)
        return _secret_page(request, hook, secret, created=True)
    existing = selectors.hook_rows(service_id=service.id)
    return render(request, "hooks/create.html", {"form": form, "service": service, "existing": existing})


def _secret_page(request, hook: DeployHook, secret: str, *, created: bool):
    """The one page with the secret: an answer to a POST, never a page to come back to."""
    context = {"hook": hook, "secret": secret, "url": _hook_url(request, hook), "created": created}
    return render(request, "hooks/secret.html", context)


def with_hook(view):
    @wraps(view)
    def wrapped(request, hook_id: int):
        return view(request, get_object_or_404(DeployHook, id=hook_id))

    return wrapped


@require_GET
@admin_required
@with_hook
def hook_detail(request, hook: DeployHook):
    calls = selectors.hook_calls(hook=hook)
    context = {"hook": hook, "calls": calls, "url": _hook_url(request, hook), "window": deploy.WINDOW_SECONDS}
    return render(request, "hooks/detail.html", context)


@require_http_methods(["GET", "POST"])
@admin_required
@with_hook
def hook_rotate(request, hook: DeployHook):
    if request.method == "POST":
        return _secret_page(request, hook, deploy.hook_rotate(hook=hook), created=False)
    return render(request, "hooks/rotate.html", {"hook": hook})


@require_POST
@admin_required
@with_hook
def hook_enable(request, hook: DeployHook):
    enabled = request.POST.get("enabled") == "1"
    deploy.hook_enabled_set(hook=hook, enabled=enabled)
    text = _("The hook is enabled.") if enabled else _("The hook is disabled: its calls are refused.")
    messages.success(request, text)
    return redirect("hooks:detail", hook_id=hook.id)


@require_http_methods(["GET", "POST"])
@admin_required
@with_hook
def hook_remove(request, hook: DeployHook):
    if request.method == "POST":
        deploy.hook_remove(hook=hook)
        messages.success(
            request, _("Deploy hook “{name}” of {service} removed.").format(name=hook.name, service=hook.service_name)
        )
        return redirect("hooks:list")
    return render(request, "hooks/remove.html", {"hook": hook})


# --- the hook URL: called by CI, signed with the hook's secret, never with a login ---------------


@csrf_exempt
@login_not_required
@require_POST
def hook_call(request, key: str):
    hook = DeployHook.objects.filter(key=key).first()
    if hook is None:
        return _refusal("unknown_hook")
    call = deploy.hook_call_handle(
        hook=hook,
        timestamp=request.headers.get(deploy.TIMESTAMP_HEADER, "").strip(),
        signature=request.headers.get(deploy.SIGNATURE_HEADER, "").strip(),
        body=_body(request),
        client=client_address(request),
    )
    if call.outcome == HookCall.Outcome.ACCEPTED:
        url = _absolute(request, reverse("jobs:detail", args=[call.job_id]))
        return JsonResponse({"job": call.job_id, "url": url}, status=202)
    return _refusal(call.outcome, call=call, hook=hook)


def _body(request: HttpRequest) -> bytes | None:
    """The raw body, or None when it is larger than a hook's (not read then, when the client says so)."""
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > deploy.MAX_BODY:
        return None
    body = request.body
    return body if len(body) <= deploy.MAX_BODY else None


def _refusal(code: str, *, call: HookCall | None = None, hook: DeployHook | None = None) -> JsonResponse:
    status, words = hook_messages.REFUSALS[code]
    reason = ""
    if call is not None and call.detail:
        reason = str(hook_messages.BAD_REQUEST[call.detail]).format(limit=deploy.MAX_BODY)
    message = str(words).format(
        seconds=deploy.WINDOW_SECONDS,
        image=call.change if call else "",
        service=hook.service_name if hook else "",
        reason=reason,
    )
    return JsonResponse({"code": code, "message": message}, status=status)
