"""Template filters that word the Swarm codes through history.labels: ``{% load swarm_labels %}``."""

from django import template

from history.labels import (
    UPDATE_STATES_BAD,
    Health,
    NodeAvailability,
    NodeState,
    ServiceMode,
    TaskState,
    UpdateState,
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
