"""The secrets pages' reads: every secret with the services using it, and one secret with its jobs."""

from __future__ import annotations

from dataclasses import dataclass

import engine
from jobs.models import Job

JOB_ROWS = 20


@dataclass
class SecretRow:
    secret: engine.SecretSnapshot
    uses: list[engine.ServiceUse]


@dataclass
class SecretPage:
    secret: engine.SecretSnapshot
    uses: list[engine.ServiceUse]
    jobs: list[Job]


def secret_rows() -> list[SecretRow]:
    """Two engine calls: the secrets, and the services (whose specs name the secrets they use)."""
    users = engine.secret_users()
    return [SecretRow(secret, users.get(secret.id, [])) for secret in engine.secret_list()]


def secret_page(*, secret_id: str) -> SecretPage:
    secret = engine.secret_get(secret_id=secret_id)
    jobs = Job.objects.filter(target_id=secret.id, kind__startswith="secret_").order_by("-created_at")[:JOB_ROWS]
    return SecretPage(secret=secret, uses=engine.secret_users().get(secret.id, []), jobs=list(jobs))


def secret_names() -> set[str]:
    return {secret.name for secret in engine.secret_list()}
