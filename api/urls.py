"""/api/tokens/ (the pages where users make and revoke their tokens) and /api/v1/ (the JSON API).

The API's operations authenticate by token, not by session: they are exempt from Django's login
requirement and from the activation gate's redirect, and answer for themselves instead
(api.v1.TokenAuth: 503 before activation, 401 without a usable token). ninja marks them CSRF-exempt
(no cookie authenticates them). The schema and docs pages stay behind the panel's login.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.urls import URLPattern, path, re_path
from django.views.decorators.csrf import csrf_exempt

from accounts.access import activation_not_required

from . import views
from .messages import api_message
from .v1 import api

# ninja's own pages: for a logged-in person, as every page of the panel.
PAGES = frozenset({"openapi-json", "openapi-view", "api-root"})


def _json_refusal(status: int, code: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": api_message(code), "detail": "", "errors": []}, status=status)


def _token_authenticated(view: Callable) -> Callable:
    """An operation's view, whose wrong-method answer is JSON too (ninja's is plain text)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            refusal = _json_refusal(405, "method_not_allowed")
            refusal["Allow"] = response["Allow"]
            return refusal
        return response

    return activation_not_required(csrf_exempt(wrapped))


@activation_not_required
@csrf_exempt
def no_route(request: HttpRequest, rest: str) -> JsonResponse:
    return _json_refusal(404, "no_route")


def _v1_patterns() -> tuple[list, str, str]:
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if isinstance(pattern, URLPattern) and pattern.name not in PAGES:
            pattern.callback = _token_authenticated(pattern.callback)
    return [*patterns, re_path(r"^(?P<rest>.*)$", no_route)], app_name, namespace


app_name = "api"
urlpatterns = [
    path("tokens/", views.token_list, name="tokens"),
    path("tokens/new/", views.token_create, name="token_create"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("v1/", _v1_patterns()),
]
