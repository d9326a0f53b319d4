"""The JSON API, version 1 (/api/v1/): the read side and the operator's job requests, for scripts.

Every call shows a personal token (``Authorization: Bearer sd_...``, api.tokens) and counts towards
its rate limit (api.ratelimit). Reads take any role; job requests take an operator's, by the lower
of the token's and its user's current role. A job request answers 202 at once with the Job and its
URLs: poll GET /jobs/{id} until ``finished``. Every error is JSON, {"code", "message"} (api.errors).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from ninja import NinjaAPI, Query, Schema, Status
from ninja.openapi.docs import Swagger
from ninja.security import HttpBearer

import engine
from accounts.access import panel_activated
from accounts.lockout import client_address
from accounts.roles import Role, role_allows
from history.labels import Health, label
from history.models import Task
from jobs.messages import job_error_text, step_text
from jobs.models import Job
from services import runners, selectors, specs
from services.forms import IMAGE_REFERENCE, ScaleForm

from . import errors
from .errors import ApiError
from .ratelimit import rate_limit_check
from .schemas import (
    ImageIn,
    JobOut,
    NodeOut,
    RestartOut,
    ScaleIn,
    ServiceDetailOut,
    ServiceOut,
    TaskOut,
)
from .tokens import TokenRefused, token_authenticate, token_role, token_used


class TokenAuth(HttpBearer):
    """The panel must be activated, the token usable (api.tokens) and within its rate limit."""

    def __call__(self, request: HttpRequest):
        if not panel_activated():
            raise ApiError(503, "not_activated")
        scheme, _space, raw = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise TokenRefused("token_missing")
        return self.authenticate(request, raw.strip())

    def authenticate(self, request: HttpRequest, token: str):
        api_token = token_authenticate(raw=token)
        token_used(token=api_token, address=client_address(request))
        rate_limit_check(token_id=api_token.id)
        return api_token


api = NinjaAPI(
    title="Swarmdeck API",
    version="1",
    description=(
        "Read a Docker Swarm's services, tasks, restart history, nodes and jobs, and ask for jobs "
        "(scale, update the image, redeploy, roll back). Authenticate with a personal token made on "
        "the panel's API tokens page: `Authorization: Bearer <token>`. Errors are JSON "
        '`{"code": ..., "message": ...}`; messages follow the Accept-Language header.'
    ),
    urls_namespace="api:v1",
    auth=TokenAuth(),
    # The bundled Swagger UI, which asks no foreign server (validatorUrl: none) and keeps no token.
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False}),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.handlers_install(api)

READ_ERRORS = errors.documented(401, 429, 503)
SERVICE_ERRORS = errors.documented(401, 404, 429, 502, 503)
JOB_REQUEST_ERRORS = errors.documented(400, 401, 403, 404, 409, 422, 429, 502, 503)


# --- access ------------------------------------------------------------------------------------


def _require(request: HttpRequest, needed: Role) -> None:
    role = token_role(request.auth)
    if not role_allows(role, needed):
        raise ApiError(403, "forbidden", {"role": Role(role).label if role else "-", "needed": needed.label})


def _url(request: HttpRequest, name: str, *args) -> str:
    return request.build_absolute_uri(reverse(name, args=args))


# --- services ----------------------------------------------------------------------------------


def _service_out(request: HttpRequest, row: selectors.ServiceRow) -> dict:
    service = row.service
    return {
        "id": service.id,
        "name": service.name,
        "image": service.image,
        "image_digest": service.image_digest,
        "mode": service.mode,
        "replicas_desired": service.tasks_desired,
        "replicas_running": service.tasks_running,
        "stack": service.stack,
        "update_state": service.update_state,
        "health": {str(health): row.health.get(str(health), 0) for health in Health},
        "restarts_24h": row.restarts,
        "restarts_1h": row.restarts_last_hour,
        "updated_at": service.updated_at,
        "url": _url(request, "services:detail", service.id),
        "api_url": _url(request, "api:v1:service", service.id),
    }


class ServiceFilter(Schema):
    q: str = ""


@api.get(
    "/services",
    response={200: list[ServiceOut], **SERVICE_ERRORS},
    url_name="services",
    summary="List the services",
    description="Every service, by name. q filters as the services page does: a name's part, a label "
    "key or key=value, or stack:NAME.",
    tags=["services"],
)
def service_list(request: HttpRequest, filters: Query[ServiceFilter]):
    rows = selectors.service_rows(query=filters.q[:200])
    return [_service_out(request, row) for row in rows]


def _service(ref: str) -> engine.ServiceSummary:
    """The service a path names, in Docker's order: a full id, then a name, then an id's start.
    (A script knows its services by name; the panel's own URLs carry ids.)"""
    try:
        by_id = engine.service_get(service_id=ref)
    except engine.ServiceNotFound:
        by_id = None
    if by_id is not None and by_id.id == ref:
        return by_id
    by_name = engine.service_find(name=ref)
    if by_name is not None:
        return by_name
    if by_id is None:
        raise engine.ServiceNotFound(ref)
    return by_id


def _detail(ref: str) -> engine.ServiceDetail:
    return engine.service_detail(service_id=_service(ref).id)


@api.get(
    "/services/{service_id}",
    response={200: ServiceDetailOut, **SERVICE_ERRORS},
    url_name="service",
    summary="One service",
    description="By id, name or the start of an id (as docker service inspect finds it), as every "
    "/services/{service_id} path.",
    tags=["services"],
)
def service_get(request: HttpRequest, service_id: str):
    detail = _detail(service_id)
    rows = selectors.service_rows(ids=[detail.summary.id])
    row = rows[0] if rows else selectors.ServiceRow(detail.summary)
    previous = detail.previous_config
    return {
        **_service_out(request, row),
        "version": detail.summary.version,
        "created_at": detail.summary.created_at,
        "labels": detail.summary.labels,
        "update_message": detail.update_status.message if detail.update_status else "",
        "can_roll_back": detail.can_roll_back,
        "previous_image": previous.image if previous else None,
    }


@api.get(
    "/services/{service_id}/tasks",
    response={200: list[TaskOut], **SERVICE_ERRORS},
    url_name="service_tasks",
    summary="A service's tasks",
    description="The tasks Swarm still holds (at most five per slot), by slot; the restart history "
    "keeps the older ones.",
    tags=["services"],
)
def service_tasks(request: HttpRequest, service_id: str):
    detail = _detail(service_id)
    tasks = engine.task_list(service_id=detail.summary.id)
    nodes = {node.id: node.hostname for node in engine.node_list()}
    health = dict(Task.objects.filter(task_id__in=[task.id for task in tasks]).values_list("task_id", "health"))
    ordered = sorted(tasks, key=lambda t: (t.slot or 0, t.node_id, -t.created_at.timestamp()))
    return [
        {
            "id": task.id,
            "name": engine.task_display_name(detail.summary.name, slot=task.slot, node_id=task.node_id),
            "slot": task.slot,
            "node_id": task.node_id,
            "node": nodes.get(task.node_id, task.node_id[:12]),
            "state": task.state,
            "desired_state": task.desired_state,
            "message": task.message,
            "error": task.error,
            "exit_code": task.exit_code,
            "image": task.image,
            "health": health.get(task.id, "") if task.state == "running" else "",
            "created_at": task.created_at,
            "state_at": task.state_at,
        }
        for task in ordered
    ]


class HistoryFilter(Schema):
    limit: int = 100


@api.get(
    "/services/{service_id}/history",
    response={200: list[RestartOut], **SERVICE_ERRORS},
    url_name="service_history",
    summary="A service's restarts",
    description="The restarts the panel's history holds (tasks that ended by exiting, as unhealthy, "
    "with their node, or replaced by an update), newest first; limit: 1 to 1000.",
    tags=["services"],
)
def service_history(request: HttpRequest, service_id: str, filters: Query[HistoryFilter]):
    detail = _detail(service_id)
    limit = min(max(filters.limit, 1), 1000)
    restarts = Task.objects.filter(service_id=detail.summary.id, end_cause__in=selectors.RESTART_CAUSES)
    return [
        {
            "task_id": task.task_id,
            "name": task.name,
            "slot": task.slot,
            "node_id": task.node_id,
            "image": task.image,
            "exit_code": task.exit_code,
            "error": task.error,
            "health": task.health,
            "cause": task.end_cause,
            "cause_label": label(Task.EndCause, task.end_cause),
            "created_at": task.created_at,
            "ended_at": task.ended_at,
        }
        for task in restarts.order_by("-ended_at")[:limit]
    ]


# --- nodes -------------------------------------------------------------------------------------


@api.get(
    "/nodes",
    response={200: list[NodeOut], **errors.documented(401, 429, 502, 503)},
    url_name="nodes",
    summary="List the nodes",
    description="Managers first, then by host name.",
    tags=["nodes"],
)
def node_list(request: HttpRequest):
    return [
        {
            "id": node.id,
            "hostname": node.hostname,
            "role": node.role,
            "availability": node.availability,
            "state": node.state,
            "engine_version": node.engine_version,
            "address": node.address,
            "leader": node.leader,
        }
        for node in engine.node_list()
    ]


# --- jobs --------------------------------------------------------------------------------------


def _steps(job: Job) -> Iterable[dict]:
    for step in job.steps:
        yield {"at": step["at"], "code": step["code"], "params": step.get("params") or {}, "text": step_text(step)}


def _job_out(request: HttpRequest, job: Job) -> dict:
    error = None
    if job.error_code:
        error = {"code": job.error_code, "message": job_error_text(job), "detail": job.error}
    return {
        "id": job.id,
        "kind": job.kind,
        "kind_label": label(Job.Kind, job.kind),
        "state": job.state,
        "state_label": label(Job.State, job.state),
        "finished": job.finished,
        "service_id": job.service_id,
        "service_name": job.service_name,
        "target": job.target_label,
        "progress": {"done": job.progress_done, "total": job.progress_total, "percent": job.percent},
        "update_state": job.update_state,
        "steps": list(_steps(job)),
        "error": error,
        "requested_by": job.requested_by.get_username() if job.requested_by else None,
        "via": job.via,
        "via_name": job.via_name,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "url": _url(request, "jobs:detail", job.id),
        "api_url": _url(request, "api:v1:job", job.id),
    }


class JobFilter(Schema):
    state: str = ""
    kind: str = ""
    service: str = ""
    limit: int = 50


@api.get(
    "/jobs",
    response={200: list[JobOut], **READ_ERRORS},
    url_name="jobs",
    summary="List the jobs",
    description="Newest first. state and kind take the codes JobOut shows; service matches a part of "
    "the service's (or target's) name, or its id; limit: 1 to 200.",
    tags=["jobs"],
)
def job_list(request: HttpRequest, filters: Query[JobFilter]):
    jobs = Job.objects.select_related("requested_by")
    if filters.state:
        jobs = jobs.filter(state=filters.state)
    if filters.kind:
        jobs = jobs.filter(kind=filters.kind)
    if filters.service:
        name = filters.service[:255]
        jobs = jobs.filter(Q(service_name__icontains=name) | Q(target_name__icontains=name) | Q(service_id=name))
    limit = min(max(filters.limit, 1), 200)
    return [_job_out(request, job) for job in jobs[:limit]]


@api.get(
    "/jobs/{job_id}",
    response={200: JobOut, **errors.documented(401, 404, 429, 503)},
    url_name="job",
    summary="One job",
    description="Poll it after a job request until finished is true; state then says how it ended.",
    tags=["jobs"],
)
def job_get(request: HttpRequest, job_id: int):
    job = Job.objects.select_related("requested_by").filter(id=job_id).first()
    if job is None:
        raise ApiError(404, "job_not_found")
    return _job_out(request, job)


# --- job requests (operator) -------------------------------------------------------------------


def _via(request: HttpRequest) -> dict:
    return {"user": request.auth.user, "via": Job.Via.API, "via_name": request.auth.name}


def _accepted(request: HttpRequest, job: Job) -> Status:
    # Re-read: outside a transaction the job was handed to the queue already, which may have failed it.
    job.refresh_from_db()
    return Status(202, _job_out(request, job))


@api.post(
    "/services/{service_id}/scale",
    response={202: JobOut, **JOB_REQUEST_ERRORS},
    url_name="service_scale",
    summary="Scale a service",
    description="A replicated service only (409 not_scalable otherwise). 0 stops every task, without "
    "the question the panel asks.",
    tags=["job requests"],
)
def service_scale(request: HttpRequest, service_id: str, body: ScaleIn):
    _require(request, Role.OPERATOR)
    form = ScaleForm({"replicas": body.replicas})
    if not form.is_valid():
        raise ApiError.invalid(form.errors, prefix="body")
    service = _service(service_id)
    if service.mode != "replicated":
        raise errors.engine_refusal(engine.NotScalable())
    job = runners.job_scale_request(service=service, replicas=form.cleaned_data["replicas"], **_via(request))
    return _accepted(request, job)


@api.post(
    "/services/{service_id}/image",
    response={202: JobOut, **JOB_REQUEST_ERRORS},
    url_name="service_image",
    summary="Update a service's image",
    description="Changes the image only, as the edit form does when only the image changed; the "
    "service's update settings govern the rollout. The image it already runs: 409 image_unchanged "
    "(a redeploy replaces the tasks).",
    tags=["job requests"],
)
def service_image(request: HttpRequest, service_id: str, body: ImageIn):
    _require(request, Role.OPERATOR)
    image = body.image.strip()
    if not IMAGE_REFERENCE.match(image):
        raise ApiError.invalid({"image": [errors.invalid_image(image)]}, prefix="body")
    detail = _detail(service_id)
    if image == specs.form_values(detail.config)["image"]:
        raise ApiError(409, "image_unchanged")
    job = runners.job_image_request(service=detail.summary, image=image, **_via(request))
    return _accepted(request, job)


@api.post(
    "/services/{service_id}/redeploy",
    response={202: JobOut, **JOB_REQUEST_ERRORS},
    url_name="service_redeploy",
    summary="Redeploy a service",
    description="Replaces every task (a forced update), pulling the image's tag again.",
    tags=["job requests"],
)
def service_redeploy(request: HttpRequest, service_id: str):
    _require(request, Role.OPERATOR)
    detail = _detail(service_id)
    job = runners.job_redeploy_request(detail=detail, **_via(request))
    return _accepted(request, job)


@api.post(
    "/services/{service_id}/rollback",
    response={202: JobOut, **JOB_REQUEST_ERRORS},
    url_name="service_rollback",
    summary="Roll a service back",
    description="To its previous spec, which Swarm keeps one of (409 no_previous without).",
    tags=["job requests"],
)
def service_rollback(request: HttpRequest, service_id: str):
    _require(request, Role.OPERATOR)
    detail = _detail(service_id)
    if not detail.can_roll_back:
        raise errors.engine_refusal(engine.NoPreviousSpec())
    job = runners.job_rollback_request(service=detail.summary, **_via(request))
    return _accepted(request, job)
