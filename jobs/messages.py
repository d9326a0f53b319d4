"""Every message a job writes, and every engine error's words, by code: stored as codes, shown
in the reader's language. The engine adapter (engine.errors) raises the codes; this is their text."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from history.labels import UpdateState, label

# A message whose words depend on a Swarm update state ("state" in its params) is one whole sentence
# per state: a state's label set into a sentence would have to agree with it in gender and number,
# and could not move in Chinese. The "" entry words a state a newer engine may add (its code shown).
ANY_STATE = ""

STEPS = {
    "queued": _("Queued by {user}."),
    "claimed": _("Started (attempt {attempt})."),
    "resumed": _("A worker stopped during this job; resuming it (attempt {attempt})."),
    "created": _("Service {name} created."),
    "adopted": _("Service {name} was already created by this job; following it."),
    "updated": _("New spec sent to the engine."),
    "unchanged": _("The service already had this spec; nothing to send."),
    "conflict_retry": _("The service changed meanwhile; applying the change to its new spec (try {attempt})."),
    "scaled": _("Replicas set to {replicas}."),
    "redeployed": _("Every task is being replaced (forced update)."),
    "rollback_sent": _("Rollback to the previous spec requested."),
    "rollback_already": _("The rollback was already sent by an earlier attempt."),
    "removed": _("Service removed."),
    "update_state": {
        UpdateState.UPDATING: _("Swarm is replacing the tasks (rolling update)."),
        UpdateState.PAUSED: _("Swarm paused the update."),
        UpdateState.COMPLETED: _("Swarm completed the update."),
        UpdateState.ROLLBACK_STARTED: _("Swarm is rolling the service back to its previous spec."),
        UpdateState.ROLLBACK_PAUSED: _("Swarm paused the rollback."),
        UpdateState.ROLLBACK_COMPLETED: _("Swarm rolled the service back to its previous spec."),
        ANY_STATE: _("Update status reported by Swarm: {state}."),
    },
    "progress": _("{done} of {total} tasks updated."),
    "converged": _("{running} of {desired} tasks running."),
    "succeeded": _("Done."),
    "engine_retry": _(
        "The Docker engine did not answer ({detail}); trying again in {seconds} seconds (try {attempt})."
    ),
    # Updates: checks of the followed image tags, and image updates.
    "check_up_to_date": _("{name}: up to date ({digest})."),
    "check_available": _("{name}: a newer image is available ({digest}); it is not applied automatically."),
    "check_rolled_back_before": _(
        "{name}: the tag names {digest}, which was rolled back before; it is not tried again by itself."
    ),
    "check_registry_unreachable": _("{name}: the registry of {image} cannot be reached; nothing was changed."),
    "check_tag_not_found": _("{name}: the registry does not have {image} (any more); nothing was changed."),
    "check_not_supported": _("{name}: cannot be updated here; the Updates page says why."),
    "update_requested": _("{name}: update to {digest} requested as job #{number}."),
    "image_sent": _("{name}: image {image} sent to Swarm (failure action: rollback)."),
    "image_already_sent": _("{name}: the new image was already sent by an earlier attempt; following the update."),
    "helper_started": _(
        "Helper container {name} started: it replaces the panel's container "
        "and puts it back if the new one is not healthy."
    ),
    "helper_waiting": _("Waiting for the helper container to finish the update."),
    "image_pulled": _("Image {image} pulled."),
    "data_backed_up": _("Database copied to {path} before the update."),
    "old_stopped": _("Old container stopped and kept as {name}."),
    "new_started": _("New container started from {image}; waiting up to {seconds} seconds for it to become healthy."),
    "new_healthy": _("The new container is healthy; the old one was removed."),
    "old_restored": _("The old container is running again."),
    "unchanged_image": _("The tag still names the running image; nothing to update."),
    # Node jobs: availability, role, labels, removal.
    "node_unchanged": _("The node already had this setting; nothing to send."),
    "node_conflict_retry": _("The node changed meanwhile; applying the change to its new spec (try {attempt})."),
    "node_activated": _("Node {node} set to active: Swarm may place tasks on it."),
    "node_paused": _("Node {node} paused: Swarm places no new task on it; the running ones stay."),
    "node_drained": _("Node {node} set to drain: Swarm moves its tasks to other nodes."),
    "node_promoted": _("Node {node} promoted to manager."),
    "node_demoted": _("Node {node} demoted to worker."),
    "node_label_set": _("Label {key}={value} set on node {node}."),
    "node_label_removed": _("Label {key} removed from node {node}."),
    "node_removed": _("Node {node} removed from the swarm."),
    "drain_tasks": _("Tasks running on the node when it was drained: {count}. Following them until none is left."),
    "drain_progress": _("{moved} of {total} tasks have left the node."),
    "drain_done": _("Every task that ran on the node runs elsewhere now (or has ended for good)."),
    # Network jobs: create, remove.
    "network_created": _("Network {name} created."),
    "network_adopted": _("Network {name} was already created by this job."),
    "network_removed": _("Network {name} removed."),
    "network_already_removed": _("Network {name} was already removed."),
    # Stack jobs: deploy (and roll back to an earlier deploy), remove.
    "stack_deploying": _("Deploying stack {stack} with the Docker CLI (deploy #{deploy})."),
    "stack_sent": _("Stack {stack} sent to Swarm: {services} services."),
    "stack_already_sent": _("Stack {stack} was already sent by an earlier attempt; following its services."),
    "stack_service_running": _("{service}: {running} of {desired} tasks running."),
    "stack_converged": _("Every service of stack {stack} runs as desired."),
    "stack_remove_sent": _(
        "Removal of stack {stack} requested: {services} services, {networks} networks, "
        "{secrets} secrets, {configs} configs."
    ),
    "stack_remove_waiting": _("Still on the engine: {left}."),
    "stack_removed": _("Stack {stack} removed: nothing of it is left on the engine."),
    "stack_already_removed": _("The engine has nothing of stack {stack} (any more)."),
    # Secret and config jobs.
    "secret_created": _("Secret {name} created."),
    "secret_adopted": _("Secret {name} was already created by this job."),
    "secret_removed": _("Secret {name} removed."),
    "secret_already_removed": _("Secret {name} was already removed."),
    "config_created": _("Config {name} created."),
    "config_adopted": _("Config {name} was already created by this job."),
    "config_removed": _("Config {name} removed."),
    "config_already_removed": _("Config {name} was already removed."),
    "rotate_services": _("Services using secret {name}: {count}."),
    "rotate_service_updated": _("Service {service} now uses {name}, as the same file."),
    "rotate_service_unchanged": _("Service {service} already uses {name}."),
}

ERRORS = {
    "engine": _("The Docker engine reported an error."),
    "unreachable": _("The Docker engine at {host} cannot be reached."),
    "not_manager": _("The Docker engine at {host} is not a Swarm manager."),
    "not_found": _("The service does not exist (any more)."),
    "conflict": _(
        "The service kept changing while this job tried to update it (update out of sequence); "
        "the job stopped so that neither change is lost. Try again."
    ),
    "no_previous": _("The service has no previous spec to roll back to."),
    "not_scalable": _("Only replicated services can be scaled; a global service runs one task per node."),
    "queue_down": _("The job queue (Redis) cannot be reached, so the job was not started."),
    "timeout": _("The rollout did not finish in {seconds} seconds."),
    "not_converged": _("Only {running} of {desired} tasks were running after {seconds} seconds; the engine says why."),
    # The engine's own words (the job's error detail) are shown beside these, never inside them.
    "paused": _("The update is paused: Swarm stopped it after failed tasks."),
    "rolled_back": _("The update failed and Swarm rolled the service back to its previous spec."),
    "rollback_paused": _("The rollback is paused."),
    "too_many_attempts": _("Gave up after {attempts} attempts."),
    "stale": _("The worker running this job stopped answering (no heartbeat for {seconds} seconds)."),
    "crashed": _("Unexpected error in the job."),
    "registry_unreachable": _("The image's registry cannot be reached; nothing was changed."),
    "tag_not_found": _("The registry does not have this image tag (any more); nothing was changed."),
    "not_in_container": _("Swarmdeck does not run in a container of this engine, so it cannot update itself."),
    "container_not_found": _("The container does not exist (any more)."),
    "task_not_found": _("The task does not exist (any more)."),
    "image_not_found": _("The image is not on this engine."),
    "helper_lost": _("The update helper container ended without finishing the update."),
    "new_unhealthy": _("The new container did not become healthy ({reason}); the old one was put back."),
    "check_failed": _("No followed image could be checked; see the steps."),
    "node_not_found": _("The node does not exist (any more)."),
    "node_conflict": _(
        "The node kept changing while this job tried to update it (update out of sequence); "
        "the job stopped so that neither change is lost. Try again."
    ),
    "node_not_down": _(
        "The node is up: Swarm removes a node once it is down (left the swarm or stopped), "
        "or when the removal is forced."
    ),
    "node_is_manager": _("The node is a manager: demote it to worker before removing it."),
    "last_manager": _("This is the swarm's only manager: demoting or removing it would leave the swarm without one."),
    "manager_quorum": _(
        "Demoting this manager would leave the other managers without a quorum; "
        "bring the unreachable managers back or promote another node first."
    ),
    "handoff_lost": _(
        "A value this job was handed (a secret's content or a file) is no longer kept for it: "
        "the job waited too long or Redis restarted. Nothing was changed; ask again."
    ),
    "manager_joining": _(
        "The node has only just become a manager and has not joined the managers' group yet; "
        "try again in a few seconds."
    ),
    "drain_timeout": _("{remaining} tasks did not run elsewhere after {seconds} seconds; the node stays drained."),
    "network_not_found": _("The network does not exist (any more)."),
    "network_name_taken": _("Another network already has this name."),
    "network_in_use": _(
        "The network is in use: remove the services (or containers) on it first; the engine's words say which."
    ),
    "network_predefined": _(
        "This network belongs to Docker itself (or to the swarm's routing mesh); it is never removed."
    ),
    "stack_cli_missing": _(
        "The Docker command-line client that deploys stacks cannot be run here: install Debian's "
        "docker.io package, or set SWARMDECK_DOCKER_CLI to the client's path."
    ),
    "stack_in_use": _("Something this stack change needs or removes is in use; the engine's words say what."),
    "stack_timeout": _("Only {converged} of {total} services of the stack ran as desired after {seconds} seconds."),
    "stack_service_failed": {
        UpdateState.PAUSED: _("Swarm paused the update of service {service}."),
        UpdateState.ROLLBACK_PAUSED: _("Swarm paused the rollback of service {service}."),
        UpdateState.ROLLBACK_COMPLETED: _("The update of service {service} failed and Swarm rolled it back."),
        ANY_STATE: _("The update of service {service} stopped; Swarm reports it as {state}."),
    },
    "stack_remove_timeout": _("Parts of the stack were still on the engine after {seconds} seconds: {left}."),
    "stack_deploy_missing": _("The deploy this job was asked to make no longer exists."),
    "secret_not_found": _("The secret does not exist (any more)."),
    "secret_name_taken": _("Another secret already has this name."),
    "secret_in_use": _("The secret is in use by a service: remove it from the service first."),
    "config_not_found": _("The config does not exist (any more)."),
    "config_name_taken": _("Another config already has this name."),
    "config_in_use": _("The config is in use by a service: remove it from the service first."),
}


# What to do about an engine error, for the pages that show one.
HINTS = {
    "unreachable": _(
        "Start the engine at {host}, or set DOCKER_HOST to the address of a Swarm manager "
        "(for example unix:///var/run/docker.sock) and restart Swarmdeck."
    ),
    "not_manager": _(
        "Run 'docker swarm init' on the engine at {host}, or point DOCKER_HOST at a manager node "
        "('docker node ls' on a manager lists them)."
    ),
}


@dataclass(frozen=True)
class ErrorText:
    """An engine error as a page shows it: what happened, what to do, and the engine's own words."""

    code: str
    message: str
    hint: str
    detail: str


