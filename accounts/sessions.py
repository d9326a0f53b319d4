"""Login sessions that end: idle, too old, or replaced by a password change.

A session ends after SWARMDECK_SESSION_IDLE_MINUTES without a request the user made, and in any case
SWARMDECK_SESSION_MAX_HOURS after the login. Both are kept in the session row's own expiry (Django
loads no expired session), pushed back at most once a minute by the user's requests, so enforcing
them costs no query and an idle session's row is left for the retention to delete. A live page's
re-reads (live.js marks them) are not the user's: a page left open does not keep its session alive.
Open websockets follow their session (live.consumers): they close when it expires or ends.
"""

from __future__ import annotations

import time
from datetime import datetime

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.models import Session
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from live import push

LOGIN_AT = "swarmdeck.login_at"
SEEN_AT = "swarmdeck.seen_at"
# How stale the idle clock may get: one session write a minute at most, whatever the request rate.
TOUCH_EVERY = 60
# live.js sets it on the re-reads a push or a reconnect makes, never on what the user clicks.
AUTOMATIC_HEADER = "X-Live-Reread"


def _touch(session: SessionBase, now: float) -> None:
    login_at = session.setdefault(LOGIN_AT, now)  # a session from before this rule starts counting now
    session[SEEN_AT] = now
    idle = settings.SWARMDECK_SESSION_IDLE_MINUTES * 60
    left = login_at + settings.SWARMDECK_SESSION_MAX_HOURS * 3600 - now
    session.set_expiry(max(1, int(min(idle, left))))


class SessionLifetimeMiddleware:
    """After AuthenticationMiddleware: the user's requests push the idle expiry back; no page of a
    logged-in user is kept by a browser's or a proxy's cache (the back button after a logout)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.user.is_authenticated:
            add_never_cache_headers(response)
            session = request.session
            automatic = request.headers.get(AUTOMATIC_HEADER) == "1"
            if not automatic and time.time() - session.get(SEEN_AT, 0) >= TOUCH_EVERY:
                _touch(session, time.time())
        return response


@receiver(user_logged_in)
def session_start(sender, request, user, **kwargs) -> None:
    now = time.time()
    request.session[LOGIN_AT] = now
    _touch(request.session, now)


@receiver(user_logged_out)
def close_websockets_on_logout(sender, request, user, **kwargs) -> None:
    if request.session.session_key:
        push.publish_sessions_ended([request.session.session_key])


def session_expiry(session_key: str) -> datetime | None:
    """When the session expires, or None when it has (or was ended)."""
    return (
        Session.objects.filter(session_key=session_key, expire_date__gt=timezone.now())
        .values_list("expire_date", flat=True)
        .first()
    )


def sessions_end(*, user_id: int, keep: str | None = None) -> int:
    """End every session of the user but ``keep`` (the one that changed the password), and close
    their websockets. Django would refuse them at their next request anyway (their password hash is
    stale), but their open sockets would go on receiving the swarm's changes."""
    ended = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).exclude(session_key=keep)
        if session.get_decoded().get("_auth_user_id") == str(user_id)
    ]
    Session.objects.filter(session_key__in=ended).delete()
    push.publish_sessions_ended(ended)
    return len(ended)
