"""A live region's re-read after a hint, rendered once per change for every viewer of the same page.

Every hint carries the version of the change it announces (live.push: ``version``, the publish
time in ns); static/js/live.js sends it back with the region's re-read as ``X-Live-Version``. The
first re-read of a version renders the fragment, and the other viewers of the same URL, in the same
language, get those bytes from this process's cache: a change costs one render per web process,
not one per viewer. Only for fragments with nothing of one viewer in them (no "you", no CSRF token:
a form in one, the service page's scale form, gets the viewer's token from the page on submit,
static/js/live.js): the overview, the nodes page, the services list and a service's page, the jobs
pages, the Updates page's status. A re-read without a version (a reconnect, a first load) is
rendered as always.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import wraps

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language

KEPT_SECONDS = 30  # long enough for every viewer's re-read of one change, short enough to stay small

_guard = threading.Lock()
_rendering: dict[str, threading.Lock] = {}  # a lock per re-read being rendered now


def reread_once_per_change(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        version = request.headers.get("X-Live-Version", "")
        if request.method != "GET" or not request.htmx or not version.isdigit() or len(version) > 20:
            return view(request, *args, **kwargs)
        key = f"live.reread:{get_language()}:{version}:{request.get_full_path()}"
        content = cache.get(key)
        if content is not None:
            return HttpResponse(content)
        # The viewers' re-reads of one change arrive together, each in a thread of its own (Django
        # runs every request's sync view in its own thread): the first renders, the others wait for
        # its bytes instead of all rendering at once.
        with _guard:
            lock = _rendering.setdefault(key, threading.Lock())
        with lock:
            content = cache.get(key)
            if content is not None:
                return HttpResponse(content)
            try:
                response = view(request, *args, **kwargs)
                if response.status_code == 200 and not response.streaming:
                    cache.set(key, response.content, KEPT_SECONDS)
            finally:
                with _guard:
                    _rendering.pop(key, None)
        return response

    wrapped.shares_rereads = True  # type: ignore[attr-defined]  # for the tests: which pages share
    return wrapped
