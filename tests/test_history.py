"""History from task snapshots and events: causes, idempotency, stubs, pruning, pending hints."""

from datetime import UTC, datetime, timedelta

import pytest

import engine
from history import recorder
from history.models import ServiceEvent, Task, TaskTransition
from watcher.loop import SwarmWatcher

from .conftest import task_snapshot

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def snapshot(task_id="t1", state="running", desired="running", error="", exit_code=None, at=T0, node="n1"):
    return task_snapshot(
        task_id, state, desired, error, exit_code, node_id=node, created_at=T0 - timedelta(seconds=5), state_at=at
    )


UPDATE = engine.UpdateStatus("updating", T0 - timedelta(seconds=1), None, "update in progress")


@pytest.mark.parametrize(
    ("kwargs", "update", "down", "cause"),
    [
        ({"state": "failed", "error": "task: non-zero exit (15)", "exit_code": 15}, None, set(), "exit"),
        (
            {"state": "failed", "error": "task: non-zero exit (137): dockerexec: unhealthy container"},
            None,
            set(),
            "unhealthy",
        ),
        ({"state": "rejected", "error": "No such image"}, None, set(), "exit"),
        ({"state": "failed", "error": "No such container: unhealthy.1.abc"}, None, set(), "exit"),
        ({"state": "orphaned"}, None, set(), "node"),
        ({"state": "running", "desired": "shutdown"}, None, {"n1"}, "node"),
        ({"state": "shutdown", "desired": "shutdown", "exit_code": 143}, UPDATE, set(), "update"),
        ({"state": "shutdown", "desired": "shutdown", "exit_code": 143}, None, set(), "stopped"),
        ({"state": "complete", "exit_code": 0}, None, set(), "completed"),
    ],
)
def test_end_causes(kwargs, update, down, cause):
    assert recorder.end_cause(snapshot(**kwargs), update=update, down_nodes=down) == cause


@pytest.mark.django_db
def test_recording_the_same_tasks_twice_stores_them_once():
    running = snapshot()
    failed = snapshot(state="failed", error="task: non-zero exit (15)", exit_code=15, at=T0 + timedelta(seconds=3))

    assert recorder.task_record(running, service_name="web") is True
    assert recorder.task_record(running, service_name="web") is False
    assert recorder.task_record(failed, service_name="web") is True
    assert recorder.task_record(failed, service_name="web") is False

    task = Task.objects.get()
    assert (task.state, task.exit_code, task.end_cause, task.ended_at) == ("failed", 15, "exit", failed.state_at)
    assert list(TaskTransition.objects.values_list("state", flat=True)) == ["running", "failed"]


def _event(action, attributes, kind="container", time_nano=1_790_000_000_000_000_000, actor="c1"):
    return engine.EngineEvent(type=kind, action=action, actor_id=actor, time_ns=time_nano, attributes=attributes)


TASK_ATTRIBUTES = {
    "com.docker.swarm.service.id": "svc",
    "com.docker.swarm.service.name": "web",
    "com.docker.swarm.task.id": "t9",
    "com.docker.swarm.task.name": "web.3.t9",
    "com.docker.swarm.node.id": "n1",
}


@pytest.mark.django_db
def test_the_same_event_read_twice_is_stored_once():
    event = _event("die", {**TASK_ATTRIBUTES, "exitCode": "15"})

    assert recorder.event_record(event) == "svc"
    assert recorder.event_record(event) == "svc"

    assert ServiceEvent.objects.count() == 1
    assert Task.objects.count() == 1


@pytest.mark.django_db
def test_a_die_event_records_a_task_swarm_has_already_forgotten():
    recorder.event_record(_event("die", {**TASK_ATTRIBUTES, "exitCode": "15"}))

    task = Task.objects.get()
    assert (task.task_id, task.slot, task.exit_code, task.end_cause) == ("t9", 3, 15, "exit")
    assert task.ended_at is not None


@pytest.mark.django_db
def test_health_events_mark_the_task_and_an_unhealthy_kill_is_classified():
    recorder.event_record(_event("health_status: unhealthy", TASK_ATTRIBUTES, time_nano=1), node_id="node-a")
    recorder.event_record(_event("die", {**TASK_ATTRIBUTES, "exitCode": "137"}, time_nano=2))

    task = Task.objects.get()
    assert (task.health, task.health_node, task.end_cause) == ("unhealthy", "node-a", "unhealthy")


@pytest.mark.django_db
def test_exec_events_of_health_checks_are_ignored():
    assert recorder.event_record(_event("exec_start: sh -c true", TASK_ATTRIBUTES)) is None
    assert not ServiceEvent.objects.exists()


