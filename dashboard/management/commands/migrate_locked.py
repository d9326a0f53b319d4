"""`migrate`, once, however many processes start at the same time.

The container's roles (and several replicas of them) all start by migrating; a lock makes the
second one wait and then find nothing left to do, instead of both creating the same tables.

On PostgreSQL, with SWARMDECK_NODE_WATCHER_DB_USER set (docker/stack.yml), it then grants the role
of the watchers on worker nodes what they write, and nothing else: the tables exist only now.
"""

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from history.models import ServiceEvent, Task, TaskTransition
from watcher.models import Watcher

# Any fixed number: PostgreSQL advisory locks are named by integers.
ADVISORY_LOCK_KEY = 0x5357_4D44  # "SWMD"

# What a worker node's watcher does (services/watcher.py, services/history.py): health_sync and
# event_record write tasks and events, the Watcher row is its heartbeat and event cursor (update_or_create
# locks it: UPDATE). It deletes nothing: the retention (dashboard/retention.py) runs on a manager.
# Jobs, users, sessions and the panel's settings stay out of its reach: a compromised worker node
# must not be able to queue jobs that the managers' workers would run, nor erase the history.
NODE_WATCHER_PRIVILEGES = {
    Task: "SELECT, INSERT, UPDATE",
    TaskTransition: "SELECT, INSERT",
    ServiceEvent: "SELECT, INSERT",
    Watcher: "SELECT, INSERT, UPDATE",
}


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


def node_watcher_grant(role: str) -> list[str]:
    """Give `role` exactly NODE_WATCHER_PRIVILEGES (idempotent); return the statements run."""
    from psycopg import sql

    raw = connection.connection
    statements = []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper OR rolname = current_user FROM pg_roles WHERE rolname = %s", [role])
        row = cursor.fetchone()
        if row is None:
            return []
        if row[0]:
            raise CommandError(
                f"SWARMDECK_NODE_WATCHER_DB_USER={role} is the panel's own or a superuser role: "
                "it must be a role of its own (docker/postgres-initdb/ creates swarmdeck_node_watcher)."
            )
        who = sql.Identifier(role)
        # Start from nothing each time, so a privilege dropped from the list is taken back.
        statements.append(sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(who))
        statements.append(sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {}").format(who))
        for model, privileges in NODE_WATCHER_PRIVILEGES.items():
            table = model._meta.db_table
            statements.append(
                sql.SQL("GRANT {} ON TABLE {} TO {}").format(sql.SQL(privileges), sql.Identifier(table), who)
            )
            for sequence in connection.introspection.get_sequences(cursor, table):
                statements.append(
                    sql.SQL("GRANT USAGE, SELECT ON SEQUENCE {} TO {}").format(sql.Identifier(sequence["name"]), who)
                )
        texts = [statement.as_string(raw) for statement in statements]
        for text in texts:
            cursor.execute(text)
    return texts


class Command(BaseCommand):
    help = "Apply the database migrations under a lock, so processes starting together migrate once."

    def handle(self, *args, **options):
        with migration_lock():
            call_command("migrate", interactive=False, verbosity=options["verbosity"])
            role = settings.SWARMDECK_NODE_WATCHER_DB_USER
            if not role:
                return
            if connection.vendor != "postgresql":
                self.stderr.write(f"SWARMDECK_NODE_WATCHER_DB_USER is ignored: the database is {connection.vendor}.")
                return
            if not node_watcher_grant(role):
                self.stderr.write(
                    f"The database role {role} (SWARMDECK_NODE_WATCHER_DB_USER) does not exist: the watchers on "
                    "worker nodes cannot connect. docker/postgres-initdb/ creates it when the database is new; "
                    "on an older database create it by hand (CREATE ROLE ... LOGIN PASSWORD ...) and restart web."
                )
                return
            if options["verbosity"] >= 1:
                self.stdout.write(f"Granted the history tables to the node watchers' role {role}.")
