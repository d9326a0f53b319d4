"""The watcher's coalescing: leading edge plus trailing edge, on a fake clock and a scripted event queue."""

import queue

import pytest

import engine
from watcher import loop as watcher_module
from watcher.loop import COALESCE, SwarmWatcher

START = 1000.0


def _event(name: str) -> engine.EngineEvent:
    return engine.EngineEvent(type="service", action="update", actor_id=name, time_ns=1, attributes={})


class Scripted:
    """A queue whose items come due at fake-clock times: waiting advances the clock instead of sleeping."""

    def __init__(self, watcher: SwarmWatcher, clock: list[float], script: list[tuple[float, object]]):
        self.watcher, self.clock, self.script = watcher, clock, sorted(script, key=lambda entry: entry[0])
        self.log: list[tuple] = []
        self.played_until = max((at for at, _item in script), default=START)

    def get(self, timeout: float):
        if self.script and self.script[0][0] <= self.clock[0] + timeout:
            at, item = self.script.pop(0)
            self.log.append(("wait", max(0.0, at - self.clock[0])))
            self.clock[0] = max(self.clock[0], at)
            return item
        self.log.append(("wait", timeout))
        self.clock[0] += timeout
        if not self.script and self.clock[0] > self.played_until + 2 * COALESCE:
            self.watcher.stopping.set()  # the script is played out and the last window has closed
        raise queue.Empty


@pytest.fixture
def run(monkeypatch):
    """run(script) -> [(clock when handled, [event names])], with the queue's log of waits and handles."""
    clock = [START]
    monkeypatch.setattr(watcher_module.time, "monotonic", lambda: clock[0])

    def play(script):
        watcher = SwarmWatcher(name="coalescing")
        events = Scripted(watcher, clock, script)
        handles = play.handles = []
        play.log = events.log

        def handle_batch(batch, *, resync=True):
            if batch:
                handles.append((clock[0], [event.actor_id for event in batch]))
                events.log.append(("handle", [event.actor_id for event in batch]))

        monkeypatch.setattr(watcher, "handle_batch", handle_batch)
        monkeypatch.setattr(watcher, "housekeeping", lambda: None)
        watcher.consume(events)
        return handles

    return play


def test_the_first_event_is_handled_before_any_wait(run):
    handles = run([(START, _event("a"))])

    assert handles == [(START, ["a"])]
    assert run.log[:2] == [("wait", 0.0), ("handle", ["a"])]


def test_an_event_after_a_quiet_spell_is_handled_the_moment_it_arrives(run):
    handles = run([(START + 3.3, _event("late"))])

    assert handles == [(START + 3.3, ["late"])]


def test_a_burst_within_the_window_is_handled_twice_leading_and_trailing(run):
    burst = [(START + 0.02 * n, _event(f"e{n}")) for n in range(10)]  # 10 events within 0.2 s

    handles = run(burst)

    assert len(handles) == 2
    assert handles[0] == (START, ["e0"])
    assert handles[1] == (pytest.approx(START + COALESCE), [f"e{n}" for n in range(1, 10)])


def test_an_isolated_event_is_handled_once(run):
    handles = run([(START, _event("a")), (START + 5, _event("b"))])

    assert handles == [(START, ["a"]), (START + 5, ["b"])]


def test_a_crash_loop_costs_a_few_handles_a_second_and_loses_no_event(run):
    storm = [(START + 0.01 * n, _event(f"e{n}")) for n in range(300)]  # an event every 10 ms for 3 s

    handles = run(storm)

    assert len(handles) <= 3 / COALESCE + 2  # ~4 re-reads a second, not 300
    assert [name for _at, names in handles for name in names] == [f"e{n}" for n in range(300)]
    gaps = [later[0] - earlier[0] for earlier, later in zip(handles, handles[1:], strict=False)]
    assert min(gaps) == pytest.approx(COALESCE)


def test_events_held_when_the_stream_fails_are_handled_before_it_reconnects(run):
    script = [(START, _event("a")), (START + 0.1, _event("b")), (START + 0.15, engine.EngineUnreachable("gone"))]

    with pytest.raises(engine.EngineUnreachable):
        run(script)

    assert run.handles == [(START, ["a"]), (START + 0.15, ["b"])]


def _container_event(name: str) -> engine.EngineEvent:
    return engine.EngineEvent(type="container", action="die", actor_id=name, time_ns=1, attributes={})


def test_a_service_event_does_not_wait_out_a_window_its_tasks_opened(run):
    # A crash-looping task's containers opened a window; someone scales a service meanwhile.
    script = [(START, _container_event("c0")), (START + 0.05, _container_event("c1")), (START + 0.1, _event("scaled"))]

    handles = run(script)

    assert handles == [(START, ["c0"]), (START + 0.1, ["c1", "scaled"])]


def test_a_second_service_event_in_the_window_of_one_is_held(run):
    # A stack deployed: many service events in a row stay coalesced, leading edge plus trailing edge.
    script = [(START, _event("s0")), (START + 0.05, _container_event("c1")), (START + 0.1, _event("s1"))]

    handles = run(script)

    assert handles == [(START, ["s0"]), (pytest.approx(START + COALESCE), ["c1", "s1"])]
