"""Why a followed image cannot be updated here, by code: stored as codes, shown in the reader's language."""

from django.utils.translation import gettext_lazy as _

REASONS = {
    "not_in_container": _(
        "Swarmdeck runs outside a container here (make run): update it with git pull, then restart it."
    ),
    "no_engine": _("The Docker engine cannot be reached: mount the Docker socket into the container."),
    "worker_node": _("This panel runs on a worker node, which cannot update Swarm services: place it on a manager."),
    "pinned_digest": _("The image is pinned to a digest, not a tag: there is nothing newer to follow."),
}
