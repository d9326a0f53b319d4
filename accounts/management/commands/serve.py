"""The ASGI server (daphne) plus the activation announcer, as one command."""

from daphne.cli import CommandLineInterface
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
        CommandLineInterface().run(["-b", bind, "-p", str(port), "dashboard.asgi:application"])
