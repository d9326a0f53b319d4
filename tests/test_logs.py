"""Live logs without a real engine: the ANSI parts, the pump between a (fake) engine reader and a
socket (bounded buffer, batches, acks, engine errors), the log websocket's access and limits, the page
and the range download. The real stack's runs are in tests/test_logs_stack.py."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

import engine
from dashboard import retention
from dashboard.asgi import application
from logs import queries, registry, streams
from logs.ansi import ansi_parts, ansi_strip
from logs.models import LogStream
from logs.streams import LogPump

from .conftest import ws_headers
from .fake_engine import WEB
from .fixtures_fake import WEB_ID

AT = datetime(2026, 11, 26, 15, 51, 4, 801447, tzinfo=UTC)


class FakeReader:
    """A LogReader's behaviour: its lines, then an error or (followed) silence until closed."""

    def __init__(self, lines=(), *, error: Exception | None = None, follow: bool = True) -> None:
        self._lines, self.error, self.follow = list(lines), error, follow
        self.closed = threading.Event()

    def lines(self):
        for line in self._lines:
            if self.closed.is_set():
                return
            if isinstance(line, threading.Event):  # the test lets the stream go on when it is ready
                line.wait(10)
                continue
            yield line
        if self.error is not None:
            raise self.error
        if self.follow:
            self.closed.wait(30)  # a followed stream: silent until closed

    def close(self) -> None:
        self.closed.set()


def log_line(text: str, task_id: str = "", node_id: str = "", stream: str = "stdout") -> engine.LogLine:
    return engine.LogLine(at=AT, stream=stream, text=text, task_id=task_id, node_id=node_id)


class Readers:
    """What engine.service_logs/task_logs hand out, in turn (a FakeReader, or an error to raise at
    opening; a silent FakeReader once none is left), and the arguments of every call."""

    def __init__(self) -> None:
        self.queue: list[FakeReader | Exception] = []
        self.opened: list[dict] = []

    def append(self, item: FakeReader | Exception) -> None:
        self.queue.append(item)

    def open(self, **kwargs) -> FakeReader:
        self.opened.append(kwargs)
        item = self.queue.pop(0) if self.queue else FakeReader()
        if isinstance(item, Exception):
            raise item
        return item


@pytest.fixture
def readers(monkeypatch) -> Readers:
    fake = Readers()
    monkeypatch.setattr(engine, "service_logs", fake.open)
    monkeypatch.setattr(engine, "task_logs", fake.open)
    return fake


class Socket:
    """What a pump sends and how it closes the socket, for a test to read."""

    def __init__(self) -> None:
        self.messages: asyncio.Queue = asyncio.Queue()
        self.closed: int | None = None

    async def send(self, message: dict) -> None:
        await self.messages.put(message)

    async def close(self, code: int) -> None:
        self.closed = code

    async def next(self, timeout: float = 5) -> dict:
        return await asyncio.wait_for(self.messages.get(), timeout)

    async def nothing(self, timeout: float = 0.3) -> bool:
        try:
            await asyncio.wait_for(self.messages.get(), timeout)
        except TimeoutError:
            return True
        return False


def pump_run(test, *, kind="service", target_id=WEB_ID, tail=200, since=None):
    """Run ``test(pump, socket)`` on an event loop with a started pump; the pump is stopped after."""

    async def run():
        socket = Socket()
        pump = LogPump(
            kind=kind,
            target_id=target_id,
            tail=tail,
            since=since,
            language="en",
            send=socket.send,
            close=socket.close,
        )
        pump.start()
        try:
            return await test(pump, socket)
        finally:
            pump.stop()

    return async_to_sync(run)()


def web_task(fake) -> tuple[str, str]:
    """A rec-web task (id, node id) that Swarm holds, and its name."""
    task = next(task for task in engine.task_list(service_id=WEB_ID) if task.slot == 1)
    return task.id, task.node_id


