"""What Swarmdeck follows: the panel's own service(s) or container, and the services that opted in
with the label ``swarmdeck.autoupdate=true``; and whether each can be updated here, and why not."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import engine

from .models import UpdateTarget

AUTOUPDATE_LABEL = "swarmdeck.autoupdate"
PANEL_KEY = "panel"


@dataclass(frozen=True)
class Candidate:
    key: str
    kind: str
    name: str
    object_id: str = ""
    image: str = ""  # repository:tag, the reference whose registry digest is compared
    local_digests: tuple[str, ...] = ()  # what runs now, as registry digests
    service_ids: tuple[str, ...] = ()  # services that move together (a stack's panel services)
    unsupported: str = ""  # a code of updates.messages.REASONS when it cannot be updated here
    params: dict = field(default_factory=dict, compare=False)

    @property
    def running_digest(self) -> str:
        return self.local_digests[0] if self.local_digests else ""


def _tagged(reference: str) -> tuple[str, str]:
    """(repository:tag, pinned digest) of a reference; ("", digest) when only a digest names it."""
    repository, tag, digest = engine.image_reference_parts(reference)
    return (f"{repository}:{tag}" if tag else ""), digest


def _service_candidate(service: engine.ServiceSummary, *, key: str, kind: str, service_ids: tuple[str, ...]):
    reference = f"{service.image}@{service.image_digest}" if service.image_digest else service.image
    image, digest = _tagged(reference)
    if not image:
        return Candidate(key, kind, service.name, service.id, reference, unsupported="pinned_digest")
    # A spec that names only a tag (created through the API, not the CLI) does not say which
    # digest its tasks run: unknown, so the first check pins it to the tag's current digest.
    local = (digest,) if digest else ()
    return Candidate(key, kind, service.name, service.id, image, local, service_ids)


def panel_candidate() -> Candidate:
    """The panel itself: a Swarm service (or a stack's services), a plain container, or neither."""
    try:
        me = engine.container_self()
    except engine.NotInContainer:
        return Candidate(PANEL_KEY, UpdateTarget.Kind.PANEL_CONTAINER, "swarmdeck", unsupported="not_in_container")
    except engine.EngineUnreachable:
        return Candidate(PANEL_KEY, UpdateTarget.Kind.PANEL_CONTAINER, "swarmdeck", unsupported="no_engine")
    if me.service_id:
        try:
            identity = engine.node_identity()
        except engine.EngineError:
            identity = None
        if identity is None or not identity.is_manager:
            return Candidate(PANEL_KEY, UpdateTarget.Kind.PANEL_SERVICE, me.name, unsupported="worker_node")
        own = engine.service_get(service_id=me.service_id)
        services = [own]
        if me.stack:
            # Every service of the stack that runs the panel's image moves with it; ours last, because
            # its replacement stops the worker that runs this job (a new one resumes it).
            repository = engine.image_reference_parts(own.image)[0]
            services = [
                s for s in engine.services_labelled(label=f"com.docker.stack.namespace={me.stack}") if s.id != own.id
            ]
            services = [s for s in services if engine.image_reference_parts(s.image)[0] == repository]
            services.append(own)
        ids = tuple(s.id for s in services)
        name = me.stack or own.name
        candidate = _service_candidate(own, key=PANEL_KEY, kind=UpdateTarget.Kind.PANEL_SERVICE, service_ids=ids)
        return replace(candidate, name=name)
    kind = UpdateTarget.Kind.PANEL_CONTAINER
    image, _digest = _tagged(me.image)
    if not image:
        return Candidate(PANEL_KEY, kind, me.name, me.id, me.image, unsupported="pinned_digest")
    local = tuple(engine.image_local_digests(image=me.image_id))
    return Candidate(PANEL_KEY, kind, me.name, me.id, image, local, params={"container_id": me.id})


def labelled_candidates(*, exclude: set[str]) -> list[Candidate]:
    services = engine.services_labelled(label=f"{AUTOUPDATE_LABEL}=true")
    return [
        _service_candidate(s, key=f"service:{s.id}", kind=UpdateTarget.Kind.SERVICE, service_ids=(s.id,))
        for s in services
        if s.id not in exclude
    ]


def candidates_discover() -> list[Candidate]:
    panel = panel_candidate()
    return [panel, *labelled_candidates(exclude=set(panel.service_ids))]
