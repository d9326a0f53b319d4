"""Every message a job writes, by code: stored as codes, shown in the reader's language."""

from django.utils.translation import gettext_lazy as _

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
    "update_state": _("Update status: {state}."),
    "progress": _("{done} of {total} tasks updated."),
    "converged": _("{running} of {desired} tasks running."),
    "succeeded": _("Done."),
}

ERRORS = {
    "engine": _("The Docker engine refused the change."),
    "unreachable": _("The Docker engine cannot be reached."),
    "not_manager": _("The Docker engine is not a Swarm manager."),
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
    "paused": _("The update is paused: Swarm stopped it after failed tasks. {message}"),
    "rolled_back": _("The update failed and Swarm rolled the service back to its previous spec. {message}"),
    "rollback_paused": _("The rollback is paused. {message}"),
    "too_many_attempts": _("Gave up after {attempts} attempts."),
    "stale": _("The worker running this job stopped answering (no heartbeat for {seconds} seconds)."),
    "crashed": _("Unexpected error in the job."),
}


def render(messages: dict, code: str, params: dict | None = None) -> str:
    template = messages.get(code)
    if template is None:
        return code
    try:
        return str(template).format(**(params or {}))
    except (KeyError, IndexError):
        return str(template)
