"""The one rule for secrets in environment values: what is hidden wherever a value is shown or stored.

A value is secret when its variable's name looks secret (SECRET_MARKERS), when the user marked the
name secret (the service's SECRET_ENV_LABEL, so every process and viewer applies the same list),
and, in any value, the password of a URL (``scheme://user:password@``). Pages and the edit form show
MASK instead. A job never holds a secret in clear: a value the user left masked is read again from
the service when the job runs (KEEP), a value the user typed is sealed with a key derived from
SECRET_KEY, and the sealed values are dropped from the job's row once it has used them.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from cryptography.fernet import InvalidToken, MultiFernet
from django.utils.translation import gettext as _

from dashboard.sealing import fernet

# Substrings of variable names whose values are hidden; "PASS" also covers PASSWORD and PASSWD.
SECRET_MARKERS = ("PASS", "TOKEN", "SECRET", "KEY", "CREDENTIAL", "PRIVATE")
MASK = "••••••"
# The service label listing the variables the user marked secret, comma-separated.
SECRET_ENV_LABEL = "swarmdeck.secret-env"  # noqa: S105 - a label's name
# "scheme://user:password@": the password runs to the last "@" of the word, so a password holding
# an unencoded "@" or "/" is hidden whole (at worst a little more than the password is hidden).
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^\s:@/]*:)\S*@")

# How a job's params carry an environment value that is secret (any other value is a plain string).
KEEP = {"keep": True}  # the value the service has when the job runs
SEALED = "sealed"  # {"sealed": Fernet token}
DROPPED = {"dropped": True}  # a sealed value the job has used and let go


class SecretUnavailable(Exception):
    """A job's secret value cannot be had: gone from the service meanwhile, dropped after an earlier
    attempt, or sealed with a key this process does not know (SECRET_KEY changed, not in its fallbacks)."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"the value of {key} {reason}; send the form again")
        self.key = key


def secret_names(labels: dict[str, str] | None) -> set[str]:
    """The variable names the user marked secret on a service."""
    return {name.strip() for name in (labels or {}).get(SECRET_ENV_LABEL, "").split(",") if name.strip()}


def name_looks_secret(key: str, marked: Collection[str] = ()) -> bool:
    return key in marked or any(marker in key.upper() for marker in SECRET_MARKERS)


def mask_value(key: str, value: str, marked: Collection[str] = ()) -> str:
    """``value`` as it may be shown: MASK for a secret name, URL passwords hidden otherwise."""
    if not value:
        return value
    if name_looks_secret(key, marked):
        return MASK
    return _URL_PASSWORD.sub(lambda match: f"{match['head']}{MASK}@", value)


def is_secret(key: str, value: str, marked: Collection[str] = ()) -> bool:
    return mask_value(key, value, marked) != value


def mask_env(env: Iterable[str] | None, marked: Collection[str] = ()) -> list[tuple[str, str]]:
    """Environment lines as (key, value) pairs, in order, with every secret hidden."""
    pairs = []
    for line in env or []:
        key, _sep, value = line.partition("=")
        pairs.append((key, mask_value(key, value, marked)))
    return pairs


def mask_env_lines(env: Iterable[str] | None, marked: Collection[str] = ()) -> list[str]:
    """Environment lines as KEY=VALUE with every secret hidden (a line without "=" stays as it is)."""
    lines = []
    for line in env or []:
        key, equals, value = line.partition("=")
        lines.append(f"{key}={mask_value(key, value, marked)}" if equals else line)
    return lines


def env_diff_lines(
    current: Iterable[str] | None, previous: Iterable[str] | None, marked: Collection[str]
) -> tuple[list[str], list[str]]:
    """Both environments as shown, where a secret that differs but looks the same masked says so,
    without either value (a rollback would otherwise seem to change nothing there)."""
    now, before = list(current or []), list(previous or [])
    raw_now, raw_before = _values(now), _values(before)
    shown_now, shown_before = dict(mask_env(now, marked)), dict(mask_env(before, marked))

    def lines(env: list[str], raw: dict[str, str], shown: dict[str, str], other_raw: dict[str, str], other_shown):
        result = []
        for line in env:
            key = line.partition("=")[0]
            if "=" not in line:
                result.append(line)
            elif key in other_raw and raw[key] != other_raw[key] and shown[key] == other_shown[key]:
                result.append(_("{key}={value} (changed)").format(key=key, value=shown[key]))
            else:
                result.append(f"{key}={shown[key]}")
        return result

    return (
        lines(now, raw_now, shown_now, raw_before, shown_before),
        lines(before, raw_before, shown_before, raw_now, shown_now),
    )


def _values(env: list[str]) -> dict[str, str]:
    return {key: value for key, _sep, value in (line.partition("=") for line in env)}


# --- a job's secret values ----------------------------------------------------------------------


def _fernet() -> MultiFernet:
    return fernet(salt="swarmdeck.services.masking", purpose="job secrets")


def seal(value: str) -> dict:
    return {SEALED: _fernet().encrypt(value.encode()).decode()}


def env_value_open(key: str, value: str | dict, current: dict[str, str]) -> str:
    """The clear value a job writes for ``key``: as given, unsealed, or the service's ``current`` one."""
    if isinstance(value, str):
        return value
    if value.get("keep"):
        if key not in current:
            raise SecretUnavailable(key, "was kept as it was, but the service no longer has it")
        return current[key]
    if value.get(SEALED):
        try:
            return _fernet().decrypt(value[SEALED].encode()).decode()
        except InvalidToken:
            raise SecretUnavailable(key, "was sealed with another SECRET_KEY") from None
    raise SecretUnavailable(key, "was dropped after an earlier attempt")


def params_sealed_dropped(params: dict) -> dict:
    """A copy of a job's params without its sealed values (the env of "values" or of groups["env"])."""

    def sealed(value) -> bool:
        return isinstance(value, dict) and SEALED in value

    def dropped(env: list | dict) -> list | dict:
        # [key, value] pairs (the user's order); a dict in the rows of jobs from before.
        if isinstance(env, dict):
            return {key: DROPPED if sealed(value) else value for key, value in env.items()}
        return [[key, DROPPED if sealed(value) else value] for key, value in env]

    params = dict(params)
    if isinstance(params.get("values"), dict) and "env" in params["values"]:
        params["values"] = {**params["values"], "env": dropped(params["values"]["env"])}
    groups = params.get("groups")
    if isinstance(groups, dict) and "env" in groups:
        params["groups"] = {**groups, "env": {**groups["env"], "env": dropped(groups["env"]["env"])}}
    return params


def has_sealed(params: dict) -> bool:
    return params_sealed_dropped(params) != params