# --- ANSI escapes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("plain", [["", "plain"]]),
        ("", []),
        ("<b>bold?</b> <script>alert(1)</script>", [["", "<b>bold?</b> <script>alert(1)</script>"]]),
        ("\x1b[31mred\x1b[0m then plain", [["ansi-fg-1", "red"], ["", " then plain"]]),
        ("\x1b[1;32mgreen and bold\x1b[0m", [["ansi-fg-2 ansi-bold", "green and bold"]]),
        ("\x1b[91;44mbright on blue\x1b[39;49m.", [["ansi-fg-9 ansi-bg-4", "bright on blue"], ["", "."]]),
        ("\x1b[3;4mit\x1b[23mu\x1b[m", [["ansi-italic ansi-underline", "it"], ["ansi-underline", "u"]]),
        ("\x1b[38;5;12mblue\x1b[38;5;200m256\x1b[38;2;1;2;3mrgb", [["ansi-fg-12", "blue"], ["", "256rgb"]]),
        # Cursor movement, erasing, titles and other controls go; the text stays whole, tab included.
        ("a\x1b[2Kb\x1b[3Ac\x1b[10;20Hd\x1b[?25le", [["", "abcde"]]),
        ("\x1b]0;a title\x07after \x1b(Bcharset", [["", "after charset"]]),
        ("bell\x07 back\x08 cr\r nul\x00 tab\t del\x7f c1\x9b", [["", "bell back cr nul tab\t del c1"]]),
        ("\x1b[31m<b>\x1b[0m", [["ansi-fg-1", "<b>"]]),
    ],
)
def test_ansi_parts_keep_text_as_text_and_sgr_as_classes(text, parts):
    assert ansi_parts(text) == parts


def test_ansi_strip_leaves_the_text_alone():
    assert ansi_strip("\x1b[1;31mfail\x1b[0m: <b>x</b>\r") == "fail: <b>x</b>"


# --- the range a reader asks for -----------------------------------------------------------------


def test_times_are_iso_or_a_time_ago():
    assert queries.time_parse("") is None
    assert queries.time_parse("2026-11-26T15:00:00Z") == datetime(2026, 11, 26, 15, tzinfo=UTC)
    assert queries.time_parse("2026-11-26") == datetime(2026, 11, 26, tzinfo=UTC)  # TIME_ZONE is UTC
    assert abs(queries.time_parse("15m") - (timezone.now() - timedelta(minutes=15))) < timedelta(seconds=5)
    assert abs(queries.time_parse("2d") - (timezone.now() - timedelta(days=2))) < timedelta(seconds=5)
    for bad in ("yesterday", "2026-13-01", "15x", "-5m", "999999d", "<script>"):
        with pytest.raises(queries.QueryError):
            queries.time_parse(bad)


def test_a_socket_takes_up_to_5000_lines_and_a_download_all():
    assert queries.tail_parse("", allow_all=False) == 200
    assert queries.tail_parse("5000", allow_all=False) == 5000
    assert queries.tail_parse("all", allow_all=True) is None
    assert queries.tail_parse("100000", allow_all=True) == 100000
    for bad in ("all", "5001", "-1", "1e3", "²"):
        with pytest.raises(queries.QueryError):
            queries.tail_parse(bad, allow_all=False)


# --- the pump ------------------------------------------------------------------------------------


def test_lines_arrive_named_with_parts_and_sequence(fake_engine, readers):
    task_id, node_id = web_task(fake_engine)
    readers.append(FakeReader([log_line("\x1b[31mhello\x1b[0m", task_id, node_id), log_line("two", task_id, node_id)]))

    async def test(pump, socket):
        return await socket.next()

    batch = pump_run(test)

    assert batch["kind"] == "lines" and batch["seq"] == 1 and batch["dropped"] == 0
    first = batch["lines"][0]
    assert first == {
        "at": "2026-11-26T15:51:04.801447Z",
        "stream": "stdout",
        "task": "rec-web.1",
        "task_id": task_id,
        "node": fake_engine._nodes[0]["Description"]["Hostname"],
        "parts": [["ansi-fg-1", "hello"]],
    }
    assert readers.opened == [{"service_id": WEB_ID, "follow": True, "tail": 200, "since": None}]


