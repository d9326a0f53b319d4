"""Forms: every value is checked here, so bad input never reaches the engine."""

from __future__ import annotations

import re
import shlex

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import specs

MAX_REPLICAS = 1000
MAX_ENV_VALUE = 32 * 1024
MAX_TEXT = 64 * 1024
# Docker's rules: a DNS label (service names become DNS names on the overlay network).
SERVICE_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$")
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
IMAGE_REFERENCE = re.compile(
    rf"^(?:(?:[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*|\[[0-9a-fA-F:]+\])(?::\d+)?/)?{_COMPONENT}(?:/{_COMPONENT})*"
    r"(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$"
)
ENV_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
LABEL_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
CONSTRAINT = re.compile(r"^\s*[\w.\-]+(?:\.[\w.\-]+)*\s*(==|!=)\s*\S.*$")
PORT_LINE = re.compile(r"^(?:(\d+):)?(\d+)(?:/(tcp|udp|sctp))?(?:\s+(ingress|host))?$")

CONDITIONS = [("any", _("any (always restart)")), ("on-failure", _("on failure")), ("none", _("none (never)"))]
FAILURE_ACTIONS = [("pause", _("pause")), ("continue", _("continue")), ("rollback", _("roll back"))]
ORDERS = [("stop-first", _("stop first")), ("start-first", _("start first"))]


