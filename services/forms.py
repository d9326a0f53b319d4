"""Forms: every value is checked here, so bad input never reaches the engine."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.functional import cached_property
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

import engine
from history.labels import ServiceMode
from jobs.messages import error_text

from . import masking, specs

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
LABEL_KEY = re.compile(r"^[^=]+$")  # Docker takes any key (reverse-DNS style is only advice); "=" ends it here
CONSTRAINT = re.compile(r"^\s*[\w.\-]+(?:\.[\w.\-]+)*\s*(==|!=)\s*\S.*$")

# Docker's values, with a context each: "pause" here is what Swarm does to an update, not a node's.
CONDITIONS = [
    ("any", pgettext_lazy("restart condition", "any (always restart)")),
    ("on-failure", pgettext_lazy("restart condition", "on failure")),
    ("none", pgettext_lazy("restart condition", "none (never)")),
]
FAILURE_ACTIONS = [
    ("pause", pgettext_lazy("failure action", "pause")),
    ("continue", pgettext_lazy("failure action", "continue")),
    ("rollback", pgettext_lazy("failure action", "roll back")),
]
ORDERS = [
    ("stop-first", pgettext_lazy("update order", "stop first")),
    ("start-first", pgettext_lazy("update order", "start first")),
]
MODES = [(mode.value, mode.label) for mode in (ServiceMode.REPLICATED, ServiceMode.GLOBAL)]
JOB_MODES = [(mode.value, mode.label) for mode in (ServiceMode.REPLICATED_JOB, ServiceMode.GLOBAL_JOB)]


class _Text(forms.CharField):
    """Optional, stripped and bounded text (Django's CharField already refuses NUL bytes)."""

    def __init__(self, *, max_length: int = MAX_TEXT, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(max_length=max_length, strip=True, **kwargs)


class _Parsed(_Text):
    """Text turned into a number by `parse` (durations in ns, sizes in bytes); None when empty."""

    parse = staticmethod(int)
    error = ""
    too_large = ""
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
        except specs.TooLarge:
            raise ValidationError(self.too_large.format(value=text), code="too_large") from None
        except ValueError:
            raise ValidationError(self.error.format(value=text), code="invalid") from None


class _Duration(_Parsed):
    """A Go-style duration ("30s", "1m30s", "500ms") stored as nanoseconds."""

    parse = staticmethod(specs.go_duration_parse)
    error = _("“{value}” is not a duration; write it like 500ms, 10s or 1m30s.")
    # Go's longest duration (int64 nanoseconds), as the engine keeps it.
    too_large = _("“{value}” is longer than Docker can keep: at most 2562047h.")
    example = _("For example 500ms, 10s, 1m30s.")

    def __init__(self, *, at_least_ms: bool = False, **kwargs):
        self.at_least_ms = at_least_ms
        super().__init__(**kwargs)

    def clean(self, value):
        ns = super().clean(value)
        # The engine refuses a health check's durations between 0 and 1 ms.
        if self.at_least_ms and ns and ns < specs.NS["ms"]:
            raise ValidationError(_("Write 0 or at least 1ms."), code="too_short")
        return ns


class _Memory(_Parsed):
    parse = staticmethod(specs.parse_memory)
    error = _("“{value}” is not a memory size; write it like 256M or 1G.")
    too_large = _("“{value}” is more than Docker can keep: at most 8388607T.")
    example = _("For example 256M or 1G.")


# One whole sentence per field: "write {what} as KEY=VALUE" would need {what} to agree with the
# sentence around it, which it does in Spanish only by chance.
ENV_MALFORMED = _("Line {line}: write each variable as KEY=VALUE.")
LABEL_MALFORMED = _("Line {line}: write each label as KEY=VALUE.")


def _pairs(text: str, key_pattern: re.Pattern, malformed) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, equals, value = line.partition("=")
        key = key.strip()
        if not equals or not key_pattern.match(key):
            raise ValidationError(str(malformed).format(line=number), code="pair")
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


def _default(field: str, text=None):
    """Help text that says what an empty field means: Docker's default (translated sentence, value as is)."""
    if text is None:
        return format_lazy(_("Empty: {default}, Docker's default."), default=specs.DEFAULTS[field])
    return format_lazy(_("Empty: {default}, Docker's default. {text}"), default=specs.DEFAULTS[field], text=text)


class _Choice(forms.ChoiceField):
    """A choice whose empty value is Docker's default (shown preselected)."""

    def __init__(self, *, field: str, **kwargs):
        super().__init__(required=False, initial=specs.DEFAULTS[field], **kwargs)


def _number(field: str, *, min_value=0, max_value=MAX_REPLICAS, float_=False, **kwargs):
    """An optional number whose placeholder shows Docker's default."""
    kind = forms.FloatField if float_ else forms.IntegerField
    kwargs.setdefault("help_text", _default(field))
    return kind(
        min_value=min_value,
        max_value=max_value,
        required=False,
        widget=forms.NumberInput(attrs={"placeholder": specs.DEFAULTS[field]}),
        **kwargs,
    )


def _duration(field: str, **kwargs):
    return _Duration(
        help_text=_default(field, _Duration.example),
        widget=forms.TextInput(attrs={"placeholder": specs.DEFAULTS[field]}),
        **kwargs,
    )


def _parallelism(prefix: str):
    field = f"{prefix}_parallelism"
    return _number(field, label=_("Parallelism"), help_text=_default(field, _("0 means all tasks at once.")))


def _ratio(prefix: str):
    return _number(f"{prefix}_max_failure_ratio", label=_("Max failure ratio"), max_value=1, float_=True)


class ServiceForm(forms.Form):
    """Create or update a service. On update, name and mode are fixed (Docker cannot change them).

    Only a name and an image are required: every other empty field means what `docker service
    create` does when its flag is left out, and says so.
    """

    name = _Text(label=_("Name"), max_length=200, required=True)
    image = _Text(
        label=_("Image"),
        max_length=255,
        required=True,
        help_text=_("For example nginx:1.27 or registry:5000/app@sha256:…"),
    )
    mode = forms.ChoiceField(label=_("Mode"), choices=MODES, required=False, initial="replicated")
    replicas = forms.IntegerField(
        label=_("Replicas"),
        min_value=0,
        max_value=MAX_REPLICAS,
        required=False,
        help_text=_default("replicas"),
        widget=forms.NumberInput(attrs={"placeholder": specs.DEFAULTS["replicas"]}),
        error_messages={"invalid": _("Replicas must be a whole number.")},
    )
    entrypoint = _Text(
        label=_("Entrypoint"), max_length=4096, help_text=_("Overrides the image's entrypoint. Empty: the image's.")
    )
    args = _Text(
        label=_("Command and arguments"),
        max_length=4096,
        help_text=_("As in a shell: sh -c 'sleep 5; exit 15'. Empty: the image's command."),
    )
    env = _Text(
        label=_("Environment"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=format_lazy(
            _("One KEY=VALUE per line. A secret shows as {mask}: leave it so to keep it, or type the new value."),
            mask=masking.MASK,
        ),
    )
    secret_env = _Text(
        label=_("Secret variables"),
        max_length=4096,
        help_text=_(
            "Names of variables whose values are hidden on every page, separated by commas. Names with PASS, "
            "TOKEN, SECRET, KEY, CREDENTIAL or PRIVATE, and passwords in URLs, are hidden anyway."
        ),
    )
    labels = _Text(label=_("Labels"), widget=forms.Textarea(attrs={"rows": 2}), help_text=_("One KEY=VALUE per line."))
    constraints = _Text(
        label=_("Placement constraints"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line, e.g. node.role==manager. Empty: any node."),
    )
    ports = _Text(
        label=_("Published ports"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "One per line: PUBLISHED:TARGET/PROTOCOL MODE, e.g. 8080:80/tcp host; "
            "without PUBLISHED (80/tcp) Swarm picks a port. Protocol tcp and mode ingress by default."
        ),
    )
    mounts = _Text(
        label=_("Mounts"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "One per line, as docker service create --mount: type=volume|bind|tmpfs,source=…,target=…"
            "[,readonly], e.g. type=tmpfs,target=/tmp,tmpfs-size=64M."
        ),
    )
    networks = _Text(
        label=_("Networks"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "One per line, as docker service create --network: NAME, or name=NAME,alias=ALIAS[,alias=…] for more "
            "names the service answers to there. The swarm's overlay networks (the Networks page lists them). "
            "Empty: none but the routing mesh's, for published ports."
        ),
    )
    secrets = _Text(
        label=_("Secrets"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "One per line, as docker service create --secret: NAME, or source=NAME,target=…,uid=…,gid=…,mode=…; "
            "by default the file /run/secrets/NAME, owned by 0:0, mode 0444."
        ),
    )
    configs = _Text(
        label=_("Configs"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "One per line, as docker service create --config: NAME, or source=NAME,target=…,uid=…,gid=…,mode=…; "
            "by default the file /NAME, owned by 0:0, mode 0444."
        ),
    )
    # Shown with the error that asks for it: a new mount of a protected host path (specs.PROTECTED_HOST_PATHS).
    confirm_password = forms.CharField(
        label=_("Your password"),
        required=False,
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    health_cmd = _Text(
        label=_("Health check command"),
        max_length=4096,
        help_text=_("Run by sh inside the container; exit 0 means healthy. Empty: the image's own, if any."),
    )
    health_interval = _duration("health_interval", at_least_ms=True, label=_("Interval"))
    health_timeout = _duration("health_timeout", at_least_ms=True, label=_("Timeout"))
    health_retries = _number("health_retries", label=_("Retries"), max_value=100)
    health_start_period = _duration("health_start_period", at_least_ms=True, label=_("Start period"))
    restart_condition = _Choice(field="restart_condition", label=_("Restart condition"), choices=CONDITIONS)
    restart_delay = _duration("restart_delay", label=_("Restart delay"))
    restart_max_attempts = _number(
        "restart_max_attempts",
        label=_("Maximum attempts"),
        max_value=10000,
        help_text=_default("restart_max_attempts", _("0 means no limit.")),
    )
    restart_window = _duration("restart_window", label=_("Window"))
    update_parallelism = _parallelism("update")
    update_delay = _duration("update_delay", label=_("Delay"))
    update_failure_action = _Choice(field="update_failure_action", label=_("Failure action"), choices=FAILURE_ACTIONS)
    update_monitor = _duration("update_monitor", label=_("Monitor"))
    update_max_failure_ratio = _ratio("update")
    update_order = _Choice(field="update_order", label=_("Order"), choices=ORDERS)
    rollback_parallelism = _parallelism("rollback")
    rollback_delay = _duration("rollback_delay", label=_("Delay"))
    rollback_failure_action = _Choice(
        field="rollback_failure_action", label=_("Failure action"), choices=FAILURE_ACTIONS[:2]
    )
    rollback_monitor = _duration("rollback_monitor", label=_("Monitor"))
    rollback_max_failure_ratio = _ratio("rollback")
    rollback_order = _Choice(field="rollback_order", label=_("Order"), choices=ORDERS)
    limit_cpus = forms.FloatField(
        label=_("CPU limit"), min_value=0.001, max_value=1024, required=False, help_text=_("Empty: no limit.")
    )
    limit_memory = _Memory(label=_("Memory limit"), help_text=_("For example 256M or 1G. Empty: no limit."))
    reserve_cpus = forms.FloatField(
        label=_("CPU reservation"), min_value=0.001, max_value=1024, required=False, help_text=_("Empty: none.")
    )
    reserve_memory = _Memory(label=_("Memory reservation"), help_text=_("For example 256M or 1G. Empty: none."))

    def __init__(self, *args, updating: bool = False, password_confirms: Callable[[str], bool] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.updating = updating
        # Whether a password is the user's, which confirms a mount of a protected host path.
        self.password_confirms = password_confirms
        self.needs_password = False
        if updating:
            for fixed in ("name", "mode"):
                self.fields[fixed].disabled = True
            # A job service's mode is shown as it is (it cannot be changed anyway).
            self.fields["mode"].choices = MODES + JOB_MODES
            self.fields["replicas"].help_text = _("Empty: keep the current number, as docker service update.")
            self.fields["replicas"].widget.attrs.pop("placeholder", None)

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
        return _pairs(self.cleaned_data["env"], ENV_KEY, ENV_MALFORMED)

    def clean_secret_env(self) -> list[str]:
        names = []
        for name in self.cleaned_data["secret_env"].replace("\n", ",").split(","):
            name = name.strip()
            if not name:
                continue
            if not ENV_KEY.match(name):
                raise ValidationError(_("“{name}” is not a variable name.").format(name=name), code="secret_name")
            if name not in names:
                names.append(name)
        return names

    def clean_labels(self):
        return _pairs(self.cleaned_data["labels"], LABEL_KEY, LABEL_MALFORMED)

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
            if not specs.PORT_LINE.match(line.strip()):
                raise ValidationError(
                    _("Line {line}: write a port like 8080:80/tcp host.").format(line=number), code="port"
                )
            try:
                ports.append(specs.parse_port(line))
            except ValueError:
                raise ValidationError(
                    _("Line {line}: ports go from 1 to 65535.").format(line=number), code="port_range"
                ) from None
        return ports

    def clean_mounts(self):
        return _mounts(self.cleaned_data["mounts"])

    def clean_networks(self) -> list[dict]:
        return _networks(self.cleaned_data["networks"])

    def clean_secrets(self) -> list[dict]:
        return _file_references(self.cleaned_data["secrets"], "secret")

    def clean_configs(self) -> list[dict]:
        return _file_references(self.cleaned_data["configs"], "config")

    @cached_property
    def env_secret_keys(self) -> list[str]:
        """The variables whose names look secret: the form suggests a Docker secret for them."""
        text = self["env"].value() or ""
        keys = (line.partition("=")[0].strip() for line in str(text).splitlines())
        return [key for key in keys if key and masking.name_looks_secret(key)]

    def clean(self):
        data = super().clean()
        if data.get("mode") in ("", None):
            data["mode"] = "replicated"
        if data.get("mode") == "replicated" and data.get("replicas") is None and "replicas" not in self.errors:
            # As Docker without --replicas: 1 on create, the current number on update.
            data["replicas"] = (self.initial.get("replicas") if self.updating else None) or 1
        if "env" in data and "secret_env" in data:
            self._env_secrets(data)
        self._host_mounts_check(data)
        return data

    def _env_secrets(self, data: dict) -> None:
        """Turn each secret value into what a job may hold (masking): a value left as the mask shows
        it is kept from the service when the job runs; a value typed is sealed."""
        shown = {}
        if self.updating:
            try:
                shown = _pairs(self.initial.get("env") or "", ENV_KEY, ENV_MALFORMED)
            except ValidationError:
                shown = {}
        # Pairs, not a dict: the order of the lines is the user's, and PostgreSQL's jsonb (the job's
        # params) keeps no key order.
        env = []
        for key, value in data["env"].items():
            if key in shown and value == shown[key] and masking.MASK in value:
                env.append([key, {**masking.KEEP}])
            elif masking.MASK in value:
                # Sent as it is, the mask would become the value: say so rather than guess.
                self.add_error(
                    "env",
                    _("{key}: {mask} stands for a hidden value; leave the line as it was shown or type it all.").format(
                        key=key, mask=masking.MASK
                    ),
                )
                return
            elif masking.is_secret(key, value, data["secret_env"]):
                env.append([key, masking.seal(value)])
            else:
                env.append([key, value])
        data["env"] = env

    def _host_mounts_check(self, data: dict) -> None:
        """A new or changed mount of a host path needs SWARMDECK_ALLOW_BIND_MOUNTS, and one of a
        protected path the user's password too. Mounts the service already has are not judged again
        (the panel's own stack mounts the Docker socket: editing its environment must still work)."""
        try:
            before = _mounts(self.initial.get("mounts") or "") if self.updating else []
        except ValidationError:
            before = []
        new = [
            (path, mount)
            for mount in data.get("mounts") or []
            if (path := specs.mount_host_path(mount)) and mount not in before
        ]
        if not new:
            return
        if not settings.SWARMDECK_ALLOW_BIND_MOUNTS:
            self.add_error(
                "mounts",
                _(
                    "{path}: mounts of host paths are turned off. The service would see the host's files, and root "
                    "inside it is root on the host; an administrator allows them with "
                    "SWARMDECK_ALLOW_BIND_MOUNTS=true. Volumes managed by Docker need no permission."
                ).format(path=new[0][0]),
            )
            return
        protected = [path for path, _mount in new if specs.host_path_protected(path)]
        if not protected:
            return
        self.needs_password = True
        password = data.get("confirm_password") or ""
        if not password:
            self.add_error(
                "confirm_password",
                _(
                    "{path} gives the service control of the host (the Docker socket, the host's configuration "
                    "or Docker's own data). Enter your password to confirm this mount."
                ).format(path=protected[0]),
            )
        elif self.password_confirms is None or not self.password_confirms(password):
            self.add_error("confirm_password", _("That is not your password; the mount was not confirmed."))

    @cached_property
    def changed_data(self) -> list[str]:
        changed = super().changed_data
        if self.updating and "replicas" in changed and self["replicas"].data in (None, ""):
            changed.remove("replicas")  # empty keeps the current number
        return changed

    def spec_values(self) -> dict:
        """Cleaned values keyed like specs.GROUPS expects (JSON-ready)."""
        return {name: self.cleaned_data.get(name) for name in self.fields if name != "confirm_password"}


_MOUNT_ERRORS = {
    "unknown": _("Line {line}: “{option}” is not a mount option."),
    "pair": _("Line {line}: write {option}=VALUE."),
    "boolean": _("Line {line}: {option} takes true or false (1 or 0), not “{value}”."),
    "value": _("Line {line}: “{value}” is not a valid {option}."),
    "too_large": _("Line {line}: {option} “{value}” is more than Docker can keep."),
    "type": _("Line {line}: {option} does not apply to a {value} mount."),
    "target": _("Line {line}: the target must be an absolute path inside the container, e.g. target=/data."),
    "bind_source": _("Line {line}: a bind mount's source must be an absolute path on the host, e.g. source=/srv."),
    "tmpfs_source": _("Line {line}: a tmpfs mount has no source."),
}


def _mounts(text: str) -> list[dict]:
    mounts = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            mounts.append(specs.parse_mount(line))
        except specs.MountError as exc:
            message = _MOUNT_ERRORS[exc.code].format(line=number, option=exc.option, value=exc.value)
            raise ValidationError(message, code="mount") from None
    return mounts


_NETWORK_ERRORS = {
    "unknown": _("Line {line}: “{option}” is not an option here (name, alias)."),
    "pair": _("Line {line}: write {option}=VALUE."),
    "name": _("Line {line}: name the network with name=NAME."),
    "alias": _("Line {line}: “{value}” is not an alias: letters, digits, '-' and '_', in parts separated by dots."),
    "missing": _("Line {line}: there is no network named “{value}”."),
    "not_swarm": _(
        "Line {line}: a service cannot join “{value}”: only the swarm's overlay networks take services "
        "(not the ingress, nor a node's own bridge or host network)."
    ),
    "twice": _("Line {line}: the service is already on {value}."),
}


def _networks(text: str) -> list[dict]:
    """Network lines (specs.parse_network), each network found on the engine now, by name or id: an
    unknown one, or one a service cannot join, is refused in words before any job. Each carries the
    id the spec needs."""
    lines = [(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        return []
    try:
        existing = engine.network_list()
    except engine.EngineError as exc:
        raise ValidationError(error_text(exc).message, code=exc.code) from None
    found = {network.name: network for network in existing} | {network.id: network for network in existing}
    networks, seen = [], set()
    for number, line in lines:
        try:
            parsed = specs.parse_network(line)
        except specs.NetworkError as exc:
            message = _NETWORK_ERRORS[exc.code].format(line=number, option=exc.option, value=exc.value)
            raise ValidationError(message, code="network") from None
        network = found.get(parsed["name"])
        if network is None:
            raise ValidationError(_NETWORK_ERRORS["missing"].format(line=number, value=parsed["name"]), code="missing")
        if not network.service_attachable:
            message = _NETWORK_ERRORS["not_swarm"].format(line=number, value=network.name)
            raise ValidationError(message, code="not_swarm")
        if network.id in seen:
            raise ValidationError(_NETWORK_ERRORS["twice"].format(line=number, value=network.name), code="twice")
        seen.add(network.id)
        networks.append({"id": network.id, "name": network.name, "aliases": parsed["aliases"]})
    return networks


_FILE_ERRORS = {
    "unknown": _("Line {line}: “{option}” is not an option here (source, target, uid, gid, mode)."),
    "pair": _("Line {line}: write {option}=VALUE."),
    # Whole sentences for a secret and a config: their words differ in gender in other languages.
    "source": _("Line {line}: name the secret with source=NAME."),
    "source.config": _("Line {line}: name the config with source=NAME."),
    "target": _("Line {line}: the target “{value}” may not go up a folder (..)."),
    "owner": _("Line {line}: {option} is a number, not “{value}”."),
    "mode": _("Line {line}: the mode is octal, like 0400 or 0444, not “{value}”."),
    "missing": _("Line {line}: there is no secret named “{value}”."),
    "missing.config": _("Line {line}: there is no config named “{value}”."),
    "twice": _("Line {line}: another line already puts a file at {value}."),
}


def _file_error(code: str, kind: str) -> str:
    """The message of ``code`` for a secret line, or its config variant where there is one."""
    return str(_FILE_ERRORS.get(f"{code}.{kind}", _FILE_ERRORS[code]))


def _file_references(text: str, kind: str) -> list[dict]:
    """Secret or config lines (specs.parse_file_reference), each name found on the engine now: an
    unknown one is refused in words, before any job. Each reference carries the id the spec needs."""
    lines = [(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        return []
    try:
        existing = engine.secret_list() if kind == "secret" else engine.config_list()
    except engine.EngineError as exc:
        raise ValidationError(error_text(exc).message, code=exc.code) from None
    ids = {item.name: item.id for item in existing}
    references, targets = [], set()
    for number, line in lines:
        try:
            reference = specs.parse_file_reference(line)
        except specs.FileError as exc:
            message = _file_error(exc.code, kind).format(line=number, option=exc.option, value=exc.value)
            raise ValidationError(message, code="file_reference") from None
        if reference["name"] not in ids:
            message = _file_error("missing", kind).format(line=number, value=reference["name"])
            raise ValidationError(message, code="missing")
        path = engine.file_path(engine.FileReference(id="", name="", target=reference["target"]), kind)
        if path in targets:
            raise ValidationError(_FILE_ERRORS["twice"].format(line=number, value=path), code="twice")
        targets.add(path)
        references.append({**reference, "id": ids[reference["name"]]})
    return references


_GROUP_LEGENDS = {
    "health": _("Health check"),
    "restart": _("Restart policy"),
    "update": _("Update config"),
    "rollback": _("Rollback config"),
}


def config_diff(current, previous) -> list[tuple[str, str, str]]:
    """(setting, current, previous) in the form's words, for every setting a rollback changes."""
    labels = {name: field.label for name, field in ServiceForm.base_fields.items()}
    labels["force_update"] = _("Redeploy counter")
    rows = []
    for name, now, before in specs.config_diff(current, previous):
        group = _GROUP_LEGENDS.get(name.partition("_")[0])
        label = format_lazy(_("{group}: {setting}"), group=group, setting=labels[name]) if group else labels[name]
        rows.append((str(label), now, before))
    return rows
