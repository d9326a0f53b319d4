"""The range a reader asks for (``tail``, ``since``, ``until``), read strictly from a query string.

Shared by the page, the websocket and the download, so all three accept the same words: a time is
ISO 8601 (without a zone: the panel's TIME_ZONE) or a time ago such as ``15m``, ``2h``, ``1d``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

TAIL_DEFAULT = 200
TAIL_MAX = 5000  # lines a socket starts with at most: the whole history is a download
_AGO = re.compile(r"(\d{1,6})([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class QueryError(ValueError):
    """A value the reader typed that means nothing; its text says which, in the reader's language."""


def tail_parse(value: str | None, *, allow_all: bool) -> int | None:
    """Lines back from the end: a count up to TAIL_MAX for a socket; for a download (``allow_all``)
    any count, or None for "all"."""
    value = (value or "").strip()
    if not value:
        return TAIL_DEFAULT
    if allow_all and value == "all":
        return None
    # Nine digits: a count the engine takes, whatever its integer type.
    if not value.isascii() or not value.isdigit() or len(value) > 9 or not (allow_all or int(value) <= TAIL_MAX):
        if allow_all:
            raise QueryError(_('"Last lines" must be a number, or "all".'))
        raise QueryError(_('"Last lines" must be a number from 0 to {max}.').format(max=TAIL_MAX))
    return int(value)


def time_parse(value: str | None) -> datetime | None:
    """An aware datetime, or None when the value is empty."""
    value = (value or "").strip()
    if not value:
        return None
    if ago := _AGO.fullmatch(value):
        try:
            return timezone.now() - timedelta(**{_UNITS[ago[2]]: int(ago[1])})
        except OverflowError:
            pass  # further back than a datetime goes: as meaningless as a typo
    else:
        try:
            moment = parse_datetime(value)
            if moment is None and (day := parse_date(value)) is not None:
                moment = datetime(day.year, day.month, day.day)
        except ValueError:  # the right shape with an impossible value (month 13)
            moment = None
        if moment is not None:
            return moment if timezone.is_aware(moment) else timezone.make_aware(moment)
    raise QueryError(
        _("{value} is not a time: use one such as 2026-11-26T15:00:00Z, or a time ago such as 15m, 2h or 1d.").format(
            value=value[:40]
        )
    )
