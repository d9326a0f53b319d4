"""The secret forms (create, rotate, remove), and what the config forms share with them: a name as
Docker checks it, and content typed or uploaded, at most what the engine keeps.

A secret's content is never shown back: its text area renders empty, even with the form's errors.
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

import engine
from engine.secrets import MAX_DATA_BYTES, NAME_PATTERN
from jobs.messages import ERRORS, error_text, render

NAME = re.compile(NAME_PATTERN)
NAME_MAX = 64
# A name the panel gives a rotated secret: its base, then -v2, -v3...
VERSIONED = re.compile(r"^(?P<base>.+?)-v(?P<number>\d+)$")


class ContentUnshown(forms.Textarea):
    """A text area that never renders its value: a secret typed in it is not sent back to the browser."""

    def format_value(self, value):
        return None


def name_check(name: str) -> str:
    if not NAME.match(name):
        raise ValidationError(
            _("Use 1 to 64 letters, digits, '-', '_' or '.', starting and ending with a letter or digit."),
            code="name",
        )
    return name


class ContentForm(forms.Form):
    """Content from the text area or from an uploaded file (one of them), as bytes in cleaned_data["data"]."""

    kind = "secret"
    content = forms.CharField(
        label=_("Content"),
        required=False,
        strip=False,
        max_length=MAX_DATA_BYTES,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "autocomplete": "off"}),
    )
    upload = forms.FileField(label=_("Or a file"), required=False)

    def clean(self) -> dict:
        cleaned = super().clean()
        text, upload = cleaned.get("content"), cleaned.get("upload")
        if text is None or "upload" in self.errors:
            return cleaned  # the field's own error says what is wrong
        if text and upload:
            raise ValidationError(_("Type the content or choose a file, not both."), code="both")
        if upload:
            if upload.size > MAX_DATA_BYTES:
                raise ValidationError(
                    _("The file has {size} bytes; Docker keeps at most {limit}.").format(
                        size=upload.size, limit=MAX_DATA_BYTES
                    ),
                    code="too_large",
                )
            data = upload.read()
        else:
            # What a person types in a text area is lines; browsers send them with CR LF.
            data = text.replace("\r\n", "\n").encode()
        if not data:
            raise ValidationError(_("Type the content or choose a file: Docker keeps no empty one."), code="empty")
        if len(data) > MAX_DATA_BYTES:
            raise ValidationError(
                _("The content has {size} bytes; Docker keeps at most {limit}.").format(
                    size=len(data), limit=MAX_DATA_BYTES
                ),
                code="too_large",
            )
        cleaned["data"] = data
        return cleaned


def _name_free(kind: str, name: str) -> str:
    """The name, unless the engine has one of the kind so named (a form error in the engine's words)."""
    find = engine.secret_find if kind == "secret" else engine.config_find
    try:
        taken = find(name=name) is not None
    except engine.EngineError as exc:
        raise ValidationError(error_text(exc).message, code=exc.code) from None
    if taken:
        raise ValidationError(render(ERRORS, f"{kind}_name_taken"), code="taken")
    return name


class CreateForm(ContentForm):
    name = forms.CharField(label=_("Name"), max_length=NAME_MAX)
    field_order = ["name", "content", "upload"]

    def clean_name(self) -> str:
        return _name_free(self.kind, name_check(self.cleaned_data["name"]))


class SecretCreateForm(CreateForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["content"].widget = ContentUnshown(attrs={"rows": 6, "spellcheck": "false", "autocomplete": "off"})
        self.fields["content"].help_text = _(
            "Stored by Docker, encrypted; never shown again, here or anywhere. At most 500 KB."
        )


def next_version_name(name: str, taken: set[str]) -> str:
    """<base>-v2, -v3...: the first free name after ``name``'s own number."""
    match = VERSIONED.match(name)
    base, number = (match["base"], int(match["number"])) if match else (name, 1)
    while True:
        number += 1
        candidate = f"{base}-v{number}"
        if candidate not in taken and NAME.match(candidate):
            return candidate
        if len(candidate) > NAME_MAX:
            base = base[:-1]  # a long name loses its end rather than its version


class RotateForm(ContentForm):
    new_name = forms.CharField(
        label=_("Name of the new version"),
        max_length=NAME_MAX,
        required=False,
        help_text=_("Empty: the proposed name."),
    )
    field_order = ["new_name", "content", "upload"]

    def __init__(self, *args, proposed: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.proposed = proposed
        self.fields["new_name"].widget.attrs["placeholder"] = proposed
        self.fields["content"].label = _("New content")
        self.fields["content"].widget = ContentUnshown(attrs={"rows": 6, "spellcheck": "false", "autocomplete": "off"})

    def clean_new_name(self) -> str:
        name = self.cleaned_data["new_name"].strip() or self.proposed
        return _name_free("secret", name_check(name))


class RemoveForm(forms.Form):
    confirm_name = forms.CharField(label=_("Type the name to confirm"), max_length=NAME_MAX)

    def __init__(self, *args, name: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.name = name

    def clean_confirm_name(self) -> str:
        typed = self.cleaned_data["confirm_name"]
        if typed != self.name:
            raise ValidationError(_("Type the name to confirm."), code="confirm")
        return typed
