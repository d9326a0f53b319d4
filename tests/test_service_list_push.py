"""The services list's changed rows are rendered once, for every language, and pushed to each
viewer in the language of its page; what the rows cannot say makes the lists re-read."""

import time

import pytest
import requests
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

import engine
from dashboard.asgi import application
from live import push
from services import pushes

from .conftest import ws_headers
from .fixtures_fake import CRASH, WEB, WEB_ID

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def published(monkeypatch) -> list[tuple[str, dict]]:
    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr(push, "publish", lambda group, message: sent.append((group, message)) or True)
    return sent


def test_changed_rows_are_rendered_once_per_language_with_nothing_of_a_viewer(fake_engine, published):
    fake_engine.spec_change(WEB, lambda spec: spec["Labels"].update({"note": '<script>alert("x")</script>'}))
    crash_id = fake_engine.service_id(CRASH)

    assert pushes.service_rows_publish(service_ids={WEB_ID, crash_id})

    [(group, message)] = published
    assert group == push.SERVICE_LIST_GROUP
    assert message["type"] == "service.rows"
    assert set(message["html"]) == {"en", "es", "zh-hans"}
    for html in message["html"].values():
        # One row per changed service, each morphing its own row of the page.
        assert html.count("<tr ") == 2
        assert f"hx-swap-oob=\"outerMorph:tr[data-service-id='{WEB_ID}']\"" in html
        assert f"hx-swap-oob=\"outerMorph:tr[data-service-id='{crash_id}']\"" in html
        # Escaped as strictly as the page, and nothing that belongs to one viewer.
        assert "<script>" not in html and "&lt;script&gt;" in html
        assert "csrf" not in html.lower()
    # rec-web has 1 of 2 tasks running: its row says so, and the words are each language's own.
    assert 'class="replicas short">1/2<' in message["html"]["en"]
    assert ">Scale<" in message["html"]["en"]
    assert ">Escalar<" in message["html"]["es"]
    assert ">扩缩<" in message["html"]["zh-hans"]


def test_rows_are_read_with_one_services_call_and_one_tasks_call_for_the_changed_services(fake_engine, published):
    crash_id = fake_engine.service_id(CRASH)
    fake_engine.calls.clear()

    pushes.service_rows_publish(service_ids={WEB_ID, crash_id})

    calls = [name for name, _ in fake_engine.calls]
    assert calls == ["services", "tasks"]
    # Only the changed services are asked for, not the whole swarm.
    assert sorted(fake_engine.calls[0][1]["filters"]["id"]) == sorted([WEB_ID, crash_id])
    assert sorted(fake_engine.calls[1][1]["filters"]["service"]) == sorted([WEB_ID, crash_id])


@pytest.mark.parametrize(
    ("service_ids", "reshaped"),
    [
        ({WEB_ID}, True),  # a service was created or removed: the list's set of rows changed
        ({""}, False),  # the whole swarm (a reconnect, a node)
        ({f"svc{n}" for n in range(pushes.MAX_PUSHED_ROWS + 1)}, False),  # more than a push should hold
    ],
)
def test_what_rows_cannot_say_makes_the_lists_re_read(fake_engine, published, service_ids, reshaped):
    assert pushes.service_rows_publish(service_ids=service_ids, reshaped=reshaped)

    [(group, message)] = published
    assert group == push.SERVICE_LIST_GROUP
    assert message["version"] > 0
    assert message == {"type": "service.changed", "service_id": "", "action": "reshaped", "version": message["version"]}


def test_a_removed_services_row_is_deleted_from_the_pages(fake_engine, published):
    gone = "gone0000000000000000000000"

    assert pushes.service_rows_publish(service_ids={WEB_ID, gone})

    [(_group, message)] = published
    for html in message["html"].values():
        assert f"<tr hx-swap-oob=\"delete:tr[data-service-id='{gone}']\"></tr>" in html
        assert f"hx-swap-oob=\"outerMorph:tr[data-service-id='{WEB_ID}']\"" in html


def test_an_engine_failure_makes_the_lists_re_read_to_show_it(fake_engine, published):
    fake_engine.fail("tasks", requests.exceptions.ConnectionError("connection refused"))

    assert pushes.service_rows_publish(service_ids={WEB_ID})

    assert published[0][1]["type"] == "service.changed"


