"""The configs pages' reads: every config with the services using it, and one config with its jobs."""

from __future__ import annotations

from dataclasses import dataclass

import engine
from jobs.models import Job

JOB_ROWS = 20


@dataclass
class ConfigRow:
    config: engine.ConfigSnapshot
    uses: list[engine.ServiceUse]


@dataclass
class ConfigPage:
    config: engine.ConfigSnapshot
    uses: list[engine.ServiceUse]
    jobs: list[Job]
    text: str | None  # the content as text, None when it is not UTF-8 (a binary file)


def config_rows() -> list[ConfigRow]:
    users = engine.config_users()
    return [ConfigRow(config, users.get(config.id, [])) for config in engine.config_list()]


def config_page(*, config_id: str) -> ConfigPage:
    config = engine.config_get(config_id=config_id)
    jobs = Job.objects.filter(target_id=config.id, kind__startswith="config_").order_by("-created_at")[:JOB_ROWS]
    try:
        text = config.data.decode()
    except UnicodeDecodeError:
        text = None
    return ConfigPage(config=config, uses=engine.config_users().get(config.id, []), jobs=list(jobs), text=text)
