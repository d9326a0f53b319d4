from django import forms
from django.conf import settings
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _


class ActivationForm(forms.Form):
    # The generated name ("admin") is the first one a guesser tries: the owner may choose another.
    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text=_("You may change it before you activate."),
        # Shown in the credentials list, above the form it belongs to.
        widget=forms.TextInput(attrs={"form": "activation", "autocomplete": "username", "spellcheck": "false"}),
    )
    nonce = forms.CharField(widget=forms.HiddenInput)


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