def error_text(exc) -> ErrorText:
    """The words for an engine.EngineError (or anything with ``code`` and ``detail``)."""
    message = render(ERRORS, exc.code)
    detail = exc.detail if exc.detail and exc.detail not in message else ""
    return ErrorText(
        code=exc.code, message=message, hint=render(HINTS, exc.code) if exc.code in HINTS else "", detail=detail
    )


def render(messages: dict, code: str, params: dict | None = None) -> str:
    template = messages.get(code)
    if template is None:
        return code
    params = {"host": settings.DOCKER_HOST, **(params or {})}
    if isinstance(template, Mapping):  # one sentence per Swarm update state (see ANY_STATE)
        template = template.get(params.get("state", ""), template[ANY_STATE])
    try:
        # The engine's address is known to every message; the rest comes with the step.
        return str(template).format(**params)
    except (KeyError, IndexError):
        return str(template)


def step_text(step: dict) -> str:
    """A job step in the reader's language: a step code, or an error code ("error:<code>")."""
    code, params = step["code"], step.get("params")
    if code.startswith("error:"):
        return render(ERRORS, code.removeprefix("error:"), params)
    return render(STEPS, code, params)


def job_error_text(job) -> str:
    """The job's error in words, with the params its error step recorded; "" when it has none."""
    if not job.error_code:
        return ""
    recorded = (step for step in reversed(job.steps) if step["code"] == f"error:{job.error_code}")
    return render(ERRORS, job.error_code, next(recorded, {}).get("params"))


