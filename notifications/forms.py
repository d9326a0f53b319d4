"""The channel and rule forms. A channel URL is checked by Apprise before anything is saved, and
is never rendered back into a page (it may hold a password or a token)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Channel, Rule
from .sending import channel_display_url


class ChannelForm(forms.ModelForm):
    url = forms.CharField(
        label=_("Apprise URL"),
        max_length=2000,
        # Never sent back to the browser, even with the form's errors.
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_(
            "For example json://hooks.example.com/path, ntfy://ntfy.sh/topic, "
            "slack://TokenA/TokenB/TokenC, mailtos://user:password@example.com, matrix://user:password@host/#room."
        ),
    )

    class Meta:
        model = Channel
        fields = ["name"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        display = channel_display_url(url)
        if display is None:
            raise forms.ValidationError(
                _(
                    "Apprise does not understand this URL: check its scheme and parts against Apprise's list "
                    "of services."
                ),
                code="apprise",
            )
        self.display_url = display
        return url

    def save(self, commit: bool = True) -> Channel:
        channel = super().save(commit=False)
        channel.url = self.cleaned_data["url"]
        channel.display_url = self.display_url[:500]
        if commit:
            channel.save()
        return channel


class RuleForm(forms.ModelForm):
    class Meta:
        model = Rule
        fields = ["name", "kind", "restarts", "window_minutes", "duration_minutes", "service_filter", "channels"]
        widgets = {"channels": forms.CheckboxSelectMultiple}
