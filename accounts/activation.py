"""First run: setup tokens, generated credentials and the one-time activation."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import sessions
from .models import Installation, Profile, SetupToken
from .roles import Role

logger = logging.getLogger("swarmdeck.activation")

# No 0/O/o, 1/l/I: a password read off paper or a screen is typed right the first time.
PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105 - an alphabet, not a password
PASSWORD_LENGTH = 24
ADMIN_USERNAME = "admin"


class ActivationError(Exception):
    pass


class AlreadyActivated(ActivationError):
    pass


class InvalidToken(ActivationError):
    pass


class StalePage(ActivationError):
    """The credentials on the submitted page are not the ones pending (another tab reloaded)."""


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    nonce: str


def is_activated() -> bool:
    return Installation.objects.exists()


def password_generate(length: int = PASSWORD_LENGTH) -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def setup_token_issue(*, lifetime: timedelta | None = None) -> tuple[str, datetime]:
    """Create a fresh token; return it (to print, never to store) and its expiry."""
    raw = secrets.token_urlsafe(32)
    expires_at = timezone.now() + (lifetime or timedelta(minutes=settings.SWARMDECK_SETUP_TOKEN_MINUTES))
    SetupToken.objects.create(token_hash=_hash(raw), expires_at=expires_at)
    return raw, expires_at


def _valid_tokens():
    return SetupToken.objects.filter(used_at__isnull=True, expires_at__gt=timezone.now())


def setup_token_valid(raw: str | None) -> bool:
    return bool(raw) and _valid_tokens().filter(token_hash=_hash(raw)).exists()


def credentials_generate(*, raw_token: str) -> Credentials:
    """New credentials for the activation page; they replace any shown earlier for this token."""
    credentials = Credentials(ADMIN_USERNAME, password_generate(), secrets.token_urlsafe(16))
    updated = (
        _valid_tokens()
        .filter(token_hash=_hash(raw_token))
        .update(
            pending_username=credentials.username,
            pending_password=make_password(credentials.password),
            pending_nonce=credentials.nonce,
        )
    )
    if not updated:
        raise InvalidToken
    return credentials


def panel_activate(*, raw_token: str, nonce: str, username: str | None = None):
    """Create the administrator exactly once, named ``username`` or the generated name. A replay, a
    double submit or a race raises."""
    if is_activated():
        raise AlreadyActivated
    now = timezone.now()
    try:
        with transaction.atomic():
            if Installation.objects.exists():  # re-read inside the transaction: a racer may have won
                raise AlreadyActivated
            token = _valid_tokens().filter(token_hash=_hash(raw_token)).first()
            if token is None:
                raise InvalidToken
            if not token.pending_nonce or not secrets.compare_digest(token.pending_nonce, nonce):
                raise StalePage
            # Compare-and-set: of two racing submits only one sees its row change.
            if not SetupToken.objects.filter(id=token.id, used_at__isnull=True).update(used_at=now):
                raise AlreadyActivated
            user = get_user_model().objects.create(
                username=username or token.pending_username,
                password=token.pending_password,
                is_staff=True,
                is_superuser=True,
            )
            Installation.objects.create(admin=user)
            Profile.objects.create(user=user, role=Role.ADMIN)
            # Every other token dies with the activation.
            SetupToken.objects.filter(used_at__isnull=True).update(used_at=now)
    except IntegrityError as exc:
        # Another request activated first (the singleton or the user name is taken).
        raise AlreadyActivated from exc
    logger.warning("Swarmdeck was activated; the administrator is %r.", user.username)
    return user


def admin_password_reset(*, username: str | None = None) -> tuple[str, str]:
    """Give the administrator (or the named user) a new random password; return both."""
    user_model = get_user_model()
    if username:
        user = user_model.objects.get(username=username)
    else:
        user = Installation.objects.select_related("admin").get().admin
    password = password_generate()
    user.set_password(password)
    user.save(update_fields=["password"])
    sessions.sessions_end(user_id=user.pk)  # whoever held the old password is logged out
    return user.username, password