def test_a_task_nobody_knew_is_looked_up_again(fake_engine, readers):
    """After a rolling update the new task's lines come in the same stream: its name is read anew."""
    task_id, node_id = web_task(fake_engine)
    new = dict(fake_engine._tasks[0], ID="newtask0000000000000000001", Slot=1)
    updated = threading.Event()
    readers.append(
        FakeReader([log_line("old", task_id, node_id), updated, log_line("new", "newtask0000000000000000001")])
    )

    async def test(pump, socket):
        [old] = (await socket.next())["lines"]
        pump.names._refreshed_at = 0  # the refresh at the start is long ago
        fake_engine._tasks.append(new)  # the update started a task after the stream was opened
        updated.set()
        [fresh] = (await socket.next())["lines"]
        return old, fresh

    old, fresh = pump_run(test)

    assert old["task"] == fresh["task"] == "rec-web.1"
    assert fresh["task_id"] == "newtask0000000000000000001"


def test_an_unknown_task_gets_its_short_id_and_the_engine_is_not_asked_per_line(fake_engine, readers):
    readers.append(FakeReader([log_line(f"l{n}", "gone0000000000000000000001") for n in range(300)]))

    async def test(pump, socket):
        await socket.next()
        await asyncio.sleep(0.2)
        return pump

    pump = pump_run(test)

    assert pump.names.task("gone0000000000000000000001") == "gone00000000"
    assert sum(1 for name, _ in fake_engine.calls if name == "tasks") <= 2


def test_a_page_that_does_not_ack_gets_two_batches_and_the_oldest_lines_are_dropped_and_counted(fake_engine, readers):
    flood = 5000
    readers.append(FakeReader([log_line(f"line {n}") for n in range(flood)]))

    async def test(pump, socket):
        sent = [await socket.next(), await socket.next()]
        while pump.read < flood:
            await asyncio.sleep(0.05)
        assert await socket.nothing(0.4)  # two batches wait for their acks: nothing more is sent
        buffered = len(pump._buffer)
        pump.ack(2)
        after = [await socket.next(), await socket.next()]
        return sent, buffered, after, pump.dropped

    sent, buffered, after, dropped = pump_run(test)

    assert [batch["seq"] for batch in sent + after] == [1, 2, 3, 4]
    assert buffered <= streams.BUFFER_LINES
    shown = sum(len(batch["lines"]) for batch in sent)
    assert dropped == flood - shown - buffered > 0
    assert after[0]["dropped"] == dropped
    assert all(len(batch["lines"]) <= streams.BATCH_LINES for batch in sent + after)
    # The newest lines are the ones kept: the batches after the drop start where the buffer starts.
    assert after[0]["lines"][0]["parts"] == [["", f"line {flood - buffered}"]]


def test_batches_are_at_most_500_lines_and_100_ms_apart(fake_engine, readers):
    readers.append(FakeReader([log_line(f"line {n}") for n in range(1800)]))

    async def test(pump, socket):
        loop = asyncio.get_running_loop()
        batches = []
        while sum(len(batch["lines"]) for _at, batch in batches) < 1800:
            batch = await socket.next()
            batches.append((loop.time(), batch))
            pump.ack(batch["seq"])
        return batches

    batches = pump_run(test)

    assert all(len(batch["lines"]) <= 500 for _at, batch in batches)
    gaps = [later - earlier for (earlier, _), (later, _) in zip(batches, batches[1:], strict=False)]
    assert min(gaps) >= streams.BATCH_SECONDS * 0.9
    texts = [line["parts"][0][1] for _at, batch in batches for line in batch["lines"]]
    assert texts == [f"line {n}" for n in range(1800)]  # none lost, none twice, in order


