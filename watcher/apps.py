from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WatcherConfig(AppConfig):
    name = "watcher"
    verbose_name = _("Event watcher")