@pytest.mark.django_db
def test_service_events_are_recorded_with_their_attributes():
    event = _event("update", {"name": "web", "updatestate.new": "updating"}, kind="service", actor="svc")

    assert recorder.event_record(event) == "svc"

    stored = ServiceEvent.objects.get()
    assert (stored.kind, stored.service_name) == ("service_update", "web")
    assert stored.params == {"attributes": {"updatestate.new": "updating"}}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "action", "reread"),
    [
        ("network", "create", ""),
        ("network", "remove", ""),
        ("network", "connect", None),  # every container start: no re-read of the swarm for it
        ("network", "disconnect", None),
        ("secret", "create", ""),
        ("secret", "remove", ""),
        ("config", "update", ""),
        ("node", "update", ""),
    ],
)
def test_network_secret_and_config_changes_make_the_pages_reread_and_record_nothing(kind, action, reread):
    assert recorder.event_record(_event(action, {"name": "x"}, kind=kind, actor="obj1")) == reread
    assert not ServiceEvent.objects.exists() and not Task.objects.exists()


@pytest.mark.django_db
def test_prune_forgets_only_what_is_older_than_the_limit():
    old = snapshot("old", state="failed", exit_code=1, at=datetime.now(UTC) - timedelta(days=40))
    new = snapshot("new", state="failed", exit_code=1, at=datetime.now(UTC) - timedelta(days=1))
    recorder.task_record(old, service_name="web")
    recorder.task_record(new, service_name="web")

    recorder.history_prune(older_than=timedelta(days=30))

    assert list(Task.objects.values_list("task_id", flat=True)) == ["new"]


@pytest.mark.django_db(transaction=True)  # the loop closes stale connections, as a long-lived process must
def test_an_unreachable_engine_is_retried_with_backoff_and_shown(monkeypatch):
    from watcher.models import Watcher

    attempts, waits = [], []
    watcher = SwarmWatcher(name="test")

    def unreachable():
        attempts.append(1)
        if len(attempts) == 3:
            watcher.stopping.set()
        raise engine.EngineUnreachable("connection refused")

    monkeypatch.setattr(engine, "node_identity", unreachable)
    monkeypatch.setattr(watcher.stopping, "wait", waits.append)
    statuses = []
    real_status = watcher.status
    monkeypatch.setattr(watcher, "status", lambda state, *args: statuses.append(state) or real_status(state, *args))

    watcher.run()

    assert waits == [1.0, 2.0]
    assert statuses[:2] == ["reconnecting", "reconnecting"]
    assert Watcher.objects.get(name="test").state == "stopped"


@pytest.mark.django_db
def test_a_database_error_does_not_end_the_watcher(monkeypatch, fake_engine):
    """A database that fails for a moment (restarted, or migrated by a deploy) does not end the
    watcher: it connects again (and replays the events since its cursor, as after any reconnect)."""
    from django.db import OperationalError

    waits, failures = [], [OperationalError("no such column: services_serviceevent.params")]
    watcher = SwarmWatcher(name="test")
    real_follow = watcher.follow

    def follow():
        if failures:
            raise failures.pop()
        watcher.stopping.set()
        real_follow()

    monkeypatch.setattr(watcher, "follow", follow)
    monkeypatch.setattr(watcher.stopping, "wait", waits.append)
    # Closing the test's own connection (as the loop does after a failure) would end the test's transaction.
    monkeypatch.setattr("watcher.loop.close_old_connections", lambda: None)

    watcher.run()

    assert waits == [1.0]  # one back-off, then connected again
    assert not failures


@pytest.mark.django_db
def test_containers_outside_swarm_are_ignored():
    event = _event("start", {"name": "standalone"})

    assert recorder.event_record(event) is None
    assert not Task.objects.exists()


@pytest.mark.django_db
def test_the_heartbeat_keeps_beating_while_events_never_stop(monkeypatch):
    """A busy engine never goes quiet for a second; /healthz still needs a fresh heartbeat."""
    import threading
    import time

    class EndlessStream:
        def __init__(self):
            self.closed = threading.Event()

        def __iter__(self):
            while not self.closed.wait(0.05):  # an exec event of a health check every 50 ms
                yield {"Type": "container", "Action": "exec_start: true", "timeNano": time.time_ns(), "Actor": {}}

        def close(self):
            self.closed.set()

    watcher = SwarmWatcher(name="busy")
    watcher.stream = EndlessStream()
    beats = []
    monkeypatch.setattr(watcher, "housekeeping", lambda: beats.append(time.monotonic()))
    threading.Timer(2.6, watcher.stop).start()

    with pytest.raises(engine.EngineUnreachable):  # the stream ends when the watcher stops
        watcher.follow()

    assert len(beats) >= 2


def test_the_heartbeat_is_written_every_ten_seconds_not_every_tick(monkeypatch):
    from watcher import loop as watcher_module

    clock = [1000.0]
    monkeypatch.setattr(watcher_module.time, "monotonic", lambda: clock[0])
    watcher = SwarmWatcher(name="calm")
    writes = []
    monkeypatch.setattr(watcher, "status", lambda state, *args: writes.append(clock[0]))

    for _ in range(25):  # 25 ticks of one second
        watcher.housekeeping()
        clock[0] += 1

    assert writes == [1000.0, 1010.0, 1020.0]
