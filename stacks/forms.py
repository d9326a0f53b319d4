"""The stack forms: a compose file (pasted or uploaded) checked by stacks.compose before any job,
its variables, the files of its `file:` secrets and configs; a removal confirmed by the stack's name."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import compose

# The engine keeps a secret or config of at most 500 KiB (swarmkit's MaxSecretSize).
MAX_FILE_BYTES = 500 * 1024


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field: a list of uploads (empty when none)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None) -> list:
        if not data:
            return []
        single = super().clean
        return [single(item, initial) for item in data] if isinstance(data, list | tuple) else [single(data, initial)]


class DeployForm(forms.Form):
    name = forms.CharField(
        label=_("Stack name"),
        max_length=compose.SERVICE_NAME_MAX,
        help_text=_("Its services are named STACK_SERVICE, as with 'docker stack deploy'."),
    )
    compose_text = forms.CharField(
        label=_("Compose file"),
        required=False,
        strip=False,  # kept as written: the deploys' diff compares the files line by line
        widget=forms.Textarea(attrs={"rows": 20, "spellcheck": "false", "class": "code"}),
        help_text=_("Paste the file here, or upload it below (compose file format version 3)."),
    )
    compose_file = forms.FileField(label=_("or upload a compose file"), required=False)
    variables = forms.CharField(
        label=_("Variables"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "class": "code"}),
        help_text=_(
            "NAME=value lines, substituted for ${NAME} in the file. They are kept with the deploy and shown "
            "on the stack's page: put passwords and keys in secrets, not in variables."
        ),
    )
    files = MultipleFileField(
        label=_("Files for secrets and configs"),
        required=False,
        help_text=_(
            "The files named by 'file:' under secrets and configs, matched by file name. Their content goes "
            "to the engine only, never to the panel's database."
        ),
    )

    def __init__(self, *args, stack_name: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if stack_name:
            # Updating a stack: its name is the page's.
            self.fields["name"].disabled = True
            self.initial["name"] = stack_name

    def clean_name(self) -> str:
        return compose.stack_name_check(self.cleaned_data["name"])

    def clean_variables(self) -> dict[str, str]:
        return compose.variables_parse(self.cleaned_data["variables"])

    def clean_compose_file(self) -> str:
        upload = self.cleaned_data.get("compose_file")
        if not upload:
            return ""
        if upload.size > compose.MAX_COMPOSE_BYTES:
            raise ValidationError(
                _("The compose file is larger than {size} MiB; nothing was sent to Docker.").format(
                    size=compose.MAX_COMPOSE_BYTES // (1024 * 1024)
                )
            )
        try:
            return upload.read().decode()
        except UnicodeDecodeError:
            raise ValidationError(_("The compose file is not UTF-8 text.")) from None

    def clean_files(self) -> dict[str, bytes]:
        contents: dict[str, bytes] = {}
        for upload in self.cleaned_data["files"]:
            if upload.size > MAX_FILE_BYTES:
                raise ValidationError(
                    _("{name} is larger than {size} KiB, the most a secret or config holds.").format(
                        name=upload.name, size=MAX_FILE_BYTES // 1024
                    )
                )
            contents[upload.name] = upload.read()
        return contents

    def clean(self) -> dict:
        data = super().clean()
        text = data.get("compose_file") or data.get("compose_text") or ""
        if self.errors:
            return data
        if not text.strip():
            self.add_error("compose_text", _("Paste a compose file or upload one."))
            return data
        try:
            data["compose"] = compose.compose_check(
                name=data["name"], text=text, variables=data["variables"], uploads=data["files"].keys()
            )
        except ValidationError as exc:
            self.add_error("compose_file" if data.get("compose_file") else "compose_text", exc)
        return data


class RollbackForm(forms.Form):
    """A rollback deploys an earlier file again: the files of its `file:` secrets and configs are
    not kept, so they are uploaded again."""

    files = MultipleFileField(
        label=_("Files for secrets and configs"),
        required=False,
        help_text=_("The same files as that deploy's, matched by file name."),
    )

    def __init__(self, *args, deploy, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.deploy = deploy

    clean_files = DeployForm.clean_files

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        try:
            data["compose"] = compose.compose_check(
                name=self.deploy.stack_name,
                text=self.deploy.compose,
                variables=self.deploy.variables,
                uploads=data["files"].keys(),
            )
        except ValidationError as exc:
            self.add_error("files", exc)
        return data


class RemoveForm(forms.Form):
    confirm = forms.CharField(label=_("Type the stack's name to confirm"), max_length=compose.SERVICE_NAME_MAX)

    def __init__(self, *args, name: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.name = name

    def clean_confirm(self) -> str:
        if self.cleaned_data["confirm"] != self.name:
            raise ValidationError(_("Type {name} exactly to remove the stack.").format(name=self.name))
        return self.cleaned_data["confirm"]
