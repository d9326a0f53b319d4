"""Deploy hooks: making, rotating, enabling and removing them, and answering their calls.

A call is signed GitHub- and Stripe-style: ``X-Swarmdeck-Signature: sha256=<hex HMAC-SHA256 of
"<timestamp>.<raw body>" with the hook's secret>`` beside ``X-Swarmdeck-Timestamp: <unix seconds>``.
The timestamp must be within WINDOW_SECONDS of the panel's clock, and an accepted signature is
accepted once (HookCall.signature_digest is unique): a captured call cannot be replayed, neither
later nor at once through another web process. Every call of a known hook leaves one HookCall row,
accepted or refused; only an accepted one asks for a Job.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from cryptography.fernet import MultiFernet
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

import engine
import services.runners
from dashboard.sealing import fernet
from jobs.models import Job

from . import references
from .models import DeployHook, HookCall

Outcome = HookCall.Outcome
WINDOW_SECONDS = 300
MAX_BODY = 4096  # a hook's body is a tag or a digest: anything larger is not one
# Refused calls kept per hook (the newest): a flood of bad calls to a known URL cannot fill the
# database. Accepted calls are all kept, beside their jobs.
REFUSED_KEPT = 200
TIMESTAMP_HEADER = "X-Swarmdeck-Timestamp"
SIGNATURE_HEADER = "X-Swarmdeck-Signature"
SIGNATURE_PREFIX = "sha256="


def _fernet() -> MultiFernet:
    return fernet(salt="swarmdeck.hooks", purpose="deploy hook secrets")


def _secret_new() -> tuple[str, str]:
    """A new secret and its sealed form."""
    secret = secrets.token_urlsafe(32)
    return secret, _fernet().encrypt(secret.encode()).decode()


@sensitive_variables("secret")
def hook_create(*, service: engine.ServiceSummary, name: str, user) -> tuple[DeployHook, str]:
    """A new hook of the service, and its secret: the only time it is given out."""
    secret, sealed = _secret_new()
    hook = DeployHook.objects.create(
        key=secrets.token_urlsafe(18),
        name=name,
        service_id=service.id,
        service_name=service.name,
        secret_sealed=sealed,
        created_by=user,
    )
    return hook, secret


@sensitive_variables("secret")
def hook_rotate(*, hook: DeployHook) -> str:
    """A new secret for the hook; the old one stops working with this write."""
    secret, sealed = _secret_new()
    hook.secret_sealed, hook.rotated_at = sealed, timezone.now()
    hook.save(update_fields=["secret_sealed", "rotated_at"])
    return secret


def hook_enabled_set(*, hook: DeployHook, enabled: bool) -> None:
    hook.enabled = enabled
    hook.save(update_fields=["enabled"])


def hook_remove(*, hook: DeployHook) -> None:
    """The hook and its calls; the jobs it asked for keep saying so (Job.via, Job.via_name)."""
    hook.delete()


def signature_expected(*, secret: str, timestamp: str, body: bytes) -> str:
    """The header value a call signed with ``secret`` carries."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


@sensitive_variables("secret")
def _signature_valid(hook: DeployHook, timestamp: str, signature: str, body: bytes) -> bool:
    secret = _fernet().decrypt(hook.secret_sealed.encode()).decode()
    expected = signature_expected(secret=secret, timestamp=timestamp, body=body)
    return hmac.compare_digest(expected.encode(), signature.encode())


def hook_call_handle(
    *, hook: DeployHook, timestamp: str, signature: str, body: bytes | None, client: str, now: float | None = None
) -> HookCall:
    """Check a call and, when it holds, ask for its job; the call's row either way. ``body`` is
    None when it was larger than MAX_BODY (and so not read)."""
    now = time.time() if now is None else now

    def refused(outcome: str, change: str = "", detail: str = "") -> HookCall:
        call = HookCall.objects.create(hook=hook, client=client, outcome=outcome, change=change, detail=detail)
        _refused_pruned(hook)
        return call

    if body is None:
        return refused(Outcome.BAD_REQUEST, detail="too_large")
    # Checked before anything about the hook or its service is said: without the secret, every
    # answer is bad_signature.
    well_formed = timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12
    if not well_formed or not _signature_valid(hook, timestamp, signature, body):
        return refused(Outcome.BAD_SIGNATURE)
    if abs(now - int(timestamp)) > WINDOW_SECONDS:
        return refused(Outcome.STALE)
    if not hook.enabled:
        return refused(Outcome.DISABLED)
    digest = hashlib.sha256(signature.encode()).hexdigest()
    if HookCall.objects.filter(signature_digest=digest).exists():
        return refused(Outcome.REPLAY)
    try:
        fields = references.requested(body)
    except references.BadRequest as exc:
        return refused(Outcome.BAD_REQUEST, detail=exc.code)
    # The engine is read outside any transaction.
    try:
        detail = engine.service_detail(service_id=hook.service_id)
    except engine.ServiceNotFound:
        return refused(Outcome.SERVICE_GONE)
    except engine.EngineError:
        return refused(Outcome.ENGINE_ERROR)
    try:
        change = references.image_target(fields, detail.config.image)
    except references.NotAllowed as exc:
        return refused(Outcome.NOT_ALLOWED, change=exc.image[:300])
    try:
        with transaction.atomic():
            # First the row that claims the signature: a copy of this call racing in another
            # process fails here, before asking for any job.
            call = HookCall.objects.create(
                hook=hook, client=client, outcome=Outcome.ACCEPTED, change=change[:300], signature_digest=digest
            )
            call.job = _job_request(hook, detail, change)
            call.save(update_fields=["job"])
    except IntegrityError:
        return refused(Outcome.REPLAY)
    return call


def _job_request(hook: DeployHook, detail: engine.ServiceDetail, change: str) -> Job:
    # No user: the hook was allowed by the admin who made it; the job says it came through the hook.
    via = {"via": Job.Via.HOOK, "via_name": hook.name}
    if change == references.REDEPLOY:
        return services.runners.job_redeploy_request(detail=detail, **via)
    return services.runners.job_image_request(service=detail.summary, image=change, **via)


def _refused_pruned(hook: DeployHook) -> None:
    refused = HookCall.objects.filter(hook=hook).exclude(outcome=Outcome.ACCEPTED)
    oldest_kept = refused.order_by("-id").values_list("id", flat=True)[REFUSED_KEPT - 1 : REFUSED_KEPT]
    if oldest_kept:
        refused.filter(id__lt=oldest_kept[0]).delete()