class _Text(forms.CharField):
    """Optional, stripped and bounded text (Django's CharField already refuses NUL bytes)."""

    def __init__(self, *, max_length: int = MAX_TEXT, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(max_length=max_length, strip=True, **kwargs)


class _Parsed(_Text):
    """Text turned into a number by `parse` (durations in ns, sizes in bytes); None when empty."""

    parse = staticmethod(int)
    error = ""
    example = ""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", self.example)
        super().__init__(max_length=40, **kwargs)

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        try:
            return self.parse(text)
        except ValueError:
            raise ValidationError(self.error.format(value=text), code="invalid") from None


class _Duration(_Parsed):
    """A Go-style duration ("30s", "1m30s", "500ms") stored as nanoseconds."""

    parse = staticmethod(specs.parse_duration)
    error = _("“{value}” is not a duration; write it like 500ms, 10s or 1m30s.")
    example = _("For example 500ms, 10s, 1m30s.")


class _Memory(_Parsed):
    parse = staticmethod(specs.parse_memory)
    error = _("“{value}” is not a memory size; write it like 256M or 1G.")
    example = _("For example 256M or 1G.")


def _pairs(text: str, key_pattern: re.Pattern, what: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, equals, value = line.partition("=")
        key = key.strip()
        if not equals or not key_pattern.match(key):
            raise ValidationError(
                _("Line {line}: write {what} as KEY=VALUE.").format(line=number, what=what), code="pair"
            )
        if key in pairs:
            raise ValidationError(_("Line {line}: {key} is given twice.").format(line=number, key=key), code="twice")
        if len(value) > MAX_ENV_VALUE:
            raise ValidationError(
                _("Line {line}: the value of {key} is longer than {limit} characters.").format(
                    line=number, key=key, limit=MAX_ENV_VALUE
                ),
                code="long",
            )
        pairs[key] = value
    return pairs


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


class ServiceForm(forms.Form):
    """Create or update a service. On update, name and mode are fixed (Docker cannot change them)."""

    name = _Text(label=_("Name"), max_length=200, required=True)
    image = _Text(
        label=_("Image"),
        max_length=255,
        required=True,
        help_text=_("For example nginx:1.27 or registry:5000/app@sha256:…"),
    )
    mode = forms.ChoiceField(label=_("Mode"), choices=[("replicated", _("replicated")), ("global", _("global"))])
    replicas = forms.IntegerField(
        label=_("Replicas"),
        min_value=0,
        max_value=MAX_REPLICAS,
        required=False,
        help_text=_("Empty: 1, as docker service create."),
        error_messages={"invalid": _("Replicas must be a whole number.")},
    )
    entrypoint = _Text(label=_("Entrypoint"), max_length=4096, help_text=_("Overrides the image's entrypoint."))
    args = _Text(
        label=_("Command and arguments"), max_length=4096, help_text=_("As in a shell: sh -c 'sleep 5; exit 15'")
    )
    env = _Text(
        label=_("Environment"), widget=forms.Textarea(attrs={"rows": 3}), help_text=_("One KEY=VALUE per line.")
    )
    labels = _Text(label=_("Labels"), widget=forms.Textarea(attrs={"rows": 2}), help_text=_("One KEY=VALUE per line."))
    constraints = _Text(
        label=_("Placement constraints"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line, e.g. node.role==manager."),
    )
    ports = _Text(
        label=_("Published ports"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line: PUBLISHED:TARGET/PROTOCOL MODE, e.g. 8080:80/tcp host."),
    )
    allow_mounts = forms.BooleanField(
        label=_("Allow mounts"),
        required=False,
        help_text=_("A bind mount gives the service a path of the host: as root inside, it is root on the host."),
    )
    mounts = _Text(
        label=_("Mounts"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line: type=volume|bind,source=…,target=…[,readonly]."),
    )
    health_cmd = _Text(
        label=_("Health check command"),
        max_length=4096,
        help_text=_("Run by sh inside the container; exit 0 means healthy."),
    )
    health_interval = _Duration(label=_("Interval"))
    health_timeout = _Duration(label=_("Timeout"))
    health_retries = forms.IntegerField(label=_("Retries"), min_value=0, max_value=100, required=False)
    health_start_period = _Duration(label=_("Start period"))
    restart_condition = forms.ChoiceField(label=_("Restart condition"), choices=CONDITIONS, initial="any")
    restart_delay = _Duration(label=_("Restart delay"), initial="5s")
    restart_max_attempts = forms.IntegerField(
        label=_("Maximum attempts"), min_value=0, max_value=10000, required=False, help_text=_("0 means no limit.")
    )
    restart_window = _Duration(label=_("Window"))
    update_parallelism = forms.IntegerField(label=_("Parallelism"), min_value=0, max_value=MAX_REPLICAS, initial=1)
    update_delay = _Duration(label=_("Delay"))
    update_failure_action = forms.ChoiceField(label=_("Failure action"), choices=FAILURE_ACTIONS, initial="pause")
    update_monitor = _Duration(label=_("Monitor"))
    update_max_failure_ratio = forms.FloatField(label=_("Max failure ratio"), min_value=0, max_value=1, initial=0)
    update_order = forms.ChoiceField(label=_("Order"), choices=ORDERS, initial="stop-first")
    rollback_parallelism = forms.IntegerField(label=_("Parallelism"), min_value=0, max_value=MAX_REPLICAS, initial=1)
    rollback_delay = _Duration(label=_("Delay"))
    rollback_failure_action = forms.ChoiceField(label=_("Failure action"), choices=FAILURE_ACTIONS[:2], initial="pause")
    rollback_monitor = _Duration(label=_("Monitor"))
    rollback_max_failure_ratio = forms.FloatField(label=_("Max failure ratio"), min_value=0, max_value=1, initial=0)
    rollback_order = forms.ChoiceField(label=_("Order"), choices=ORDERS, initial="stop-first")
    limit_cpus = forms.FloatField(label=_("CPU limit"), min_value=0.001, max_value=1024, required=False)
    limit_memory = _Memory(label=_("Memory limit"))
    reserve_cpus = forms.FloatField(label=_("CPU reservation"), min_value=0.001, max_value=1024, required=False)
    reserve_memory = _Memory(label=_("Memory reservation"))

    def __init__(self, *args, updating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.updating = updating
        if updating:
            for fixed in ("name", "mode"):
                self.fields[fixed].disabled = True

    def clean_name(self):
        name = self.cleaned_data["name"]
        if not SERVICE_NAME.match(name):
            raise ValidationError(
                _("Use 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit; no spaces."),
                code="name",
            )
        return name

    def clean_image(self):
        image = self.cleaned_data["image"]
        if not IMAGE_REFERENCE.match(image):
            raise ValidationError(_("“{image}” is not a valid image reference.").format(image=image), code="image")
        return image

    def _shell_words(self, field: str) -> str:
        text = self.cleaned_data[field]
        try:
            shlex.split(text)
        except ValueError:
            raise ValidationError(_("Unbalanced quotes."), code="quotes") from None
        return text

    def clean_entrypoint(self):
        return self._shell_words("entrypoint")

    def clean_args(self):
        return self._shell_words("args")

    def clean_env(self):
        return _pairs(self.cleaned_data["env"], ENV_KEY, _("variables"))

    def clean_labels(self):
        return _pairs(self.cleaned_data["labels"], LABEL_KEY, _("labels"))

    def clean_constraints(self):
        lines = [line.strip() for line in self.cleaned_data["constraints"].splitlines() if line.strip()]
        for number, line in enumerate(lines, start=1):
            if not CONSTRAINT.match(line):
                raise ValidationError(
                    _("Line {line}: write a constraint like node.role==manager.").format(line=number), code="constraint"
                )
        return lines

    def clean_ports(self):
        ports = []
        for number, line in enumerate(self.cleaned_data["ports"].splitlines(), start=1):
            if not line.strip():
                continue
            match = PORT_LINE.match(line.strip())
            if not match:
                raise ValidationError(
                    _("Line {line}: write a port like 8080:80/tcp host.").format(line=number), code="port"
                )
            published, target = int(match[1] or 0), int(match[2])
            if not 1 <= target <= 65535 or not 0 <= published <= 65535:
                raise ValidationError(
                    _("Line {line}: ports go from 1 to 65535.").format(line=number), code="port_range"
                )
            ports.append(
                {"published": published, "target": target, "protocol": match[3] or "tcp", "mode": match[4] or "ingress"}
            )
        return ports

    def clean_mounts(self):
        mounts = []
        for number, line in enumerate(self.cleaned_data["mounts"].splitlines(), start=1):
            if not line.strip():
                continue
            options = dict(part.partition("=")[::2] for part in line.split(","))
            kind = options.get("type", "volume")
            if kind not in ("volume", "bind") or not options.get("target", "").startswith("/"):
                raise ValidationError(
                    _("Line {line}: write a mount like type=volume,source=data,target=/data.").format(line=number),
                    code="mount",
                )
            mounts.append(
                {
                    "type": kind,
                    "source": options.get("source", ""),
                    "target": options["target"],
                    "readonly": "readonly" in options,
                }
            )
        return mounts

    def clean(self):
        data = super().clean()
        if data.get("mode") == "replicated" and data.get("replicas") is None and "replicas" not in self.errors:
            if self.updating:
                self.add_error("replicas", _("Enter the number of replicas."))
            else:
                data["replicas"] = 1  # as `docker service create` without --replicas
        if data.get("mounts") and not data.get("allow_mounts"):
            self.add_error(
                "allow_mounts", _("Tick “Allow mounts” to confirm: mounts give the service access to the host.")
            )
        return data

    def spec_values(self) -> dict:
        """Cleaned values keyed like specs.GROUPS expects (JSON-ready)."""
        return {name: self.cleaned_data.get(name) for name in self.fields if name != "allow_mounts"}
