"""The docker-py client and the translation of its errors; the seam the fast tests fake.

Every engine module calls ``client.api()`` (never a module-level copy of it), so a test replaces
the one function and the parsing of recorded engine JSON still runs.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import datetime

import docker
import requests
import urllib3
from django.conf import settings
from django.utils.dateparse import parse_datetime
from docker.errors import APIError, DockerException, NotFound

from .errors import EngineError, EngineUnreachable, NotSwarmManager, ServiceConflict, ServiceNotFound

_clients: dict[str, docker.APIClient] = {}
_clients_lock = threading.Lock()


def api() -> docker.APIClient:
    """The low-level client of the engine at DOCKER_HOST, one per address, made on first use."""
    host = settings.DOCKER_HOST
    with _clients_lock:
        client = _clients.get(host)
        if client is None:
            # "auto" negotiates the API version with the engine: Debian's 20.10 speaks 1.41,
            # newer engines more, and we never ask for what the engine lacks.
            client = docker.APIClient(base_url=host, version="auto", timeout=settings.DOCKER_TIMEOUT)
            _clients[host] = client
        return client


@contextlib.contextmanager
def engine_errors(not_found: type[EngineError] | None = None) -> Iterator[None]:
    """Turn docker-py's exceptions into the EngineError tree."""
    try:
        yield
    except NotFound as exc:
        raise (not_found or ServiceNotFound)(exc.explanation or str(exc)) from exc
    except APIError as exc:
        text = str(exc.explanation or exc)
        if exc.status_code == 503 and "swarm" in text.lower():
            raise NotSwarmManager(text) from exc
        if "out of sequence" in text:
            raise ServiceConflict(text) from exc
        raise EngineError(text, transient=(exc.status_code or 0) >= 500) from exc
    except (DockerException, requests.exceptions.RequestException, urllib3.exceptions.HTTPError) as exc:
        raise EngineUnreachable(str(exc)) from exc


def post_json(path: str, *args: str, body: dict, params: dict | None = None) -> dict:
    """POST a body exactly as given: docker-py's helpers rebuild specs from keyword arguments and
    can drop fields they do not model; the engine's own JSON posted back is exact."""
    client = api()
    response = client._post_json(client._url(path, *args), data=body, params=params)
    if not response.content:
        # A node's update answers 200 with no body at all: there is nothing to decode.
        client._raise_for_status(response)
        return {}
    return client._result(response, json=True) or {}


def when(value: str | None) -> datetime | None:
    # Docker writes nanoseconds; Python keeps microseconds.
    if not value or value.startswith("0001-"):
        return None
    head, dot, tail = value.partition(".")
    if dot:
        digits = "".join(ch for ch in tail if ch.isdigit())
        value = f"{head}.{digits[:6]}{tail[len(digits) :]}"
    return parse_datetime(value)


def image_parts(reference: str) -> tuple[str, str]:
    """(image, digest) of a reference such as busybox:1@sha256:…"""
    image, _sep, digest = reference.partition("@")
    return image, digest
