"""The lockout on the real server (daphne, as `make run` starts it), from distinct client addresses
of the loopback range: a guesser at 127.0.0.2 locks its own address, not the administrator at
127.0.0.3; a forwarded header from a client that is no trusted proxy changes nothing."""

from __future__ import annotations

import http.client
import re
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

import pytest
from django.conf import settings

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


class _Browser:
    """A client of the stack's daphne from one source address, keeping its cookies."""

    def __init__(self, url: str, address: str) -> None:
        parts = urlsplit(url)
        self.host, self.port, self.address, self.cookies = parts.hostname, parts.port, address, SimpleCookie()

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30, source_address=(self.address, 0))
        sent = {"Cookie": "; ".join(f"{key}={morsel.value}" for key, morsel in self.cookies.items()), **(headers or {})}
        body = None
        if form is not None:
            body = urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        for header in response.headers.get_all("Set-Cookie") or []:
            self.cookies.load(header)
        response.body = response.read().decode()
        connection.close()
        return response

    def login(self, username: str, password: str, headers: dict | None = None) -> int:
        page = self.request("GET", "/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)[1]
        form = {"username": username, "password": password, "csrfmiddlewaretoken": token}
        return self.request("POST", "/login/", form, headers).status


def test_a_guesser_locks_its_own_address_not_the_administrators(stack, admin_login):
    guesser = _Browser(stack.url, "127.0.0.2")
    # Naming another client in X-Forwarded-For buys nothing: 127.0.0.2 is no trusted proxy.
    statuses = [
        guesser.login(admin_login.username, f"guess-{number}", {"X-Forwarded-For": f"203.0.113.{number}"})
        for number in range(settings.AXES_FAILURE_LIMIT)
    ]

    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]  # the last failure locks
    assert guesser.login(admin_login.username, admin_login.password) == 429
    assert _Browser(stack.url, "127.0.0.3").login(admin_login.username, admin_login.password) == 302
