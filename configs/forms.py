"""The config forms: the secrets' forms (swarm_secrets.forms), for the kind whose content may be shown."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from swarm_secrets.forms import CreateForm, RemoveForm

__all__ = ["ConfigCreateForm", "RemoveForm"]


class ConfigCreateForm(CreateForm):
    kind = "config"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["content"].help_text = _("Not secret: shown on the config's page. At most 500 KB.")
