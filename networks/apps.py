from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NetworksConfig(AppConfig):
    name = "networks"
    verbose_name = _("Networks")

    def ready(self) -> None:
        from jobs.runner import runner_register

        from .runners import RUNNERS

        for kind, runner in RUNNERS.items():
            runner_register(kind=kind, runner=runner)
