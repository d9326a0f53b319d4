"""The config jobs (create, remove): the secrets' runners, for the other kind (swarm_secrets.runners)."""

from __future__ import annotations

from jobs.models import Job
from swarm_secrets.runners import creating, removing

RUNNERS = {
    Job.Kind.CONFIG_CREATE: creating("config"),
    Job.Kind.CONFIG_REMOVE: removing("config"),
}
