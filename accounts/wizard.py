"""The first-run wizard: its steps and what each one stores."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

import engine
from jobs.messages import ErrorText, error_text

from .models import Installation, Profile

STEPS = ["language", "docker", "updates"]


@dataclass(frozen=True)
class DockerCheck:
    ok: bool
    nodes: int = 0
    managers: int = 0
    version: str = ""
    error: ErrorText | None = None


def resume_step(installation: Installation) -> str:
    return installation.wizard_step if installation.wizard_step in STEPS else STEPS[0]


def previous_step(step: str) -> str:
    return STEPS[max(STEPS.index(step) - 1, 0)]


def next_step(installation: Installation, step: str) -> str | None:
    """Record progress after `step`; None when the wizard is finished."""
    index = STEPS.index(step) + 1
    if index >= len(STEPS):
        finish(installation)
        return None
    installation.wizard_step = STEPS[index]
    installation.save(update_fields=["wizard_step"])
    return STEPS[index]


def finish(installation: Installation) -> None:
    installation.wizard_done_at = timezone.now()
    installation.save(update_fields=["wizard_done_at"])


def language_choose(*, user, language: str) -> None:
    Profile.objects.update_or_create(user=user, defaults={"language": language})


def docker_check() -> DockerCheck:
    try:
        info = engine.swarm_info()
    except engine.EngineError as exc:
        return DockerCheck(ok=False, error=error_text(exc))
    return DockerCheck(ok=True, nodes=info.nodes, managers=info.managers, version=info.engine_version)
