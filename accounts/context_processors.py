from .roles import Role, role_of


def role(request) -> dict:
    """The user's role for the templates, which hide what it does not allow (the views refuse it)."""
    current = role_of(getattr(request, "user", None))
    return {
        "role": current,
        "can_operate": current in (Role.OPERATOR, Role.ADMIN),
        "can_admin": current == Role.ADMIN,
    }
