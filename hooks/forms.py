from django import forms
from django.utils.translation import gettext_lazy as _

from .models import DeployHook


class HookCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=DeployHook._meta.get_field("name").max_length,
        initial="CI",
        help_text=_("Who calls it, e.g. the CI pipeline; the jobs it asks for are marked with it."),
    )
