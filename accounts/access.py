"""Who may see what: the panel's access rule, in one place.

Before activation every URL leads to the activation page, except views marked
``@public(before_activation=True)``; after it every view needs a logged-in user unless marked
``@public``. Websockets follow the same rule in ``services.consumers``.
"""

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect

from .activation import is_activated


def public(view=None, *, before_activation: bool = False):
    """Mark a view as reachable without logging in (login, activation, language choice)."""

    def mark(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            return view(*args, **kwargs)

        wrapped.swarmdeck_public = "always" if before_activation else "activated"
        return wrapped

    return mark(view) if view is not None else mark


class AccessMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        marker = getattr(view_func, "swarmdeck_public", None)
        if marker == "always":
            return None
        if not is_activated():
            return redirect("accounts:activate")
        if marker or request.user.is_authenticated:
            return None
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
