"""Images and registries: what a tag names in its registry, what this engine holds, pulls."""

from __future__ import annotations

from . import client
from .client import engine_errors
from .errors import EngineError, EngineUnreachable, ImageNotFound, RegistryUnreachable, TagNotFound


def image_reference_parts(reference: str) -> tuple[str, str, str]:
    """(repository, tag, digest) of an image reference; the tag defaults to latest like the CLI."""
    name, _sep, digest = reference.partition("@")
    last = name.rsplit("/", 1)[-1]
    repository, tag = name.rsplit(":", 1) if ":" in last else (name, "latest" if not digest else "")
    return repository, tag, digest


def image_remote_digest(*, image: str) -> str:
    """The digest the registry holds for a tag: the engine asks the registry (a manifest request,
    no pull, through the engine's own registry settings and credentials)."""
    try:
        with engine_errors(TagNotFound):
            raw = client.api().inspect_distribution(image)
    except (EngineUnreachable, TagNotFound):
        raise
    except EngineError as exc:
        # The engine answers both "tag gone" and "registry unreachable" with a 500: its words tell.
        text = exc.detail.lower()
        if "manifest unknown" in text or "not found" in text:
            raise TagNotFound(exc.detail) from exc
        raise RegistryUnreachable(exc.detail) from exc
    return raw["Descriptor"]["digest"]


def image_local_digests(*, image: str) -> list[str]:
    """The registry digests this engine knows for a local image (by reference or id)."""
    try:
        with engine_errors(ImageNotFound):
            raw = client.api().inspect_image(image)
    except ImageNotFound:
        return []
    return [item.partition("@")[2] for item in raw.get("RepoDigests") or []]


def image_pull(*, image: str) -> str:
    """Pull a reference; return the local image id."""
    repository, tag, digest = image_reference_parts(image)
    with engine_errors(TagNotFound):
        api = client.api()
        api.pull(repository, tag=digest or tag)
        return api.inspect_image(image)["Id"]
