"""Who may do what: three roles, each allowed what the one below is, and more.

- viewer: reads the swarm, its history, jobs and logs; not secrets.
- operator: also scales, redeploys, updates and rolls back services (and their images).
- admin: also creates and removes, deploys stacks, works on nodes, secrets, users and settings.

The server checks the role on every view (``role_required``), websocket (``live.consumers``), API
call (``api``) and job request (``jobs.requests.job_request``, the last word: whatever path a
request takes, a job of a kind above the requester's role is refused). Pages only hide what the
user may not do (``accounts.context_processors``): hiding is for the eye, the checks are the rule.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    VIEWER = "viewer", _("Viewer")
    OPERATOR = "operator", _("Operator")
    ADMIN = "admin", _("Admin")


_RANK = {Role.VIEWER: 0, Role.OPERATOR: 1, Role.ADMIN: 2}


def role_of(user) -> Role | None:
    """The user's role; None for an anonymous or deactivated user, who may do nothing."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    profile = getattr(user, "profile", None)
    if profile is not None and profile.role:
        return Role(profile.role)
    # A user made without the panel (createsuperuser) has no profile: Django's flag decides.
    return Role.ADMIN if user.is_superuser else Role.VIEWER


def role_allows(role: Role | str | None, needed: Role | str) -> bool:
    return role is not None and _RANK[Role(role)] >= _RANK[Role(needed)]


def user_may(user, needed: Role | str) -> bool:
    return role_allows(role_of(user), needed)


def roles_up_to(role: Role | str) -> list[Role]:
    """The roles no higher than ``role``: what a user may give an API token or an invitee."""
    return [candidate for candidate in Role if _RANK[candidate] <= _RANK[Role(role)]]


def role_required(needed: Role | str) -> Callable:
    """A view for ``needed`` and above: anyone else gets the 403 page, which says which role it takes."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not user_may(request.user, needed):
                raise PermissionDenied(Role(needed).value)
            return view(request, *args, **kwargs)

        wrapped.role_needed = Role(needed)
        return wrapped

    return decorator


operator_required = role_required(Role.OPERATOR)
admin_required = role_required(Role.ADMIN)
