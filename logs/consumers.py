"""The log websockets: /ws/logs/services/<id>/ and /ws/logs/tasks/<id>/ (see logs.streams).

Access as every live socket (live.consumers.GroupConsumer: logged in, closed with the session).
Each open stream holds a row in logs.registry, so SWARMDECK_LOG_STREAMS_PER_USER and
SWARMDECK_LOG_STREAMS hold across web processes. The socket never calls the engine itself.
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header

from live import push
from live.consumers import GroupConsumer

from . import queries, registry
from .streams import CLOSE_NORMAL, LogPump
from .targets import Target

CLOSE_TOO_MANY = 4429


def _language(scope: dict, query: dict[str, list[str]]) -> str:
    """The page's language: its ``?lang=`` as the services list's socket has it, else what Django's
    LocaleMiddleware would pick for the page (the language cookie, then Accept-Language)."""
    headers = dict(scope.get("headers", []))
    wanted = [
        query.get("lang", [""])[0],
        scope.get("cookies", {}).get(settings.LANGUAGE_COOKIE_NAME, ""),
        *(code for code, _quality in parse_accept_lang_header(headers.get(b"accept-language", b"").decode("latin-1"))),
    ]
    for code in wanted:
        with contextlib.suppress(LookupError):
            if code and code != "*":
                return translation.get_supported_language_variant(code)
    return settings.LANGUAGE_CODE


class LogConsumer(GroupConsumer):
    """One service's or one task's log lines; the page acknowledges each batch (``{"ack": seq}``)."""

    pump: LogPump | None = None
    stream_id: int | None = None

    def group_names(self) -> list[str]:
        return []  # the service's hints are joined once the target is known (a task names its service)

    async def connected(self) -> None:
        kwargs = self.scope["url_route"]["kwargs"]
        self.kind = "service" if "service_id" in kwargs else "task"
        target_id = kwargs.get("service_id") or kwargs.get("task_id", "")
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        self.language = _language(self.scope, query)
        with translation.override(self.language):
            try:
                tail = queries.tail_parse(query.get("tail", [""])[0], allow_all=False)
                since = queries.time_parse(query.get("since", [""])[0])
            except queries.QueryError as exc:
                await self._end("bad_query", str(exc), CLOSE_NORMAL)
                return
        stream = await database_sync_to_async(registry.log_stream_open)(
            channel_name=self.channel_name, user=self.scope["user"], kind=self.kind, target_id=target_id
        )
        if stream is None:
            with translation.override(self.language):
                text = _(
                    "Too many log streams are open ({per_user} for one user, {total} in all): "
                    "close another page of logs, then reload this one."
                ).format(per_user=settings.SWARMDECK_LOG_STREAMS_PER_USER, total=settings.SWARMDECK_LOG_STREAMS)
            await self._end("too_many", text, CLOSE_TOO_MANY)
            return
        self.stream_id = stream.id
        self.heartbeat = asyncio.create_task(self._heartbeat())
        self.pump = LogPump(
            kind=self.kind,
            target_id=target_id,
            tail=tail,
            since=since,
            language=self.language,
            send=self.send_json,
            close=self.close,
            on_target=self._join_service,
        )
        self.pump.start()

    async def disconnect(self, code: int) -> None:
        if self.pump is not None:
            self.pump.stop()
        if self.stream_id is not None:
            self.heartbeat.cancel()
            await database_sync_to_async(registry.log_stream_close)(stream_id=self.stream_id)
        await super().disconnect(code)

    @classmethod
    async def decode_json(cls, text_data: str) -> object:
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None  # not JSON: not an ack either

    async def receive_json(self, content: object, **kwargs) -> None:
        if self.pump is not None and isinstance(content, dict) and "ack" in content:
            self.pump.ack(content["ack"])

    async def _end(self, code: str, text: str, close_code: int) -> None:
        await self.send_json({"kind": "end", "code": code, "text": text})
        await self.close(code=close_code)

    async def _heartbeat(self) -> None:
        """Keep the stream counted: a row without heartbeat is a dead process's (logs.registry)."""
        while True:
            await asyncio.sleep(registry.HEARTBEAT_SECONDS)
            await database_sync_to_async(registry.log_stream_seen)(stream_id=self.stream_id)

    async def _join_service(self, target: Target) -> None:
        """The watcher's hints on the service make the pump look at once (a removed service, an ended
        task) instead of at its next regular check."""
        group = push.service_group(target.service_id)
        self.joined.append(group)
        await self.channel_layer.group_add(group, self.channel_name)

    async def service_changed(self, event: push.ServiceChanged) -> None:
        self.pump.poke()

    async def job_changed(self, event: push.JobChanged) -> None:
        self.pump.poke()  # a job on the service (a removal among them)
