"""Inviting users: the link is made here, and used here once."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Profile
from accounts.roles import Role

from .models import Invite


class InviteUnusable(Exception):
    """Unknown, used, revoked or expired: the page says only that the link no longer works."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_create(*, role: Role | str, note: str, hours: int, created_by) -> tuple[Invite, str]:
    """The invite and its token (the only time the token exists outside the link)."""
    token = secrets.token_urlsafe(32)
    invite = Invite.objects.create(
        token_hash=_hash(token),
        role=role,
        note=note,
        created_by=created_by,
        expires_at=timezone.now() + timedelta(hours=hours),
    )
    return invite, token


def invite_usable(token: str) -> Invite:
    invite = Invite.objects.filter(
        token_hash=_hash(token), used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).first()
    if invite is None:
        raise InviteUnusable
    return invite


def invite_accept(*, token: str, username: str, password: str):
    """Make the invitee's user with the invite's role; the invite is spent in the same transaction."""
    now = timezone.now()
    try:
        with transaction.atomic():
            invite = invite_usable(token)
            # Compare-and-set: of two submits of one link (a replay, a double click) one alone joins.
            spent = Invite.objects.filter(id=invite.id, used_at__isnull=True, revoked_at__isnull=True).update(
                used_at=now
            )
            if not spent:
                raise InviteUnusable
            user = get_user_model().objects.create_user(username, password=password)
            Profile.objects.create(user=user, role=invite.role)
            Invite.objects.filter(id=invite.id).update(used_by=user)
    except IntegrityError as exc:  # the user name was taken between the form's check and now
        raise InviteUnusable from exc
    return user


def invite_revoke(invite_id: int) -> bool:
    return bool(
        Invite.objects.filter(id=invite_id, used_at__isnull=True, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    )
