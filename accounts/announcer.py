"""Print the activation link to the server's log until the panel is activated.

Under ``make run`` and in the all-in-one container the supervisor (dashboard/supervisor.py,
``ANNOUNCEMENT``) holds these lines back and shows them last, framed, once everything is up: keep
their wording in step (tests/test_supervisor.py checks it)."""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections, connection
from django.utils import timezone

from .activation import is_activated, setup_token_issue

logger = logging.getLogger("swarmdeck.activation")
CHECK_INTERVAL = 5.0


def announce_until_activated(
    base_url: str, stop: threading.Event, interval: float = CHECK_INTERVAL, *, guessed: bool = False
) -> None:
    """Issue a token at start and a fresh one whenever the last expires; stop once activated.

    ``guessed``: the server listens on every interface and nobody said how users reach it (a
    container without SWARMDECK_URL), so the log also says how to open the link elsewhere."""
    try:
        _announce(base_url, stop, interval, guessed)
    finally:
        connection.close()  # this thread's own connection


def _announce(base_url: str, stop: threading.Event, interval: float, guessed: bool) -> None:
    expires_at = None
    while not stop.is_set():
        close_old_connections()
        try:
            if is_activated():
                return
            if expires_at is None or timezone.now() >= expires_at:
                token, expires_at = setup_token_issue()
                logger.warning(
                    "Activate Swarmdeck at %s/activate/?token=%s (valid until %s UTC)",
                    base_url.rstrip("/"),
                    token,
                    expires_at.strftime("%H:%M"),
                )
                if guessed:
                    # The token is printed once, in the link: this line names no secret.
                    logger.warning(
                        "SWARMDECK_URL is not set: if you reach this server at another address, open the "
                        "link above with that address instead, and set SWARMDECK_URL=http://<that address>:<port> "
                        "so the link names it and the panel accepts that address."
                    )
        except Exception:
            logger.exception("could not issue a setup token; retrying")
        stop.wait(interval)


def start(base_url: str, *, guessed: bool = False) -> threading.Event:
    stop = threading.Event()
    threading.Thread(
        target=announce_until_activated,
        args=(base_url, stop),
        kwargs={"guessed": guessed},
        name="activation",
        daemon=True,
    ).start()
    return stop
