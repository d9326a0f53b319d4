from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES, widget=forms.RadioSelect)


class UpdatesForm(forms.Form):
    auto_update = forms.BooleanField(
        label=_("Update Swarmdeck automatically"),
        required=False,
        help_text=_(
            "When a new image of the panel is published, the panel's own service is updated with "
            "Swarm's rolling update, and rolled back if it does not become healthy."
        ),
    )