def test_an_unreachable_engine_is_told_and_the_stream_goes_on_from_the_last_line(fake_engine, readers, monkeypatch):
    monkeypatch.setattr(streams, "BACKOFF_SECONDS", (0,))
    readers.append(FakeReader([log_line("before")], error=engine.EngineUnreachable("connection refused")))
    readers.append(FakeReader([log_line("after")]))

    async def test(pump, socket):
        return [await socket.next() for _ in range(4)]

    before, unreachable, resumed, after = pump_run(test)

    assert before["lines"][0]["parts"] == [["", "before"]]
    assert unreachable["kind"] == "notice" and unreachable["code"] == "unreachable"
    assert "cannot be reached" in unreachable["text"] and "Trying again in 0 seconds." in unreachable["text"]
    assert resumed["kind"] == "notice" and resumed["code"] == "resumed"
    assert after["lines"][0]["parts"] == [["", "after"]]
    # Opened again from the last line's time, not with the tail again.
    assert readers.opened[1] == {"service_id": WEB_ID, "follow": True, "tail": None, "since": AT}


def test_a_service_that_is_gone_ends_the_stream_with_4404(fake_engine, readers):
    async def test(pump, socket):
        message = await socket.next()
        await asyncio.sleep(0.05)
        return message, socket.closed

    message, closed = pump_run(test, target_id="nosuchservice")

    assert message["kind"] == "end" and message["code"] == "not_found"
    assert message["text"] == "The service does not exist (any more)."
    assert closed == 4404
    assert readers.opened == []


def test_a_service_removed_while_streaming_ends_the_stream_at_the_next_check(fake_engine, readers):
    readers.append(FakeReader([log_line("one")]))

    async def test(pump, socket):
        await socket.next()
        fake_engine.remove_service(WEB_ID)
        pump.poke()  # the watcher's hint; without it the regular check comes within CHECK_SECONDS
        message = await socket.next()
        await asyncio.sleep(0.05)
        return message, socket.closed, pump

    message, closed, pump = pump_run(test)

    assert (message["kind"], message["code"], closed) == ("end", "not_found", 4404)
    pump.thread.join(2)
    assert not pump.thread.is_alive()
    assert readers.opened and pump._reader.closed.is_set()  # the engine's stream is closed too


def test_an_ended_tasks_lines_are_read_without_following_and_the_page_is_told(fake_engine, readers):
    ended = next(task for task in engine.task_list() if task.state in engine.TERMINAL_TASK_STATES)
    readers.append(FakeReader([log_line("last words", ended.id)], follow=False))

    async def test(pump, socket):
        return [await socket.next(), await socket.next()], socket.closed

    (lines, notice), closed = pump_run(test, kind="task", target_id=ended.id)

    assert lines["lines"][0]["parts"] == [["", "last words"]]
    assert (notice["kind"], notice["code"]) == ("notice", "ended")
    assert notice["text"] == "The task has ended: these are all its lines."
    assert closed is None  # the page keeps what it shows
    assert readers.opened[0]["follow"] is False and readers.opened[0]["task_id"] == ended.id


def test_a_task_that_ends_while_followed_is_told_once_its_stream_is_quiet(fake_engine, readers, monkeypatch):
    monkeypatch.setattr(streams, "QUIET_SECONDS", 0.2)
    task_id, node_id = web_task(fake_engine)
    readers.append(FakeReader([log_line("running", task_id)]))

    async def test(pump, socket):
        await socket.next()
        raw = next(task for task in fake_engine._tasks if task["ID"] == task_id)
        raw["Status"]["State"] = "shutdown"
        pump.poke()
        return await socket.next(timeout=5), pump

    notice, pump = pump_run(test, kind="task", target_id=task_id)

    assert notice["code"] == "ended"
    assert pump._reader.closed.is_set()


def test_closing_the_socket_closes_the_reader_and_ends_the_thread(fake_engine, readers):
    readers.append(FakeReader([log_line("one")]))

    async def test(pump, socket):
        await socket.next()
        return pump

    pump = pump_run(test)  # stops the pump on the way out
    pump.thread.join(2)

    assert not pump.thread.is_alive()
    assert pump._reader.closed.is_set()


def test_the_buffer_is_bounded_in_characters_too(fake_engine, readers):
    long = "x" * 16 * 1024
    readers.append(FakeReader([log_line(long) for _ in range(1000)]))

    async def test(pump, socket):
        await socket.next()
        await socket.next()
        while pump.read < 1000:
            await asyncio.sleep(0.05)
        return pump

    pump = pump_run(test)

    assert pump._buffered_chars <= streams.BUFFER_CHARS
    assert len(pump._buffer) < streams.BUFFER_LINES
    assert pump.dropped > 0


