"""What can go wrong at the engine, as types with a stable ``code``.

The code is what a job stores and what ``jobs.messages.ERRORS`` words in the reader's language;
``detail`` keeps the engine's own words. Callers catch types, never status codes.
"""


class EngineError(Exception):
    """The engine refused or failed."""

    code = "engine"
    # Worth trying again a little later (connection refused, a timeout, the engine's own 5xx);
    # jobs retry those with backoff before they fail.
    transient = False

    def __init__(self, detail: str = "", *, transient: bool | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if transient is not None:
            self.transient = transient


class EngineUnreachable(EngineError):
    code = "unreachable"
    transient = True


class NotSwarmManager(EngineError):
    code = "not_manager"


class ServiceNotFound(EngineError):
    code = "not_found"


class TaskNotFound(EngineError):
    code = "task_not_found"


class NotScalable(EngineError):
    code = "not_scalable"


class NoPreviousSpec(EngineError):
    code = "no_previous"


class ServiceConflict(EngineError):
    """The service changed between our read and our write ("update out of sequence")."""

    code = "conflict"


class RegistryUnreachable(EngineError):
    code = "registry_unreachable"


class TagNotFound(EngineError):
    code = "tag_not_found"


class ContainerNotFound(EngineError):
    code = "container_not_found"


class ImageNotFound(EngineError):
    code = "image_not_found"


class NotInContainer(EngineError):
    code = "not_in_container"


class NodeNotFound(EngineError):
    code = "node_not_found"


class NodeConflict(EngineError):
    """The node changed between our read and our write ("update out of sequence")."""

    code = "node_conflict"


# The engine's refusals of a node change (swarmkit's FailedPrecondition), told apart by their words.


class NodeNotDown(EngineError):
    """A node that is up is removed only with force."""

    code = "node_not_down"


class NodeIsManager(EngineError):
    """A manager must be demoted before it is removed, even with force."""

    code = "node_is_manager"


class LastManager(EngineError):
    """The swarm's only manager cannot be demoted (nor, so, removed)."""

    code = "last_manager"


class ManagerQuorum(EngineError):
    """Demoting this manager would leave the remaining managers without a quorum."""

    code = "manager_quorum"


class ManagerJoining(EngineError):
    """A node just promoted is not yet a member of the managers' Raft group, and cannot be demoted
    until it is: the engine answers 404 ("can't find manager in raft memberlist"), for a moment."""

    code = "manager_joining"
    transient = True


# Secrets and configs (engine.secrets): the engine's words kept as the detail.


class SecretNotFound(EngineError):
    code = "secret_not_found"


class SecretNameTaken(EngineError):
    """Another secret has the name ("secret NAME already exists")."""

    code = "secret_name_taken"


class SecretInUse(EngineError):
    """A service references the secret ("secret 'NAME' is in use by the following service: …")."""

    code = "secret_in_use"


class ConfigNotFound(EngineError):
    code = "config_not_found"


class ConfigNameTaken(EngineError):
    """Another config has the name ("config NAME already exists")."""

    code = "config_name_taken"


class ConfigInUse(EngineError):
    """A service references the config ("config 'NAME' is in use by the following service: …")."""

    code = "config_in_use"


# Stacks: the Docker CLI that deploys and removes them (engine.stacks).


class StackCliMissing(EngineError):
    """The Docker CLI (settings.SWARMDECK_DOCKER_CLI) is not installed where the job runs."""

    code = "stack_cli_missing"


class StackInUse(EngineError):
    """Something the stack changes or removes is used elsewhere (a secret, a network, a port)."""

    code = "stack_in_use"


# Networks (engine.networks): the engine's words kept as the detail.


class NetworkNotFound(EngineError):
    code = "network_not_found"


class NetworkNameTaken(EngineError):
    """Another network has the name ("network with name NAME already exists")."""

    code = "network_name_taken"


class NetworkInUse(EngineError):
    """A service, task or container is on the network ("network ID is in use by service ID", or a
    local network's "has active endpoints")."""

    code = "network_in_use"


class NetworkPredefined(EngineError):
    """The engine's own networks are never removed ("bridge is a pre-defined network and cannot be removed")."""

    code = "network_predefined"
