"""`migrate`, once, however many processes start at the same time.

The container's roles (and several replicas of them) all start by migrating; a lock makes the
second one wait and then find nothing left to do, instead of both creating the same tables.
"""

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection

# Any fixed number: PostgreSQL advisory locks are named by integers.
ADVISORY_LOCK_KEY = 0x5357_4D44  # "SWMD"


@contextlib.contextmanager
def migration_lock() -> Iterator[None]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
            try:
                yield
            finally:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_KEY])
        return
    # SQLite: a lock file beside the database; flock works across containers sharing the folder.
    lock_path = Path(str(connection.settings_dict["NAME"]) + ".migrate-lock")
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class Command(BaseCommand):
    help = "Apply the database migrations under a lock, so processes starting together migrate once."

    def handle(self, *args, **options):
        with migration_lock():
            call_command("migrate", interactive=False, verbosity=options["verbosity"])
