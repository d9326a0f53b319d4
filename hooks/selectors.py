"""What the hook pages show: every hook with its last call, and one hook's recent calls."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery

from .models import DeployHook, HookCall

RECENT_CALLS = 50


def hook_rows(*, service_id: str | None = None) -> QuerySet[DeployHook]:
    """Every hook (or the service's), each with ``last_at`` and ``last_outcome`` of its latest call."""
    latest = HookCall.objects.filter(hook=OuterRef("pk")).order_by("-at", "-id")
    hooks = DeployHook.objects.annotate(
        last_at=Subquery(latest.values("at")[:1]), last_outcome=Subquery(latest.values("outcome")[:1])
    )
    return hooks.filter(service_id=service_id) if service_id is not None else hooks


def outcome_label(outcome: str | None) -> str:
    return HookCall.Outcome(outcome).label if outcome else ""


def hook_calls(*, hook: DeployHook) -> list[HookCall]:
    return list(hook.calls.select_related("job")[:RECENT_CALLS])
