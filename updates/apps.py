from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UpdatesConfig(AppConfig):
    name = "updates"
    verbose_name = _("Updates")

    def ready(self) -> None:
        from jobs.models import Job
        from jobs.runner import runner_register

        from . import runners

        runner_register(kind=Job.Kind.UPDATE_CHECK, runner=runners.run_update_check)
        runner_register(kind=Job.Kind.IMAGE_UPDATE, runner=runners.run_image_update)
