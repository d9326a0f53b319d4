"""The node forms: every value is checked against the node as read now, so what the engine would
refuse (the last manager demoted, a node that is up removed without force) is a form error and no job."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

import engine
from jobs.messages import ERRORS, render

AVAILABILITIES = [
    ("active", _("Active: Swarm may place tasks on the node")),
    ("pause", _("Pause: no new tasks; the running ones stay")),
    ("drain", _("Drain: move its tasks to other nodes")),
]
ROLES = [("manager", _("manager")), ("worker", _("worker"))]
# Docker's rule for a label (the CLI's ValidateLabel): a key that is not empty and has no white space;
# "=" ends the key here. KEY alone is an empty value, as with `docker node update --label-add KEY`.
LABEL_KEY = re.compile(r"^[^\s=]+$")
MAX_LABEL_KEY = 1024
MAX_LABEL_VALUE = 4096
MAX_LABEL_TEXT = 64 * 1024


def _error(code: str) -> ValidationError:
    """A form error in the words of the engine error the form spares the user (jobs.messages.ERRORS)."""
    return ValidationError(render(ERRORS, code), code=code)


def _last_manager(node: engine.NodeSnapshot, managers: int) -> bool:
    return node.role == "manager" and managers <= 1


class AvailabilityForm(forms.Form):
    availability = forms.ChoiceField(
        label=_("Availability"),
        choices=AVAILABILITIES,
        error_messages={"invalid_choice": _("Choose active, pause or drain.")},
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(
        label=_("Role"), choices=ROLES, error_messages={"invalid_choice": _("Choose manager or worker.")}
    )

    def __init__(self, *args, node: engine.NodeSnapshot, managers: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.node, self.managers = node, managers

    def clean_role(self) -> str:
        role = self.cleaned_data["role"]
        if role == "worker" and _last_manager(self.node, self.managers):
            raise _error("last_manager")
        return role


class LabelsForm(forms.Form):
    add = forms.CharField(
        label=_("Labels to set"),
        required=False,
        max_length=MAX_LABEL_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One KEY=VALUE per line (KEY alone sets an empty value); a key the node has gets the new value."),
    )
    remove = forms.MultipleChoiceField(
        label=_("Labels to remove"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("The node has no label %(value)s (any more).")},
    )

    def __init__(self, *args, node: engine.NodeDetail, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.node = node
        self.fields["remove"].choices = [(key, f"{key}={value}") for key, value in sorted(node.labels.items())]

    def clean_add(self) -> dict[str, str]:
        labels: dict[str, str] = {}
        for number, line in enumerate(self.cleaned_data["add"].splitlines(), start=1):
            if not line.strip():
                continue
            key, _equals, value = line.strip().partition("=")
            if not LABEL_KEY.match(key):
                raise ValidationError(
                    _("Line {line}: a label is KEY=VALUE, with a key that is not empty and has no spaces.").format(
                        line=number
                    ),
                    code="label",
                )
            if key in labels:
                raise ValidationError(
                    _("Line {line}: {key} is given twice.").format(line=number, key=key), code="twice"
                )
            if len(key) > MAX_LABEL_KEY or len(value) > MAX_LABEL_VALUE:
                raise ValidationError(
                    _("Line {line}: a label's key may have {key_limit} characters, its value {limit}.").format(
                        line=number, key_limit=MAX_LABEL_KEY, limit=MAX_LABEL_VALUE
                    ),
                    code="long",
                )
            labels[key] = value
        return labels

    def clean(self) -> dict:
        cleaned = super().clean()
        add, remove = cleaned.get("add"), cleaned.get("remove")
        if add is None or remove is None:
            return cleaned  # a field's own error says what is wrong
        both = sorted(set(add) & set(remove))
        if both:
            raise ValidationError(
                _("{keys}: set and removed at once; choose one.").format(keys=", ".join(both)), code="both"
            )
        if not add and not remove:
            raise ValidationError(_("Write a label to set or tick one to remove."), code="empty")
        return cleaned


class RemoveForm(forms.Form):
    force = forms.BooleanField(
        label=_("Force: remove the node even though it is up"),
        required=False,
        help_text=_(
            "A node that is up keeps running its containers, outside the swarm, until it leaves "
            "('docker swarm leave' on that host)."
        ),
    )
    confirm_name = forms.CharField(label=_("Type the node's host name to confirm"), max_length=255)

    def __init__(self, *args, node: engine.NodeSnapshot, managers: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.node, self.managers = node, managers

    def clean_confirm_name(self) -> str:
        name = self.cleaned_data["confirm_name"]
        if name != self.node.hostname:
            raise ValidationError(_("Type the node's host name to confirm."), code="confirm")
        return name

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.node.role == "manager":
            # The engine removes no manager, forced or not: it is demoted first (unless it is the last).
            raise _error("last_manager" if _last_manager(self.node, self.managers) else "node_is_manager")
        if self.node.state == "ready" and not cleaned.get("force"):
            raise _error("node_not_down")
        return cleaned
