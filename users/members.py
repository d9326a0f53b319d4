"""Changing and removing users: the rules that keep the panel administered.

The last active admin can be neither demoted nor removed: the panel would have no one left to
invite or to change anything. A removed user is deactivated, not deleted: their jobs' audit trail
keeps their name, and their sessions, open pages and API tokens stop at once.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.models import Profile
from accounts.roles import Role
from accounts.sessions import sessions_end


class LastAdmin(Exception):
    """The change would leave the panel without an active admin."""


class NotYourself(Exception):
    """An admin removes other users; to leave, another admin removes them."""


def _others_admins_exist(user_id: int) -> bool:
    # select_for_update: on PostgreSQL two admins demoting each other at once are serialised here
    # (SQLite's IMMEDIATE transactions already serialise every writer).
    admins = (
        Profile.objects.select_for_update()
        .filter(role=Role.ADMIN, user__is_active=True)
        .exclude(user_id=user_id)
        .values_list("id", flat=True)
    )
    return bool(list(admins))


def member_role_set(*, user_id: int, role: Role | str) -> None:
    with transaction.atomic():
        if role != Role.ADMIN and not _others_admins_exist(user_id):
            raise LastAdmin
        Profile.objects.update_or_create(user_id=user_id, defaults={"role": role})


def member_remove(*, user_id: int, by) -> None:
    if user_id == by.pk:
        raise NotYourself
    with transaction.atomic():
        if not _others_admins_exist(user_id):
            raise LastAdmin
        get_user_model().objects.filter(id=user_id).update(is_active=False)
    sessions_end(user_id=user_id)  # their sockets close with their sessions (live.consumers)
