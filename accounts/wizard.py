"""The first-run wizard: its steps and what each one stores."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from services import swarm

from .models import Installation, Profile

STEPS = ["language", "docker", "updates"]


@dataclass(frozen=True)
class DockerCheck:
    ok: bool
    nodes: int = 0
    managers: int = 0
    version: str = ""
    error: swarm.SwarmError | None = None


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
        info = swarm.engine_info()
    except swarm.SwarmError as exc:
        return DockerCheck(ok=False, error=exc)
    return DockerCheck(ok=True, nodes=info["nodes"], managers=info["managers"], version=info["version"])
