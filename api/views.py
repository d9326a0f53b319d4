"""The API tokens pages: every user makes and revokes their own; an admin sees and revokes everybody's.

A new token is shown once, on the answer to the form's POST (never stored, never in a URL or a
redirect), with a no-store cache header; the list shows only its public prefix.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts.roles import Role, user_may

from .forms import TokenForm
from .models import ApiToken
from .tokens import token_create as token_make
from .tokens import token_revoke as token_revoked
from .tokens import tokens_visible


def _get_token_for_user(request: HttpRequest, token_id: int) -> ApiToken:
    """The token, if the user may manage it (theirs, or anybody's for an admin); 404 otherwise."""
    return get_object_or_404(tokens_visible(request.user), id=token_id)


@require_GET
def token_list(request: HttpRequest) -> HttpResponse:
    visible = tokens_visible(request.user)
    context = {
        "tokens": visible.filter(user=request.user),
        # An admin's second table: the other users' tokens, with their owner.
        "others": visible.exclude(user=request.user) if user_may(request.user, Role.ADMIN) else None,
        "openapi_docs_url": reverse("api:v1:openapi-view"),
    }
    return render(request, "api/tokens.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        new = token_make(
            user=request.user,
            name=form.cleaned_data["name"],
            role=form.cleaned_data["role"],
            days=form.cleaned_data["days"],
        )
        context = {
            "token": new.token,
            "raw": new.raw,
            "example_url": request.build_absolute_uri(reverse("api:v1:services")),
            "openapi_docs_url": reverse("api:v1:openapi-view"),
        }
        return render(request, "api/token_created.html", context, status=201)
    return render(request, "api/token_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """GET asks; POST revokes, once (a second POST, or a token revoked meanwhile, changes nothing)."""
    token = _get_token_for_user(request, token_id)
    if request.method == "POST":
        if token_revoked(token=token):
            messages.success(request, _("Token {prefix} revoked: it no longer works.").format(prefix=token.prefix))
        else:
            messages.info(request, _("Token {prefix} was already revoked.").format(prefix=token.prefix))
        return redirect("api:tokens")
    return render(request, "api/token_revoke.html", {"token": token})
