"""A hook call's answer, by code: the HTTP status and the words, in the caller's language."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .models import HookCall

Outcome = HookCall.Outcome

# Refusals: (status, message). A wrong signature, a stale timestamp and a replay share 401: none
# of them is a call of the hook's owner as it stands.
REFUSALS = {
    "unknown_hook": (404, _("There is no deploy hook at this URL (removed, or never made).")),
    Outcome.BAD_SIGNATURE: (
        401,
        _(
            "The signature is wrong or missing: send X-Swarmdeck-Timestamp (unix seconds) and "
            "X-Swarmdeck-Signature: sha256=<HMAC-SHA256 of “<timestamp>.<body>” with the hook's secret, in hex>."
        ),
    ),
    Outcome.STALE: (
        401,
        _("The timestamp is more than {seconds} seconds away from the panel's clock: sign the call when you send it."),
    ),
    Outcome.REPLAY: (401, _("This signed call was already accepted; a call is accepted once. Sign a new one.")),
    Outcome.DISABLED: (403, _("This deploy hook is disabled; an administrator can enable it on its page.")),
    Outcome.NOT_ALLOWED: (
        403,
        _("A deploy hook moves its service to another tag or digest of its own image only; {image} is not one."),
    ),
    Outcome.SERVICE_GONE: (404, _("The service {service} no longer exists; nothing was done.")),
    Outcome.ENGINE_ERROR: (503, _("The Docker engine cannot be reached; nothing was done. Try again later.")),
    Outcome.BAD_REQUEST: (400, _("The request is malformed: {reason}")),
}

# Why a request is malformed (HookCall.detail).
BAD_REQUEST = {
    "too_large": _("the body is larger than {limit} bytes."),
    "not_json": _("the body is not JSON."),
    "not_object": _("the body must be a JSON object: an empty one to redeploy, or one with tag, digest or image."),
    "unknown_field": _("only the fields tag, digest and image are known."),
    "not_text": _("tag, digest and image must be strings."),
    "image_and_tag": _("send image alone, or tag and/or digest, not both."),
    "bad_tag": _("the tag is not a valid Docker tag (letters, digits, “_”, “.” and “-”, at most 128)."),
    "bad_digest": _("the digest must be sha256: followed by 64 lowercase hex digits."),
    "bad_image": _("the image is not a valid image reference."),
}
