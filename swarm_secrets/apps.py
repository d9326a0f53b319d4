from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SwarmSecretsConfig(AppConfig):
    # Not "secrets": a top-level package of that name would hide Python's own secrets module.
    name = "swarm_secrets"
    verbose_name = _("Secrets")

    def ready(self) -> None:
        from jobs.runner import runner_register

        from .runners import RUNNERS

        for kind, runner in RUNNERS.items():
            runner_register(kind=kind, runner=runner)
