from django import forms
from django.utils.translation import gettext_lazy as _

from .models import UpdatePolicy


class PolicyForm(forms.ModelForm):
    class Meta:
        model = UpdatePolicy
        fields = ["auto_update", "schedule", "at", "weekday"]
        labels = {"auto_update": _("Update Swarmdeck automatically")}
        widgets = {"at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}

    def __init__(self, *args, fixed: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if fixed:
            # SWARMDECK_AUTO_UPDATE decides: the box is shown as it is and cannot be changed here.
            self.fields["auto_update"].disabled = True
