"""The API's own error codes and their words, in the caller's language (Accept-Language).

Engine errors keep their codes and words from jobs.messages.ERRORS; these are the API's refusals.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from jobs.messages import render

ERRORS = {
    "token_missing": _("This call needs an API token: send the header “Authorization: Bearer <token>”."),
    "token_invalid": _("The API token is not valid."),
    "token_expired": _("The API token has expired; make a new one on the API tokens page."),
    "token_revoked": _("The API token was revoked."),
    "user_inactive": _("The API token's user is deactivated."),
    "not_activated": _("Swarmdeck is not activated yet."),
    "forbidden": _("This token's role ({role}) cannot do this; it takes the role {needed}."),
    "rate_limited": _("Too many calls with this token: at most {limit} a minute. Try again in {seconds} seconds."),
    "invalid": _("The request is not valid; “errors” says what is wrong."),
    "not_found": _("The service does not exist (any more)."),
    "job_not_found": _("The job does not exist (any more)."),
    "image_unchanged": _("The service already runs this image; nothing was requested. A redeploy replaces its tasks."),
    "no_route": _("There is no such API endpoint."),
    "method_not_allowed": _("This endpoint does not take this HTTP method."),
    "server_error": _("Unexpected error in Swarmdeck; its log says more."),
}


def api_message(code: str, params: dict | None = None) -> str:
    return render(ERRORS, code, params)
