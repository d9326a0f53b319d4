"""Docker API calls and database queries per render of each measured page, counted inside a Django
process of the bench's stack (its settings, database and engine): run by bench.measure.pages as
`manage.py shell -c "import bench.counts; bench.counts.main()"`, it prints one JSON object.

The counting lives here, not in the product: the engine's client is wrapped for the length of a
render, and Django's own CaptureQueriesContext counts the queries.
"""

from __future__ import annotations

import json
import os
import sys

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

import engine


class _CountingClient:
    """The engine's APIClient, counting the calls made through it."""

    def __init__(self, real) -> None:
        self.real, self.calls = real, 0

    def __getattr__(self, name: str):
        attribute = getattr(self.real, name)
        if not callable(attribute):
            return attribute

        def counted(*args, **kwargs):
            self.calls += 1
            return attribute(*args, **kwargs)

        return counted


def main() -> None:
    pages = json.loads(os.environ["BENCH_PAGES"])  # name -> [path, headers]
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username="admin"))
    real_api = engine.client.api
    counts = {}
    for name, (path, headers) in pages.items():
        counting = _CountingClient(real_api())
        engine.client.api = lambda counting=counting: counting
        try:
            with CaptureQueriesContext(connection) as queries:
                status = client.get(path, headers=headers).status_code
        finally:
            engine.client.api = real_api
        counts[name] = {"status": status, "docker_calls": counting.calls, "db_queries": len(queries)}
    json.dump(counts, sys.stdout)
