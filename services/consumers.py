"""Websockets: the browser joins named groups and gets compact hints to re-read the page."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from . import live


class _GroupConsumer(AsyncJsonWebsocketConsumer):
    def group_names(self) -> list[str]:
        raise NotImplementedError

    async def connect(self) -> None:
        self.joined = self.group_names()
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)


class ServicesConsumer(_GroupConsumer):
    def group_names(self) -> list[str]:
        return [live.SERVICES_GROUP]

    async def service_changed(self, event: live.ServiceChanged) -> None:
        await self.send_json({"kind": "service", "id": event["service_id"], "action": event["action"]})


class JobConsumer(_GroupConsumer):
    def group_names(self) -> list[str]:
        return [live.job_group(self.scope["url_route"]["kwargs"]["job_id"])]

    async def job_changed(self, event: live.JobChanged) -> None:
        await self.send_json({"kind": "job", "id": event["job_id"], "state": event["state"]})