# --- the websocket -------------------------------------------------------------------------------


def _ws(headers, path: str, script):
    async def run():
        communicator = WebsocketCommunicator(application, path, headers=headers)
        connected, code = await communicator.connect()
        try:
            return await script(communicator, connected, code)
        finally:
            await communicator.disconnect()

    return async_to_sync(run)()


async def _refused(communicator, connected, code):
    return connected


async def _first_and_close(communicator, connected, code):
    assert connected
    message = await communicator.receive_json_from(timeout=5)
    closed = await communicator.receive_output(timeout=5)
    return message, closed.get("code")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", [f"/ws/logs/services/{WEB_ID}/", "/ws/logs/tasks/sometask/"])
def test_log_sockets_refuse_strangers_and_foreign_origins(memory_channel_layer, panel_client, path):
    assert _ws(ws_headers(), path, _refused) is False
    assert _ws(ws_headers(panel_client, origin="http://evil.test"), path, _refused) is False
    assert not LogStream.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_log_socket_streams_takes_acks_and_leaves_no_row_behind(
    memory_channel_layer, panel_client, fake_engine, readers
):
    readers.append(FakeReader([log_line("hello")]))

    async def script(communicator, connected, code):
        assert connected
        batch = await communicator.receive_json_from(timeout=5)
        await communicator.send_json_to({"ack": batch["seq"]})
        await communicator.send_to(text_data="not json")  # ignored, the socket stays
        assert await communicator.receive_nothing(0.2)
        return batch, await LogStream.objects.acount()

    batch, rows = _ws(ws_headers(panel_client), f"/ws/logs/services/{WEB_ID}/?tail=10&since=15m", script)

    assert batch["lines"][0]["parts"] == [["", "hello"]]
    assert rows == 1
    assert readers.opened[0]["tail"] == 10
    assert abs(readers.opened[0]["since"] - (timezone.now() - timedelta(minutes=15))) < timedelta(seconds=10)
    assert not LogStream.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_logging_out_closes_the_log_socket_and_its_engine_stream(
    memory_channel_layer, panel_client, fake_engine, readers
):
    reader = FakeReader([log_line("hello")])
    readers.append(reader)

    async def script(communicator, connected, code):
        from asgiref.sync import sync_to_async

        assert connected
        await communicator.receive_json_from(timeout=5)
        await sync_to_async(panel_client.post)(reverse("logout"))
        return await communicator.receive_output(timeout=5)  # then the browser's close: a disconnect

    closed = _ws(ws_headers(panel_client), f"/ws/logs/services/{WEB_ID}/", script)

    assert closed == {"type": "websocket.close", "code": 4401}
    assert reader.closed.wait(2)
    assert not LogStream.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_log_socket_with_a_bad_range_says_why_and_streams_nothing(memory_channel_layer, panel_client, readers):
    message, code = _ws(ws_headers(panel_client), f"/ws/logs/services/{WEB_ID}/?tail=all", _first_and_close)

    assert (message["kind"], message["code"], code) == ("end", "bad_query", 1000)
    assert message["text"]
    assert readers.opened == []
    assert not LogStream.objects.exists()


@pytest.mark.parametrize(
    ("query", "headers", "language"),
    [
        ({"lang": ["es"]}, {}, "es"),
        ({}, {"cookies": {"django_language": "zh-hans"}}, "zh-hans"),
        ({}, {"headers": [(b"accept-language", b"fr;q=0.9, es-MX;q=0.8")]}, "es"),
        ({"lang": ["xx"]}, {"headers": [(b"accept-language", b"*")]}, "en"),
    ],
)
def test_a_log_socket_speaks_the_language_of_its_page(query, headers, language):
    from logs.consumers import _language

    assert _language(headers, query) == language


