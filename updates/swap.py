"""The plain-container update, run by a short-lived helper container (``manage.py panel_swap``).

Swarm rolls a service back by itself; a plain container has no such keeper, and the panel cannot
replace the container it runs in. So a helper started from the running image (known to work) does
what watchtower does, plus the rollback watchtower lacks: pull the new image, keep a copy of the
database, stop the old container and keep it under another name, start a new one with the same
configuration, wait for its health check, and put the old one back if it does not become healthy.
The helper writes the job's steps and its end, so the job page shows every step.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

import engine
from jobs.models import Job
from jobs.states import job_finish, job_heartbeat, job_step

from .runners import target_rolled_back, target_updated

logger = logging.getLogger(__name__)

POLL = 2.0
BACKUPS_KEPT = 3


def _database_backup(job_id: int) -> str:
    """A consistent copy of the SQLite database (the backup API, safe while others write)."""
    if connection.vendor != "sqlite":
        return ""
    source = Path(str(connection.settings_dict["NAME"]))
    folder = source.parent / "backups"
    folder.mkdir(exist_ok=True)
    target = folder / f"{source.stem}-before-job-{job_id}.sqlite3"
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    for old in sorted(folder.glob(f"{source.stem}-before-job-*.sqlite3"), key=lambda p: p.stat().st_mtime)[
        :-BACKUPS_KEPT
    ]:
        old.unlink()
    return str(target)


def _wait_healthy(job: Job, container_id: str, seconds: int) -> str:
    """'' once healthy (or running for ``seconds`` without a health check), else why not."""
    deadline = time.monotonic() + seconds
    while True:
        current = engine.container_get(container_id=container_id)
        if current.state in ("exited", "dead"):
            return f"exited with code {current.exit_code}"
        if current.health == "healthy":
            return ""
        if current.health == "unhealthy":
            return f"unhealthy: {current.health_log}" if current.health_log else "unhealthy"
        if time.monotonic() > deadline:
            if current.state == "running" and not current.health:
                return ""  # no health check: running through the window is all we can know
            return f"not healthy after {seconds} s"
        job_heartbeat(job)
        time.sleep(POLL)


def panel_swap(*, job_id: int) -> None:
    job = Job.objects.get(id=job_id)
    if job.finished:
        return
    key, image, digest = job.params["target"], job.params["image"], job.params["digest"]
    old = engine.container_get(container_id=job.params["container_id"])
    new_image_id = engine.image_pull(image=image)
    job_step(job, "image_pulled", image=image)
    if new_image_id == old.image_id:
        job_step(job, "unchanged_image")
        target_updated(key=key, digest=digest)
        job_finish(job.id, Job.State.SUCCEEDED)
        return
    backup = _database_backup(job.id)
    if backup:
        job_step(job, "data_backed_up", path=backup)
    kept_name = f"{old.name}-previous-{job.id}"
    engine.container_stop(container_id=old.id)
    engine.container_rename(container_id=old.id, name=kept_name)
    job_step(job, "old_stopped", name=kept_name)
    seconds = settings.SWARMDECK_UPDATE_MONITOR_SECONDS
    new_id = ""
    try:
        new_id = engine.container_clone(source_id=old.id, image=image, name=old.name)
        engine.container_start(container_id=new_id)
        job_step(job, "new_started", image=image, seconds=seconds)
        reason = _wait_healthy(job, new_id, seconds)
    except engine.EngineError as exc:
        reason = exc.detail or exc.code
    if not reason:
        engine.container_remove(container_id=old.id)
        job_step(job, "new_healthy")
        target_updated(key=key, digest=digest)
        job_step(job, "succeeded")
        job_finish(job.id, Job.State.SUCCEEDED)
        return
    # Put the old container back, under its own name, exactly as it was.
    logger.warning("update of %s failed (%s); putting the old container back", old.name, reason)
    if new_id:
        engine.container_remove(container_id=new_id)
    engine.container_rename(container_id=old.id, name=old.name)
    engine.container_start(container_id=old.id)
    job_step(job, "old_restored")
    target_rolled_back(key=key, digest=digest, reason=reason)
    job_finish(job.id, Job.State.ROLLED_BACK, code="new_unhealthy", detail=reason, reason=reason)
