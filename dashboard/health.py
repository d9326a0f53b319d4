"""/healthz: is this panel working? For the container's HEALTHCHECK, Swarm and load balancers.

Public (a health check cannot log in) and therefore says nothing secret: each check reports a
state word, never an address, a password in a URL or an exception text. The panel is healthy when
its database and Redis answer and its watcher's heartbeat is fresh. The engine is reported but does
not decide: restarting the panel would not bring an unreachable engine back.
"""

from __future__ import annotations

from datetime import timedelta

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

import engine
from accounts.access import activation_not_required
from watcher.models import Watcher

DECISIVE = ("database", "redis", "watcher")


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return "unreachable"
    return "ok"


def _redis() -> str:
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
    except Exception:
        return "unreachable"
    return "ok"


def _engine() -> str:
    try:
        engine.swarm_info()
    except engine.NotSwarmManager:
        return "not_manager"
    except engine.EngineError:
        return "unreachable"
    return "ok"


def _watcher() -> str:
    watchers = Watcher.objects.all()
    if settings.SWARMDECK_HEALTH_WATCHER:
        watchers = watchers.filter(name=settings.SWARMDECK_HEALTH_WATCHER)
    try:
        newest = watchers.order_by("-heartbeat_at").values_list("heartbeat_at", flat=True).first()
    except Exception:
        return "unknown"
    if newest is None:
        return "missing"
    if timezone.now() - newest > timedelta(seconds=settings.SWARMDECK_WATCHER_STALE_SECONDS):
        return "stale"
    return "ok"


@activation_not_required
@require_GET
@never_cache
def healthz(request):
    checks = {"database": _database(), "redis": _redis(), "engine": _engine()}
    checks["watcher"] = _watcher() if checks["database"] == "ok" else "unknown"
    healthy = all(checks[name] == "ok" for name in DECISIVE)
    return JsonResponse({"status": "ok" if healthy else "failing", "checks": checks}, status=200 if healthy else 503)