@pytest.mark.django_db(transaction=True)
def test_a_user_has_at_most_the_configured_open_streams(
    memory_channel_layer, panel_client, fake_engine, readers, settings
):
    settings.SWARMDECK_LOG_STREAMS_PER_USER = 1
    headers = ws_headers(panel_client)
    path = f"/ws/logs/services/{WEB_ID}/"

    async def script(first, connected, code):
        assert connected
        second = WebsocketCommunicator(application, path, headers=headers)
        assert (await second.connect())[0]
        message = await second.receive_json_from(timeout=5)
        closed = await second.receive_output(timeout=5)
        await second.disconnect()
        return message, closed["code"], await LogStream.objects.acount()

    message, code, rows = _ws(headers, path, script)

    assert (message["kind"], message["code"], code) == ("end", "too_many", 4429)
    assert "1 for one user, 40 in all" in message["text"]
    assert rows == 1  # the refused one left no row


@pytest.mark.django_db(transaction=True)
def test_the_panel_has_at_most_the_configured_open_streams_and_dead_rows_do_not_count(
    memory_channel_layer, panel_client, fake_engine, readers, settings
):
    settings.SWARMDECK_LOG_STREAMS = 2
    other = get_user_model().objects.create_user("other")
    LogStream.objects.create(
        channel_name="elsewhere", user=other, kind="service", target_id="x", seen_at=timezone.now()
    )
    # A process that died a while ago: its row no longer counts.
    LogStream.objects.create(
        channel_name="dead", user=other, kind="service", target_id="x", seen_at=timezone.now() - timedelta(minutes=5)
    )
    headers = ws_headers(panel_client)
    path = f"/ws/logs/services/{WEB_ID}/"

    async def script(first, connected, code):
        assert connected
        assert await first.receive_nothing(0.1)  # not refused: the dead row is not counted
        second = WebsocketCommunicator(application, path, headers=headers)
        await second.connect()
        message = await second.receive_json_from(timeout=5)
        closed = await second.receive_output(timeout=5)
        await second.disconnect()
        return message, closed["code"]

    message, code = _ws(headers, path, script)

    assert (message["code"], code) == ("too_many", 4429)
    assert registry.log_stream_count() == 1  # "elsewhere"; this test's own socket is closed
    assert retention.retention_run()["log streams"] == 1  # the dead one
    assert set(LogStream.objects.values_list("channel_name", flat=True)) == {"elsewhere"}


# --- the pages -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_service_log_page_names_the_service_and_its_socket(panel_client, fake_engine):
    response = panel_client.get(reverse("logs:service", args=[WEB_ID]), {"tail": "50", "since": "2h"})

    assert response.status_code == 200
    context = response.context
    assert context["target"] == {
        "kind": "service",
        "id": WEB_ID,
        "name": WEB,
        "service_id": WEB_ID,
        "service_name": WEB,
    }
    assert context["ws_url"] == f"/ws/logs/services/{WEB_ID}/"
    assert context["download_url"] == f"/logs/services/{WEB_ID}/download"
    assert (context["tail"], context["since"], context["limits"]) == (50, "2h", {"tail_max": 5000})
    assert context["error"] == ""


@pytest.mark.django_db
def test_the_task_log_page_names_the_task_as_the_cli_does(panel_client, fake_engine):
    task_id, _node = web_task(fake_engine)

    response = panel_client.get(reverse("logs:task", args=[task_id[:12]]))

    assert response.status_code == 200
    assert response.context["target"]["name"] == "rec-web.1"
    assert response.context["target"]["id"] == task_id
    assert response.context["ws_url"] == f"/ws/logs/tasks/{task_id}/"


@pytest.mark.django_db
def test_a_log_page_of_a_removed_service_says_so_and_opens_no_socket(panel_client, fake_engine):
    response = panel_client.get(reverse("logs:service", args=["gone"]), {"tail": "abc"})

    assert response.status_code == 200
    assert response.context["error"] == "The service does not exist (any more)."
    assert response.context["tail"] == 200 and response.context["query_error"]
    assert "/ws/logs/" not in response.content.decode()


@pytest.mark.django_db
def test_a_log_page_of_a_task_nobody_knows_says_so(panel_client, fake_engine):
    response = panel_client.get(reverse("logs:task", args=["nosuchtask"]))

    assert response.status_code == 200
    assert response.context["error"] == "The task does not exist (any more)."
    assert response.context["target"]["service_id"] == ""  # no service to link to


