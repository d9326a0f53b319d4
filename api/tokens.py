"""Personal API tokens: made (shown once), checked at each call, revoked.

A token is "sd_<prefix>_<secret>": the prefix (public, unique) tells a user's tokens apart in the
lists, the secret (32 random bytes) makes it unguessable. Only the sha256 of the whole token is
kept: a copy of the database gives nobody a working token. A token found by its hash is still
refused when revoked, expired, or when its user is deactivated.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.roles import Role, role_allows, role_of

from .models import ApiToken

MARK = "sd_"  # every token starts so: people and secret scanners know one when they see it
EXPIRY_DAYS = (7, 30, 90, 365)
# A token's last use is written when the one stored is older than this: at most a write a minute.
LAST_USE_EVERY = timedelta(minutes=1)


class TokenRefused(Exception):
    """The token cannot be used; ``code`` says why (api.messages.ERRORS)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    raw: str  # the whole token: given to the user once, then gone


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_create(*, user, name: str, role: Role | str, days: int) -> NewToken:
    """A new token of ``user``, whose role caps the token's (PermissionDenied above it)."""
    if not role_allows(role_of(user), role):
        raise PermissionDenied(Role(role).value)
    if days not in EXPIRY_DAYS:
        raise ValueError(f"expiry of {days} days")
    for _attempt in range(3):
        prefix = f"{MARK}{secrets.token_hex(4)}"
        raw = f"{prefix}_{secrets.token_urlsafe(32)}"
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    user=user,
                    name=name,
                    prefix=prefix,
                    token_hash=token_hash(raw),
                    role=Role(role),
                    expires_at=timezone.now() + timedelta(days=days),
                )
        except IntegrityError:
            continue  # a prefix taken already (one in four billion): draw another
        return NewToken(token, raw)
    raise RuntimeError("no free token prefix after three draws")


def token_authenticate(*, raw: str) -> ApiToken:
    """The token ``raw`` names, usable now; TokenRefused otherwise."""
    if not raw.startswith(MARK) or len(raw) > 200:
        raise TokenRefused("token_invalid")
    token = ApiToken.objects.select_related("user", "user__profile").filter(token_hash=token_hash(raw)).first()
    if token is None:
        raise TokenRefused("token_invalid")
    if token.revoked_at is not None:
        raise TokenRefused("token_revoked")
    if token.expires_at <= timezone.now():
        raise TokenRefused("token_expired")
    if role_of(token.user) is None:
        raise TokenRefused("user_inactive")
    return token


def token_role(token: ApiToken) -> Role | None:
    """What the token may do now: the lower of its own role and its user's current one."""
    user_role = role_of(token.user)
    if user_role is None:
        return None
    return Role(token.role) if role_allows(user_role, token.role) else user_role


def token_used(*, token: ApiToken, address: str) -> None:
    """Write down the token's last use, unless it was written less than a minute ago."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USE_EVERY:
        return
    try:
        ip = str(ipaddress.ip_address(address))
    except ValueError:
        ip = None  # not an address (a test client, a proxy's odd header): the time is still worth keeping
    # Conditional: of concurrent calls, one writes.
    fresh = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USE_EVERY)
    ApiToken.objects.filter(fresh, id=token.id).update(last_used_at=now, last_used_from=ip)


def token_revoke(*, token: ApiToken) -> bool:
    """Revoke the token; False when it already was (nothing changes twice)."""
    return bool(ApiToken.objects.filter(id=token.id, revoked_at__isnull=True).update(revoked_at=timezone.now()))


def tokens_visible(user):
    """The tokens ``user`` manages: their own; an admin, everybody's."""
    tokens = ApiToken.objects.select_related("user")
    if role_allows(role_of(user), Role.ADMIN):
        return tokens
    return tokens.filter(user=user)
