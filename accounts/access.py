"""Who may see what: the panel's access rule, in one place.

After activation Django's ``LoginRequiredMiddleware`` asks for a logged-in user on every view not
marked ``@login_not_required`` (the login page). Before it, ``ActivationGateMiddleware`` (placed
before Django's) sends every URL to the activation page, except views marked
``@activation_not_required`` (activation, language choice, the JavaScript catalog, /healthz), which
need no login either. Websockets follow the same rule in ``live.consumers``: they need a logged-in
user, and before activation there is none.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect

from . import activation

# A panel never goes back to "not activated": once the database says so, this process stops asking.
_activated = False


def panel_activated() -> bool:
    """``activation.is_activated()``, asked only until it is true."""
    global _activated
    if not _activated:
        _activated = activation.is_activated()
    return _activated


def activation_forget() -> None:
    """For the tests, which empty the database between themselves: ask the database again."""
    global _activated
    _activated = False


def activation_not_required(view: Callable) -> Callable:
    """Reachable before activation too, and therefore without logging in."""
    view = login_not_required(view)
    view.activation_required = False
    return view


class ActivationGateMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "activation_required", True) and not panel_activated():
            return redirect("accounts:activate")
        return None