@pytest.mark.django_db
def test_a_log_page_of_a_forgotten_task_keeps_what_the_history_knows(panel_client, fake_engine):
    from history.models import Task

    Task.objects.create(
        task_id="forgotten0000000000000001", service_id=WEB_ID, service_name=WEB, slot=2, state="shutdown",
        created_at=timezone.now(), state_at=timezone.now(),
    )  # fmt: skip

    response = panel_client.get(reverse("logs:task", args=["forgotten0000000000000001"]))

    assert response.status_code == 200
    assert response.context["error"] == "The task does not exist (any more)."
    assert response.context["target"]["name"] == "rec-web.2"
    assert response.context["target"]["service_id"] == WEB_ID


def test_log_pages_need_a_login(client, admin_login):
    response = client.get(reverse("logs:service", args=[WEB_ID]))

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- the download --------------------------------------------------------------------------------


async def _body(response) -> str:
    """A download as the ASGI server sends it: its async iterator, chunk by chunk."""
    return b"".join([chunk async for chunk in response.streaming_content]).decode()


@pytest.mark.django_db
def test_a_range_download_streams_the_lines_as_text(panel_client, fake_engine, readers):
    task_id, node_id = web_task(fake_engine)
    reader = FakeReader(
        [log_line("\x1b[32mok\x1b[0m <b>", task_id, node_id), log_line("oops", task_id, node_id, "stderr")],
        follow=False,
    )
    readers.append(reader)

    response = panel_client.get(
        reverse("logs:service_download", args=[WEB_ID]), {"since": "2026-11-26T15:00:00Z", "until": "", "tail": "all"}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"].startswith(f'attachment; filename="{WEB}-')
    assert response["Content-Disposition"].endswith('Z.log"')
    body = async_to_sync(_body)(response)
    assert body == (
        "2026-11-26T15:51:04.801447Z rec-web.1 stdout ok <b>\n2026-11-26T15:51:04.801447Z rec-web.1 stderr oops\n"
    )
    assert readers.opened == [
        {
            "service_id": WEB_ID,
            "follow": False,
            "tail": None,
            "since": datetime(2026, 11, 26, 15, tzinfo=UTC),
            "until": None,
        }
    ]
    assert reader.closed.is_set()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [{"since": "yesterday"}, {"until": "2026-13-01"}, {"tail": "-3"}, {"since": "1h", "until": "2h"}],
)
def test_a_bad_range_is_refused_with_its_reason_and_asks_the_engine_nothing(panel_client, fake_engine, readers, query):
    fake_engine.calls.clear()

    response = panel_client.get(reverse("logs:service_download", args=[WEB_ID]), query)

    assert response.status_code == 400
    assert response.content.decode().strip()
    assert readers.opened == [] and fake_engine.calls == []


@pytest.mark.django_db
def test_a_download_of_a_removed_task_is_a_404_with_words(panel_client, fake_engine, readers):
    response = panel_client.get(reverse("logs:task_download", args=["nosuchtask"]))

    assert response.status_code == 404
    assert response.content.decode() == "The task does not exist (any more)."


# --- the overview --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_overview_counts_the_open_log_streams(panel_client, fake_engine):
    user = get_user_model().objects.get()
    for n in range(3):
        LogStream.objects.create(channel_name=f"c{n}", user=user, kind="service", target_id="x", seen_at=timezone.now())
    LogStream.objects.create(
        channel_name="dead", user=user, kind="service", target_id="x", seen_at=timezone.now() - timedelta(minutes=2)
    )

    response = panel_client.get(reverse("overview"))

    assert response.context["overview"].log_streams == 3
    assert 'id="log-streams-tile"' in response.content.decode()


def test_the_pump_thread_is_its_own_and_not_an_executors(fake_engine, readers, db):
    readers.append(FakeReader([log_line("x")]))

    async def test(pump, socket):
        await socket.next()
        return pump.thread.name

    assert pump_run(test).startswith("logs-service-")
