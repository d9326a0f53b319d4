"""Websockets: the browser joins named groups and gets hints to re-read, or HTML rendered once for all."""

import asyncio
import contextlib
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.utils import timezone

from accounts import sessions
from accounts.roles import Role, role_allows, role_of

from . import push

# An application close code (4000-4999): static/js/live.js reloads the page instead of
# reconnecting, which takes a logged-out browser to the login page.
CLOSE_UNAUTHENTICATED = 4401
# The user's role does not allow the page: reloading shows the page's own 403.
CLOSE_FORBIDDEN = 4403


class GroupConsumer(AsyncJsonWebsocketConsumer):
    """A logged-in user's socket, in its groups and its session's: closed when the session ends."""

    # The role a socket takes (accounts/roles.py), checked when it connects: every page with a
    # socket today is one a viewer reads.
    role_needed = Role.VIEWER

    def group_names(self) -> list[str]:
        raise NotImplementedError

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if not role_allows(await database_sync_to_async(role_of)(user), self.role_needed):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        session_key = self.scope["session"].session_key
        self.joined = [*self.group_names(), push.session_group(session_key)]
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        self.session_watch = asyncio.create_task(self.close_when_session_expires(session_key))
        await self.connected()

    async def connected(self) -> None:
        """After the accept: what a socket starts beyond its groups (logs.consumers, a log stream)."""

    async def disconnect(self, code: int) -> None:
        if watch := getattr(self, "session_watch", None):
            watch.cancel()
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def session_ended(self, event: push.SessionEnded) -> None:
        """Logged out, or ended by a password change in another session."""
        await self.close(code=CLOSE_UNAUTHENTICATED)

    async def close_when_session_expires(self, session_key: str) -> None:
        """An open page's socket must not outlive its session (idle or too old): wake at the expiry
        the session has now, and look again, since the user's own requests keep pushing it back."""
        with contextlib.suppress(asyncio.CancelledError):
            while (expires := await database_sync_to_async(sessions.session_expiry)(session_key)) is not None:
                await asyncio.sleep((expires - timezone.now()).total_seconds() + 1)
            await self.close(code=CLOSE_UNAUTHENTICATED)


class SwarmConsumer(GroupConsumer):
    """The overview and the nodes page: a hint for every change in the swarm."""

    def group_names(self) -> list[str]:
        return [push.SWARM_GROUP]

    async def service_changed(self, event: push.ServiceChanged) -> None:
        await self.send_json(
            {"kind": "service", "id": event["service_id"], "action": event["action"], "version": event["version"]}
        )


class ServiceListConsumer(SwarmConsumer):
    """The services list: its changed rows in the page's language (``?lang=``), pushed as they are
    (htmx swaps them out of band), or a hint to re-read when services came or went."""

    def group_names(self) -> list[str]:
        query = parse_qs(self.scope.get("query_string", b"").decode())
        language = query.get("lang", [""])[0]
        self.language = language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        return [push.SERVICE_LIST_GROUP]

    async def service_rows(self, event: push.ServiceRows) -> None:
        html = event["html"].get(self.language)
        if html is not None:
            # hx-ws swaps "content" with "swap": none, the rows' own hx-swap-oob morphing each into place.
            await self.send_json({"content": html, "swap": "none"})


class ServiceConsumer(SwarmConsumer):
    """One service's page: hints for that service only."""

    def group_names(self) -> list[str]:
        return [push.service_group(self.scope["url_route"]["kwargs"]["service_id"])]


class JobsConsumer(GroupConsumer):
    """The lists of jobs (the Jobs and Updates pages): hints for every job."""

    def group_names(self) -> list[str]:
        return [push.JOBS_GROUP]

    async def job_changed(self, event: push.JobChanged) -> None:
        await self.send_json(
            {"kind": "job", "id": event["job_id"], "state": event["state"], "version": event["version"]}
        )


class JobConsumer(JobsConsumer):
    """One job's page: hints for that job only."""

    def group_names(self) -> list[str]:
        return [push.job_group(self.scope["url_route"]["kwargs"]["job_id"])]
