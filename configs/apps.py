from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConfigsConfig(AppConfig):
    name = "configs"
    verbose_name = _("Configs")

    def ready(self) -> None:
        from jobs.runner import runner_register

        from .runners import RUNNERS

        for kind, runner in RUNNERS.items():
            runner_register(kind=kind, runner=runner)
