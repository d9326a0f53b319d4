"""The ASGI server (daphne) plus the activation announcer, as one command."""

from collections.abc import Callable

from daphne.cli import CommandLineInterface
from daphne.server import Server
from django.conf import settings
from django.core.management.base import BaseCommand

from accounts import announcer


class Command(BaseCommand):
    help = "Serve the panel over HTTP and websockets; print the activation link until activated."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, bind, port, **options):
        # On every interface (a container) our own host name means nothing to the user's browser:
        # the link names the loopback address, and the announcer adds how to set SWARMDECK_URL.
        everywhere = bind in ("0.0.0.0", "::")  # noqa: S104 - a comparison
        host = "127.0.0.1" if everywhere else bind
        announcer.start(
            settings.SWARMDECK_URL or f"http://{host}:{port}", guessed=everywhere and not settings.SWARMDECK_URL
        )
        cli = CommandLineInterface()
        cli.server_class = _Server
        cli.run(["-b", bind, "-p", str(port), "dashboard.asgi:application"])


# Paths whose query string carries a secret (the activation link's token): the access log shows them
# without it, so the one log line meant to show the token stays the only one.
SECRET_QUERY_PATHS = ("/activate/",)


class _AccessLog:
    def __init__(self, log: Callable[[str, str, dict], None]) -> None:
        self.log = log

    def __call__(self, protocol: str, action: str, details: dict) -> None:
        path = details.get("path", "")
        if path.startswith(SECRET_QUERY_PATHS) and "?" in path:
            details = {**details, "path": path.partition("?")[0] + "?…"}
        self.log(protocol, action, details)


class _Server(Server):
    def __init__(self, *args, action_logger=None, **kwargs) -> None:
        super().__init__(*args, action_logger=_AccessLog(action_logger) if action_logger else None, **kwargs)
