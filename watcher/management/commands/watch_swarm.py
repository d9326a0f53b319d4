"""Follow the Docker event stream, record task history and push live updates."""

import signal

from django.core.management.base import BaseCommand

from watcher.loop import SwarmWatcher


class Command(BaseCommand):
    help = "Follow Swarm events, record task and restart history, and push live updates to browsers."

    def handle(self, *args, **options):
        watcher = SwarmWatcher()
        # Signals only set a flag and close the stream; the loop then exits cleanly.
        signal.signal(signal.SIGTERM, lambda *_: watcher.stop())
        signal.signal(signal.SIGINT, lambda *_: watcher.stop())
        watcher.run()
