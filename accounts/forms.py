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
            "When a new image of the panel is published under its tag, the panel updates itself: "
            "its service with Swarm's rolling update, or its container through a helper, and goes "
            "back to the running version by itself if the new one does not become healthy. "
            "The Updates page shows every check and lets you change this later."
        ),
    )