async def _messages_after(publish, path: str, headers, count: int = 1) -> list:
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    await publish()
    messages = [await communicator.receive_json_from(timeout=3) for _ in range(count)]
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()
    return messages


@pytest.mark.parametrize(
    ("query", "language"), [("?lang=es", "es"), ("?lang=zh-hans", "zh-hans"), ("", "en"), ("?lang=xx", "en")]
)
def test_each_socket_sends_the_rows_of_its_pages_language(memory_channel_layer, panel_client, query, language):
    html = {"en": "<tr>en</tr>", "es": "<tr>es</tr>", "zh-hans": "<tr>zh</tr>"}

    async def publish():
        await get_channel_layer().group_send(push.SERVICE_LIST_GROUP, {"type": "service.rows", "html": html})

    messages = async_to_sync(_messages_after)(publish, f"/ws/services/{query}", ws_headers(panel_client))

    assert messages == [{"content": html[language], "swap": "none"}]


def test_a_re_read_hint_reaches_the_services_list_and_row_pushes_do_not_reach_the_other_pages(
    memory_channel_layer, panel_client
):
    async def publish():
        layer = get_channel_layer()
        await layer.group_send(push.SERVICE_LIST_GROUP, {"type": "service.rows", "html": {"en": "<tr></tr>"}})
        await layer.group_send(
            push.SERVICE_LIST_GROUP, {"type": "service.changed", "service_id": "", "action": "reshaped", "version": 3}
        )

    headers = ws_headers(panel_client)
    on_list = async_to_sync(_messages_after)(publish, "/ws/services/", headers, count=2)
    on_overview = async_to_sync(_messages_after)(publish, "/ws/swarm/", headers, count=0)

    assert on_list[1] == {"kind": "service", "id": "", "action": "reshaped", "version": 3}
    assert on_overview == []


def test_the_watcher_pushes_rows_and_hints_and_keeps_both_while_redis_is_down(monkeypatch):
    from watcher.loop import SwarmWatcher

    redis_up, rows, hints = False, [], []

    def rows_publish(*, service_ids, reshaped):
        if redis_up:
            rows.append((sorted(service_ids), reshaped))
        return redis_up

    def hints_publish(*, service_ids, action):
        if redis_up:
            hints.append(service_ids)
        return redis_up

    monkeypatch.setattr("watcher.loop.service_rows_publish", rows_publish)
    monkeypatch.setattr("live.push.publish_services_changed", hints_publish)
    watcher = SwarmWatcher(name="test")
    watcher.pending, watcher.rows_pending, watcher.reshaped = {"svc1", "svc2"}, {"svc1", "svc2"}, True

    watcher.flush()
    assert (watcher.pending, watcher.rows_pending, watcher.reshaped) == ({"svc1", "svc2"}, {"svc1", "svc2"}, True)
    assert (rows, hints) == ([], [])

    redis_up = True
    watcher.flush()
    assert (watcher.pending, watcher.rows_pending, watcher.reshaped) == (set(), set(), False)
    assert rows == [(["svc1", "svc2"], True)]
    assert hints == [["svc1", "svc2"]]  # one batch, one change: one publish


@pytest.mark.parametrize(("action", "reshaped"), [("create", True), ("remove", False), ("update", False)])
def test_the_watcher_knows_a_created_service_reshapes_the_list(fake_engine, monkeypatch, action, reshaped):
    from watcher.loop import SwarmWatcher

    monkeypatch.setattr(SwarmWatcher, "flush", lambda self: None)
    watcher = SwarmWatcher(name="test")
    event = engine.EngineEvent(type="service", action=action, actor_id=WEB_ID, time_ns=1, attributes={"name": WEB})

    watcher.handle_batch([event], resync=False)

    assert watcher.reshaped is reshaped
    assert WEB_ID in watcher.pending


