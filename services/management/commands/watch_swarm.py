"""Follow the Docker event stream and publish service changes to the Channels groups."""

import logging
import signal
import threading

from django.core.management.base import BaseCommand

from services import live, swarm

logger = logging.getLogger("swarmdeck.watcher")

MAX_BACKOFF = 30.0


class Command(BaseCommand):
    help = "Follow Swarm events and push live updates to the browsers."

    def handle(self, *args, **options):
        self.stopping = threading.Event()
        self.stream: swarm.EventStream | None = None
        signal.signal(signal.SIGTERM, self.on_signal)
        signal.signal(signal.SIGINT, self.on_signal)
        since: float | None = None
        backoff = 1.0
        while not self.stopping.is_set():
            try:
                since = self.follow(since)
                backoff = 1.0
                self.stopping.wait(1.0)  # the engine closed the stream: do not spin
            except swarm.SwarmError as exc:
                if self.stopping.is_set():
                    break
                logger.warning("%s (%s); reconnecting in %.0fs", exc.message, exc.detail, backoff)
                self.stopping.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
        logger.info("watcher stopped")

    def follow(self, since: float | None) -> float | None:
        """Read events until the stream ends; return the time of the last one seen."""
        swarm.engine_info()
        self.stream = swarm.event_stream(since=since)
        logger.info("following Swarm events%s", f" since {since:.3f}" if since else "")
        # We may have missed changes while disconnected: tell every page to re-read.
        live.publish_service_changed(service_id="", action="resync")
        for event in self.stream:
            if self.stopping.is_set():
                break
            since = event.get("timeNano", 0) / 1e9 or since
            change = live.service_change_from_event(event)
            if change:
                live.publish_service_changed(service_id=change["service_id"], action=change["action"])
        return since

    def on_signal(self, signum, frame):
        self.stopping.set()
        if self.stream is not None:
            self.stream.close()
