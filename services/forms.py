from django import forms
from django.utils.translation import gettext_lazy as _

MAX_REPLICAS = 1000


class ScaleForm(forms.Form):
    replicas = forms.IntegerField(
        label=_("Replicas"),
        min_value=0,
        max_value=MAX_REPLICAS,
        error_messages={
            "required": _("Enter the number of replicas."),
            "invalid": _("Replicas must be a whole number."),
        },
    )
