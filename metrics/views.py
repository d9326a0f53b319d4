"""/metrics: Prometheus' text format, for a scraper that shows a token or comes from an allowed network.

Without a login: a scraper has none. A bearer token (SWARMDECK_METRICS_TOKEN) is checked in constant
time; without it, only the addresses of SWARMDECK_METRICS_NETWORKS (this machine by default) are
served, as told by accounts.lockout.client_address (a trusted proxy's X-Forwarded-For, nobody else's).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from accounts.access import activation_not_required
from accounts.lockout import client_address

from .collector import PanelCollector

registry = CollectorRegistry(auto_describe=False)
registry.register(PanelCollector())


def _token_shown(request: HttpRequest) -> bool:
    token = settings.SWARMDECK_METRICS_TOKEN
    scheme, _space, given = request.headers.get("Authorization", "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and constant_time_compare(given.strip(), token)


def _from_allowed_network(request: HttpRequest) -> bool:
    try:
        address = ipaddress.ip_address(client_address(request))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in settings.SWARMDECK_METRICS_NETWORKS)


@activation_not_required
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not (_token_shown(request) or _from_allowed_network(request)):
        response = HttpResponse("metrics need a bearer token, or a request from an allowed network\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="swarmdeck metrics"'
        response["Content-Type"] = "text/plain; charset=utf-8"
        return response
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