@pytest.mark.parametrize(("changed", "swarm_reads", "service_reads"), [(5, 0, 5), (6, 1, 0)])
def test_the_watcher_re_reads_the_whole_swarm_once_when_many_services_changed(
    monkeypatch, changed, swarm_reads, service_reads
):
    from history import recorder
    from watcher.loop import SwarmWatcher

    reads = {"swarm": 0, "service": 0}
    monkeypatch.setattr(recorder, "event_record", lambda event, node_id: event.actor_id)
    monkeypatch.setattr(recorder, "swarm_sync", lambda: reads.update(swarm=reads["swarm"] + 1) or set())
    monkeypatch.setattr(recorder, "service_sync", lambda service_id: reads.update(service=reads["service"] + 1) or True)
    monkeypatch.setattr(SwarmWatcher, "flush", lambda self: None)
    monkeypatch.setattr(SwarmWatcher, "flush_rows", lambda self: True)
    watcher = SwarmWatcher(name="test")
    watcher.identity = engine.NodeIdentity(node_id="n1", hostname="h", is_manager=True)
    batch = [engine.EngineEvent(type="service", action="update", actor_id=f"s{n}", time_ns=n) for n in range(changed)]

    watcher.handle_batch(batch)

    assert reads == {"swarm": swarm_reads, "service": service_reads}


def test_the_hints_of_one_batch_share_one_version_and_one_publish(monkeypatch):
    sent = []
    monkeypatch.setattr(push, "publish_all", lambda sends: sent.append(sends) or True)

    assert push.publish_services_changed(service_ids=["", "svc1", "svc2"], action="changed")

    [sends] = sent
    assert [group for group, _ in sends] == [
        push.SWARM_GROUP,
        push.SWARM_GROUP,
        push.service_group("svc1"),
        push.SWARM_GROUP,
        push.service_group("svc2"),
    ]
    assert len({message["version"] for _, message in sends}) == 1


def test_the_watcher_looks_once_more_a_moment_after_a_batch(monkeypatch):
    # Swarm records a task's new state a little after the container event that made the watcher
    # look, and often nothing follows: one more look, once, lets the pages catch up.
    from history import recorder
    from watcher.loop import RECHECK, SwarmWatcher

    reads, flushed = [], []
    monkeypatch.setattr(recorder, "event_record", lambda event, node_id: event.actor_id)
    monkeypatch.setattr(recorder, "service_sync", lambda service_id: reads.append(service_id) or True)
    monkeypatch.setattr(SwarmWatcher, "flush", lambda self: flushed.append(set(self.pending)) or self.pending.clear())
    monkeypatch.setattr(SwarmWatcher, "flush_rows", lambda self: True)
    watcher = SwarmWatcher(name="test")
    watcher.identity = engine.NodeIdentity(node_id="n1", hostname="h", is_manager=True)
    watcher.handle_batch([engine.EngineEvent(type="container", action="start", actor_id="s1", time_ns=1)])
    assert (reads, flushed) == (["s1"], [{"s1"}])

    watcher.recheck_due(now=time.monotonic())  # not yet
    assert reads == ["s1"]

    watcher.recheck_due(now=time.monotonic() + RECHECK + 0.1)
    watcher.recheck_due(now=time.monotonic() + 10 * RECHECK)  # once only: a look does not schedule another

    assert reads == ["s1", "s1"]
    assert flushed == [{"s1"}, {"s1"}]


def test_the_watcher_pushes_the_rows_before_it_records_the_batch(monkeypatch):
    # The rows' replica counts are the engine's: they need not wait for the batch's transaction.
    from history import recorder
    from watcher.loop import SwarmWatcher

    order = []
    monkeypatch.setattr(recorder, "event_record", lambda event, node_id: event.actor_id)
    monkeypatch.setattr(recorder, "service_sync", lambda service_id: order.append(("recorded", service_id)) or True)
    monkeypatch.setattr(
        "watcher.loop.service_rows_publish",
        lambda *, service_ids, reshaped: order.append(("rows", sorted(service_ids))) or True,
    )
    monkeypatch.setattr(push, "publish_services_changed", lambda **kwargs: order.append(("hints",)) or True)
    watcher = SwarmWatcher(name="test")
    watcher.identity = engine.NodeIdentity(node_id="n1", hostname="h", is_manager=True)

    watcher.handle_batch([engine.EngineEvent(type="service", action="update", actor_id="s1", time_ns=1)])

    assert order == [("rows", ["s1"]), ("recorded", "s1"), ("hints",)]
