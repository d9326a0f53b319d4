"""Who is guessing: the client address that failed logins are counted against (django-axes).

A lock holds an address, never a user name alone: a guesser would otherwise lock the administrator
out from everywhere. The address is the connection's, unless the connection comes from a reverse
proxy listed in SWARMDECK_TRUSTED_PROXIES: then it is the last address of X-Forwarded-For that is
not itself such a proxy. Headers from anyone else are ignored, since any client can write them.
"""

from __future__ import annotations

import ipaddress
from functools import cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def _trusted(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _is_trusted_proxy(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _trusted(tuple(settings.SWARMDECK_TRUSTED_PROXIES)))


def client_address(request: HttpRequest) -> str:
    address = request.META.get("REMOTE_ADDR", "")
    if not _is_trusted_proxy(address):
        return address
    # Each proxy appends the address it was reached from: read from the right, past our own proxies.
    forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(forwarded):
        if not _is_trusted_proxy(hop):
            return hop
    return forwarded[0] if forwarded else address
