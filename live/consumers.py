"""Websockets: the browser joins named groups and gets compact hints to re-read the page."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from . import push

# An application close code (4000-4999): static/js/live.js reloads the page instead of
# reconnecting, which takes a logged-out browser to the login page.
CLOSE_UNAUTHENTICATED = 4401


class _GroupConsumer(AsyncJsonWebsocketConsumer):
    def group_names(self) -> list[str]:
        raise NotImplementedError

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.joined = [*self.group_names(), push.user_group(user.pk)]
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def user_logged_out(self, event: push.UserLoggedOut) -> None:
        await self.close(code=CLOSE_UNAUTHENTICATED)


class ServicesConsumer(_GroupConsumer):
    def group_names(self) -> list[str]:
        return [push.SERVICES_GROUP]

    async def service_changed(self, event: push.ServiceChanged) -> None:
        await self.send_json({"kind": "service", "id": event["service_id"], "action": event["action"]})


class ServiceConsumer(ServicesConsumer):
    """One service's page: hints for that service only."""

    def group_names(self) -> list[str]:
        return [push.service_group(self.scope["url_route"]["kwargs"]["service_id"])]


class JobsConsumer(_GroupConsumer):
    """The lists of jobs (the Jobs and Updates pages): hints for every job."""

    def group_names(self) -> list[str]:
        return [push.JOBS_GROUP]

    async def job_changed(self, event: push.JobChanged) -> None:
        await self.send_json({"kind": "job", "id": event["job_id"], "state": event["state"]})


class JobConsumer(JobsConsumer):
    """One job's page: hints for that job only."""

    def group_names(self) -> list[str]:
        return [push.job_group(self.scope["url_route"]["kwargs"]["job_id"])]
