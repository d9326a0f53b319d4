from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SwarmSecretsConfig(AppConfig):
    # Not "secrets": a top-level package of that name would hide Python's own secrets module.
    name = "swarm_secrets"
    verbose_name = _("Secrets")
