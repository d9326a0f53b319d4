from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role

EXPIRY_CHOICES = [(24, _("1 day")), (72, _("3 days")), (168, _("7 days"))]


class InviteForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.VIEWER)
    note = forms.CharField(
        label=_("For"),
        max_length=100,
        required=False,
        help_text=_("Whom the link is for, so you can tell pending invites apart."),
    )
    hours = forms.TypedChoiceField(label=_("Expires in"), choices=EXPIRY_CHOICES, coerce=int, initial=72)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class JoinForm(UserCreationForm):
    """The invitee's user name and password: Django's own checks (a free name, the password policy)."""

    # usable_password: Django 5.1's admin-only choice of a user without a password; never here.
    usable_password = None
