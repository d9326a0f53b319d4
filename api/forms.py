from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.roles import Role, role_of, roles_up_to

from .tokens import EXPIRY_DAYS


class TokenForm(forms.Form):
    """A new token: its name, a role up to the user's own, and a lifetime (none is endless)."""

    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        strip=True,
        help_text=_("What uses it, so you know which one to revoke: “deploy script”, “CI”."),
    )
    role = forms.ChoiceField(
        label=_("Role"),
        help_text=_("What the token may do: at most your own role, and never more than your role at each call."),
    )
    days = forms.TypedChoiceField(label=_("Expires after"), coerce=int, initial=30)

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        roles = roles_up_to(role_of(user) or Role.VIEWER)
        self.fields["role"].choices = [(role.value, role.label) for role in roles]
        # The least that reads: a token that should write says so.
        self.fields["role"].initial = Role.VIEWER.value
        # Worded here, in the language of the request (a class attribute would keep the import's).
        self.fields["days"].choices = [
            (days, ngettext("%(count)d day", "%(count)d days", days) % {"count": days}) for days in EXPIRY_DAYS
        ]
