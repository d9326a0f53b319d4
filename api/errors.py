"""Every refusal of the API as JSON: {"code", "message"} (plus "detail", the engine's words, and
"errors", the invalid values), with the HTTP status the code implies.

Messages are worded when the answer is made, in the language LocaleMiddleware took from the
request's Accept-Language header.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError

import engine
from accounts.roles import Role
from jobs.messages import ERRORS as JOB_ERRORS
from jobs.messages import error_text

from .messages import ERRORS, api_message
from .ratelimit import RateLimited
from .schemas import ErrorOut
from .tokens import TokenRefused, token_role

logger = logging.getLogger(__name__)

# The engine's refusals of a request that could not apply to the service as it is now.
ENGINE_CONFLICTS = frozenset({"not_scalable", "no_previous", "conflict"})
ENGINE_NOT_FOUND = frozenset({"not_found", "task_not_found", "node_not_found"})


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        params: dict | None = None,
        *,
        detail: str = "",
        errors: list[dict] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(code)
        self.status, self.code, self.params = status, code, params or {}
        self.detail, self.errors, self.headers = detail, errors or [], headers or {}

    @classmethod
    def invalid(cls, field_errors: dict, *, prefix: str) -> ApiError:
        """422 from a Django form's errors (or the same shape: field -> messages)."""
        errors = [
            {"loc": [prefix, field], "message": str(message)}
            for field, messages in field_errors.items()
            for message in messages
        ]
        return cls(422, "invalid", errors=errors)

    def message(self) -> str:
        if self.code in ERRORS:
            return api_message(self.code, self.params)
        return error_text(self).message if self.code in JOB_ERRORS else self.code


def engine_refusal(exc: engine.EngineError) -> ApiError:
    """The engine's error as the API answers it: gone 404, a refusal 409, the engine failing 502."""
    status = 404 if exc.code in ENGINE_NOT_FOUND else 409 if exc.code in ENGINE_CONFLICTS else 502
    return ApiError(status, exc.code, detail=error_text(exc).detail)


def invalid_image(image: str) -> str:
    # The words of the service form's own check (services.forms.ServiceForm.clean_image).
    return _("“{image}” is not a valid image reference.").format(image=image)


def documented(*statuses: int) -> dict[int, type[ErrorOut]]:
    """The error answers an operation documents in the OpenAPI schema, all of them ErrorOut."""
    return dict.fromkeys(statuses, ErrorOut)


CHALLENGE = 'Bearer realm="swarmdeck"'


def _as_api_error(request: HttpRequest, exc: Exception) -> ApiError:
    match exc:
        case ApiError():
            return exc
        case TokenRefused():
            challenge = CHALLENGE if exc.code == "token_missing" else f'{CHALLENGE}, error="invalid_token"'
            return ApiError(401, exc.code, headers={"WWW-Authenticate": challenge})
        case RateLimited():
            params = {"limit": exc.limit, "seconds": exc.retry_after}
            return ApiError(429, "rate_limited", params, headers={"Retry-After": str(exc.retry_after)})
        case engine.EngineError():
            return engine_refusal(exc)
        case PermissionDenied():
            # jobs.requests.job_request's last word: the kind takes a role above the user's.
            needed = Role(str(exc)).label if str(exc) in Role.values else "-"
            role = token_role(request.auth) if getattr(request, "auth", None) else None
            return ApiError(403, "forbidden", {"role": Role(role).label if role else "-", "needed": needed})
        case ValidationError():
            errors = [
                {
                    "loc": [str(part) if not isinstance(part, int) else part for part in error.get("loc", ())],
                    "message": error.get("msg", ""),
                }
                for error in exc.errors
            ]
            return ApiError(422, "invalid", errors=errors)
        case HttpError() if exc.status_code == 401:
            return ApiError(401, "token_missing", headers={"WWW-Authenticate": CHALLENGE})
        case HttpError() if 400 <= exc.status_code < 500:
            # A body that is not JSON, for one: ninja's own words, in English.
            return ApiError(exc.status_code, "invalid", errors=[{"loc": ["body"], "message": exc.message}])
        case Http404():
            return ApiError(404, "no_route")
    logger.exception("API call %s %s failed", request.method, request.path, exc_info=exc)
    return ApiError(500, "server_error")


def error_response(api: NinjaAPI, request: HttpRequest, error: ApiError) -> HttpResponse:
    body = {"code": error.code, "message": error.message(), "detail": error.detail, "errors": error.errors}
    response = api.create_response(request, body, status=error.status)
    for name, value in error.headers.items():
        response[name] = value
    return response


def handlers_install(api: NinjaAPI) -> None:
    """One handler for every exception an operation (or its authentication) may raise."""

    def handle(request: HttpRequest, exc: Exception) -> HttpResponse:
        return error_response(api, request, _as_api_error(request, exc))

    api.add_exception_handler(Exception, handle)
    # ninja looks a handler up by the exception's class first: its own defaults would answer these.
    for exc_class in (HttpError, ValidationError, Http404):
        api.add_exception_handler(exc_class, handle)
