"""What the API takes and answers (JSON), as the OpenAPI schema publishes it."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from services.forms import MAX_REPLICAS


class FieldError(Schema):
    loc: list[str | int] = Field(description="Where the value is: body, query or path, then the field.")
    message: str


class ErrorOut(Schema):
    code: str = Field(description="Stable: what went wrong, for programs (token_expired, not_found, ...).")
    message: str = Field(description="The same, in words, in the language of the Accept-Language header.")
    detail: str = Field("", description="The Docker engine's own words, when it refused or failed.")
    errors: list[FieldError] = Field(default_factory=list, description="The invalid values (code invalid).")


class HealthOut(Schema):
    healthy: int = 0
    unhealthy: int = 0
    starting: int = 0


class ServiceOut(Schema):
    id: str
    name: str
    image: str = Field(description="The image reference, without its digest.")
    image_digest: str
    mode: str = Field(description="replicated, global, replicated-job or global-job.")
    replicas_desired: int = Field(description="Tasks Swarm wants running (the replicas of a replicated service).")
    replicas_running: int
    stack: str = Field(description="The stack that deployed it, or empty.")
    update_state: str = Field(description="Swarm's update status: updating, paused, completed, rollback_... or empty.")
    health: HealthOut = Field(description="Health checks of the running tasks, as the panel's history holds them.")
    restarts_24h: int
    restarts_1h: int
    updated_at: datetime | None
    url: str = Field(description="The service's page in the panel.")
    api_url: str


class ServiceDetailOut(ServiceOut):
    version: int = Field(description="Swarm's version index of the service's spec.")
    created_at: datetime | None
    labels: dict[str, str]
    update_message: str = Field(description="Swarm's message about the last update, as it is.")
    can_roll_back: bool
    previous_image: str | None = Field(description="The image of the spec a rollback would go back to.")


class TaskOut(Schema):
    id: str
    name: str = Field(description="As docker service ps names it: service.slot, or service.node for a global one.")
    slot: int | None
    node_id: str
    node: str = Field(description="The node's host name.")
    state: str
    desired_state: str
    message: str
    error: str
    exit_code: int | None
    image: str
    health: str = Field(description="healthy, unhealthy, starting, or empty (no health check, or not running).")
    created_at: datetime | None
    state_at: datetime | None


class RestartOut(Schema):
    task_id: str
    name: str
    slot: int | None
    node_id: str
    image: str
    exit_code: int | None
    error: str
    health: str
    cause: str = Field(description="Why the task ended: exit, unhealthy, node or update.")
    cause_label: str
    created_at: datetime
    ended_at: datetime | None


class NodeOut(Schema):
    id: str
    hostname: str
    role: str
    availability: str
    state: str
    engine_version: str
    address: str
    leader: bool


class ProgressOut(Schema):
    done: int
    total: int
    percent: int


class StepOut(Schema):
    at: str = Field(description="ISO 8601 time.")
    code: str = Field(description="Stable code of the step; error:CODE for an error on the way.")
    params: dict
    text: str = Field(description="The step in words, in the language of the Accept-Language header.")


class JobErrorOut(Schema):
    code: str
    message: str
    detail: str = Field(description="The engine's own words.")


class JobOut(Schema):
    id: int
    kind: str
    kind_label: str
    state: str = Field(description="queued, running, succeeded, failed, rolled_back or paused.")
    state_label: str
    finished: bool
    service_id: str
    service_name: str
    target: str = Field(description="What the job changes, by name.")
    progress: ProgressOut
    update_state: str
    steps: list[StepOut]
    error: JobErrorOut | None
    requested_by: str | None = Field(description="The user name of whoever asked for it.")
    via: str = Field(description="panel, api or hook.")
    via_name: str = Field(description="The API token's or deploy hook's name.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    url: str = Field(description="The job's page in the panel.")
    api_url: str


class ScaleIn(Schema):
    replicas: int = Field(description=f"0 to {MAX_REPLICAS}; 0 stops every task.")


class ImageIn(Schema):
    image: str = Field(max_length=255, description="An image reference, e.g. nginx:1.27 or registry:5000/app:2.")
