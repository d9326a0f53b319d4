"""Template filters that word the Swarm codes through history.labels: ``{% load swarm_labels %}``."""

from django import template

from history.labels import (
    LEADER,
    UPDATE_STATES_BAD,
    ChartRange,
    Health,
    HealthReporting,
    ManagerReachability,
    NodeAvailability,
    NodeRole,
    NodeState,
    ServiceMode,
    TaskState,
    UpdateState,
    WatcherState,
    label,
)

register = template.Library()


@register.filter
def update_state_label(state: str) -> str:
    return label(UpdateState, state)


@register.filter
def update_state_tone(state: str) -> str:
    """The badge class of an update state: bad when someone has to act, good once completed."""
    if state in UPDATE_STATES_BAD:
        return "bad"
    return "good" if state == UpdateState.COMPLETED else "warn"


@register.filter
def health_label(health: str) -> str:
    return label(Health, health)


@register.filter
def task_state_label(state: str) -> str:
    return label(TaskState, state)


@register.filter
def node_state_label(state: str) -> str:
    return label(NodeState, state)


@register.filter
def node_availability_label(availability: str) -> str:
    return label(NodeAvailability, availability)


@register.filter
def service_mode_label(mode: str) -> str:
    return label(ServiceMode, mode)


@register.filter
def node_role_label(role: str) -> str:
    return label(NodeRole, role)


@register.simple_tag
def leader_label() -> str:
    return str(LEADER)


@register.filter
def reachability_label(reachability: str) -> str:
    return label(ManagerReachability, reachability)


@register.filter
def watcher_state_label(state: str) -> str:
    return label(WatcherState, state)


@register.filter
def health_reporting_label(status: str) -> str:
    return label(HealthReporting, status)


@register.filter
def chart_range_label(key: str) -> str:
    return label(ChartRange, key)
