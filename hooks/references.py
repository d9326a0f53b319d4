"""What a hook call asks for, read from its JSON body: a redeploy, or another tag or digest of the
service's own image. A leaked hook secret must not run an arbitrary image on the swarm, so an image
of another repository is refused (NotAllowed), whatever the body says."""

from __future__ import annotations

import json
import re

from services.forms import IMAGE_REFERENCE

# Docker's reference grammar (distribution/reference): a tag, and the digests the panel writes.
TAG = re.compile(r"^[\w][\w.-]{0,127}$", re.ASCII)
DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$")
FIELDS = frozenset({"tag", "digest", "image"})
REDEPLOY = "redeploy"


class BadRequest(ValueError):
    """A malformed body; ``code`` is a key of hooks.messages.BAD_REQUEST."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class NotAllowed(ValueError):
    def __init__(self, image: str) -> None:
        super().__init__(image)
        self.image = image


def requested(body: bytes) -> dict[str, str]:
    """The body's fields ({} to redeploy); BadRequest when it is not what a hook takes."""
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("not_json") from None
    if not isinstance(data, dict):
        raise BadRequest("not_object")
    if set(data) - FIELDS:
        raise BadRequest("unknown_field")
    if not all(isinstance(value, str) for value in data.values()):
        raise BadRequest("not_text")
    if "image" in data and ("tag" in data or "digest" in data):
        raise BadRequest("image_and_tag")
    if "tag" in data and not TAG.match(data["tag"]):
        raise BadRequest("bad_tag")
    if "digest" in data and not DIGEST.match(data["digest"]):
        raise BadRequest("bad_digest")
    if "image" in data and not IMAGE_REFERENCE.match(data["image"]):
        raise BadRequest("bad_image")
    return data


def image_target(fields: dict[str, str], current: str) -> str:
    """The image a call moves the service to from its ``current`` reference (as the spec writes
    it), or REDEPLOY; NotAllowed for an image of another repository."""
    if not fields:
        return REDEPLOY
    name = _name(current)
    if "image" in fields:
        image = fields["image"]
        if repository_canonical(image) != repository_canonical(current):
            raise NotAllowed(image)
        return image
    # A new tag drops the old digest pin: the nodes pull what the tag names now.
    image = f"{name}:{fields['tag']}" if "tag" in fields else name
    return f"{image}@{fields['digest']}" if "digest" in fields else image


def _name(reference: str) -> str:
    """The reference without its tag and digest: "registry:5000/team/app"."""
    name = reference.partition("@")[0]
    colon = name.rfind(":")
    return name[:colon] if colon > name.rfind("/") else name


def repository_canonical(reference: str) -> str:
    """The repository in Docker's full form, so "busybox" and "docker.io/library/busybox" are one."""
    name = _name(reference)
    first, slash, rest = name.partition("/")
    # Docker's rule: the first part names a registry when it looks like a host name, not a user.
    if slash and ("." in first or ":" in first or first == "localhost" or first != first.lower()):
        domain, path = first, rest
    else:
        domain, path = "docker.io", name
    if domain == "index.docker.io":
        domain = "docker.io"
    if domain == "docker.io" and "/" not in path:
        path = f"library/{path}"
    return f"{domain}/{path}"