# The job page's title, by kind: a whole noun phrase each ("Scaling of web"), so a language words
# it as its grammar wants ("Escalado de web", "web 的扩缩容") instead of a verb glued to a name.
TITLES = {
    "create": pgettext_lazy("job title", "Creation of service {target}"),
    "update": pgettext_lazy("job title", "Update of {target}"),
    "scale": pgettext_lazy("job title", "Scaling of {target}"),
    "redeploy": pgettext_lazy("job title", "Redeployment of {target}"),
    "rollback": pgettext_lazy("job title", "Rollback of {target}"),
    "remove": pgettext_lazy("job title", "Removal of service {target}"),
    "update_check": pgettext_lazy("job title", "Check for new images"),
    "image_update": pgettext_lazy("job title", "Image update of {target}"),
    "node_availability": pgettext_lazy("job title", "Availability change of node {target}"),
    "node_role": pgettext_lazy("job title", "Role change of node {target}"),
    "node_labels": pgettext_lazy("job title", "Label change of node {target}"),
    "node_remove": pgettext_lazy("job title", "Removal of node {target}"),
    "stack_deploy": pgettext_lazy("job title", "Deployment of stack {target}"),
    "stack_rollback": pgettext_lazy("job title", "Rollback of stack {target}"),
    "stack_remove": pgettext_lazy("job title", "Removal of stack {target}"),
    "network_create": pgettext_lazy("job title", "Creation of network {target}"),
    "network_remove": pgettext_lazy("job title", "Removal of network {target}"),
    "secret_create": pgettext_lazy("job title", "Creation of secret {target}"),
    "secret_rotate": pgettext_lazy("job title", "Rotation of secret {target}"),
    "secret_remove": pgettext_lazy("job title", "Removal of secret {target}"),
    "config_create": pgettext_lazy("job title", "Creation of config {target}"),
    "config_remove": pgettext_lazy("job title", "Removal of config {target}"),
}


def job_title(job) -> str:
    """The noun phrase a job's page is titled with, in the reader's language."""
    return kind_title(job.kind, job.target_label)


def kind_title(kind: str, target: str) -> str:
    """A job's noun phrase from its kind and its target's name ("Scaling of web")."""
    from .models import Job

    template = TITLES.get(kind)
    if template is None:  # a kind a newer release added: its own label
        return label(Job.Kind, kind)
    return str(template).format(target=target)
