"""Events, update states and watcher problems are stored as codes + data and worded when shown,
in the reader's language; rows written in the old format (English fragments) are converted."""

from datetime import UTC, datetime

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

import engine
from history import labels, recorder
from history.models import ServiceEvent, Task
from services.chart import CAUSES
from watcher.loop import SwarmWatcher
from watcher.models import Watcher

from .support import migrate_to
from .test_history import TASK_ATTRIBUTES, _event

# --- recording codes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "attributes", "kind", "params", "detail"),
    [
        ("die", {"exitCode": "15"}, "container_die", {"task": "web.3", "exit_code": 15}, "web.3: exit code 15"),
        ("start", {}, "container_start", {"task": "web.3"}, "web.3"),
        ("oom", {}, "container_oom", {"task": "web.3"}, "web.3"),
        ("kill", {"signal": "9"}, "container_kill", {"task": "web.3", "signal": "9"}, "web.3: signal 9"),
        ("health_status: unhealthy", {}, "health", {"task": "web.3", "health": "unhealthy"}, "web.3: unhealthy"),
        ("health_status: healthy", {}, "health", {"task": "web.3", "health": "healthy"}, "web.3: healthy"),
    ],
)
@pytest.mark.django_db
def test_container_events_are_stored_as_a_code_and_data(action, attributes, kind, params, detail):
    assert recorder.event_record(_event(action, {**TASK_ATTRIBUTES, **attributes})) == "svc"

    event = ServiceEvent.objects.get()
    assert (event.kind, event.params) == (kind, params)
    assert event.detail == detail
    assert event.get_kind_display() == labels.EventKind(kind).label


@pytest.mark.parametrize(
    ("action", "attributes", "kind", "params", "detail"),
    [
        ("create", {"name": "web"}, "service_create", {"attributes": {}}, ""),
        ("remove", {"name": "web"}, "service_remove", {"attributes": {}}, ""),
        (
            "update",
            {"name": "web", "replicas.old": "1", "replicas.new": "3"},
            "service_update",
            {"attributes": {"replicas.old": "1", "replicas.new": "3"}},
            "replicas 1 → 3",
        ),
        (
            "update",
            {"name": "web", "updatestate.old": "updating", "updatestate.new": "rollback_completed", "image.new": "x:2"},
            "service_update",
            {
                "attributes": {
                    "updatestate.old": "updating",
                    "updatestate.new": "rollback_completed",
                    "image.new": "x:2",
                }
            },
            "image x:2, updating → rolled back",
        ),
        (
            "update",
            {"name": "web", "future.new": "a b"},  # an attribute a newer engine might add: shown as data
            "service_update",
            {"attributes": {"future.new": "a b"}},
            "future.new=a b",
        ),
        ("restore", {"name": "web"}, "service_other", {"attributes": {}, "action": "restore"}, "action restore"),
    ],
)
@pytest.mark.django_db
def test_service_events_are_stored_as_a_code_and_data(action, attributes, kind, params, detail):
    assert recorder.event_record(_event(action, attributes, kind="service", actor="svc")) == "svc"

    event = ServiceEvent.objects.get()
    assert (event.kind, event.service_name, event.params) == (kind, "web", params)
    assert event.detail == detail


@pytest.mark.django_db
def test_update_status_changes_are_stored_as_a_code_and_the_engines_words(fake_web):
    assert recorder.service_sync(service_id="svc1")

    said = engine.service_detail(service_id="svc1").update_status.message  # the engine's own words
    assert said.startswith("update paused due to failure")
    event = ServiceEvent.objects.get()
    assert (event.kind, event.params) == ("update_status", {"state": "paused", "message": said})
    assert (event.detail, event.note) == ("update paused", said)


def test_unknown_codes_are_shown_as_they_are():
    """A newer engine's state must not break a page: the code itself is the best words we have."""
    assert labels.label(labels.UpdateState, "rollback_exploded") == "rollback_exploded"
    assert labels.event_detail("health", {"task": "web.1", "health": "sulking"}) == "web.1: sulking"


# --- one label for each code ----------------------------------------------------------------


def test_the_chart_words_causes_with_the_task_end_cause_labels():
    assert [cause for cause, _label in CAUSES] == list(Task.RESTART_CAUSES)
    for cause, label in CAUSES:
        assert label is Task.EndCause(cause).label  # the very same lazy object, not a copy of its words


@pytest.mark.parametrize(
    ("state", "tone"),
    [("paused", "bad"), ("rollback_paused", "bad"), ("rollback_completed", "bad"), ("completed", "good")]
    + [("updating", "warn"), ("rollback_started", "warn")],
)
def test_update_state_badges_use_the_update_state_labels(state, tone):
    html = render_to_string("services/_update_state.html", {"state": state})

    assert f'class="badge update-{state} {tone}"' in html
    assert f">{labels.UpdateState(state).label}</span>" in html


# --- worded in the reader's language --------------------------------------------------------


@pytest.fixture
def pseudo_locale(monkeypatch):
    """A fake catalog: every message comes out «wrapped», proving it went through gettext at render
    time (the labels were built at import, before this catalog existed)."""
    monkeypatch.setattr(translation._trans, "gettext", lambda message: f"«{message}»")
    monkeypatch.setattr(translation._trans, "pgettext", lambda context, message: f"«{message}»")
    monkeypatch.setattr(
        translation._trans, "ngettext", lambda singular, plural, n: f"«{singular if n == 1 else plural}»"
    )
    monkeypatch.setattr(
        translation._trans,
        "npgettext",
        lambda context, singular, plural, n: f"«{singular if n == 1 else plural}»",
    )


@pytest.mark.django_db
def test_the_service_page_words_events_causes_and_states_through_gettext(panel_client, fake_web, pseudo_locale):
    recorder.event_record(_event("die", {**TASK_ATTRIBUTES, "com.docker.swarm.service.id": "svc1", "exitCode": "15"}))
    recorder.event_record(
        _event("health_status: unhealthy", {**TASK_ATTRIBUTES, "com.docker.swarm.service.id": "svc1"}, time_nano=2)
    )
    recorder.service_sync(service_id="svc1")

    html = panel_client.get(reverse("services:detail", args=["svc1"])).content.decode()

    assert "«task exited»</strong> «web.3: exit code 15»" in html
    assert "«health check»</strong> «web.3: «unhealthy»»" in html
    said = engine.service_detail(service_id="svc1").update_status.message
    assert f'«update status»</strong> «update paused» <span class="muted engine-message">{said}</span>' in html
    assert '<span class="legend cause-exit">«non-zero exit»</span>' in html  # the chart legend
    assert ">«update paused»</span>" in html  # the update state badge
    assert ">«running»</td>" in html  # the task state
    assert "<td>«unhealthy»</td>" in html  # the restart cause of the task killed as unhealthy


@pytest.mark.django_db
def test_the_overview_words_watcher_problems_and_update_states_through_gettext(panel_client, fake_web, pseudo_locale):
    Watcher.objects.create(
        name="node-a",
        state="reconnecting",
        problem="unreachable",
        problem_params={"detail": "connection refused", "seconds": 4, "host": "tcp://10.0.0.9:2375"},
    )

    html = panel_client.get(reverse("overview")).content.decode()

    assert "«reconnecting»" in html
    assert "«The Docker engine at tcp://10.0.0.9:2375 cannot be reached.» <code>connection refused</code>" in html
    assert "«Trying again in 4 seconds.»" in html
    assert "«update paused»" in html  # the attention badge of the paused service


# --- the watcher stores a code ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # the loop closes stale connections, as a long-lived process must
def test_the_watcher_stores_the_engine_error_code_and_its_data(monkeypatch, settings):
    settings.DOCKER_HOST = "tcp://10.0.0.9:2375"
    watcher = SwarmWatcher(name="test")
    rows = []

    def unreachable():
        raise engine.EngineUnreachable("connection refused")

    def wait(seconds):
        rows.append(Watcher.objects.values("state", "problem", "problem_params").get(name="test"))
        watcher.stopping.set()

    monkeypatch.setattr(engine, "node_identity", unreachable)
    monkeypatch.setattr(watcher.stopping, "wait", wait)

    watcher.run()

    assert rows == [
        {
            "state": "reconnecting",
            "problem": "unreachable",
            "problem_params": {"detail": "connection refused", "seconds": 1, "host": "tcp://10.0.0.9:2375"},
        }
    ]
    stopped = Watcher.objects.get(name="test")
    assert (stopped.state, stopped.problem, stopped.problem_params, stopped.problem_text) == ("stopped", "", {}, "")


def test_the_heartbeat_interval_is_ten_seconds():
    from watcher import loop

    assert loop.HEARTBEAT == 10.0


# --- old rows are converted -------------------------------------------------------------------


BEFORE_CODES = [("history", "0001_initial"), ("watcher", "0001_initial")]
MIGRATED = "svc-migrated"
OLD_EVENTS = [  # (old kind, old detail, new kind, new params)
    ("container die", "web.2: exit 15", "container_die", {"task": "web.2", "exit_code": 15}),
    ("container die", "web.2: exit -1", "container_die", {"task": "web.2", "exit_code": -1}),
    ("container start", "web.2", "container_start", {"task": "web.2"}),
    ("container oom", "web.2", "container_oom", {"task": "web.2"}),
    ("container kill", "web.2", "container_kill", {"task": "web.2"}),
    ("health_status", "web.n1abc: unhealthy", "health", {"task": "web.n1abc", "health": "unhealthy"}),
    (
        "service update",
        "image.new=busybox:1 replicas.new=3 replicas.old=1 updatestate.new=updating",
        "service_update",
        {
            "attributes": {
                "image.new": "busybox:1",
                "replicas.new": "3",
                "replicas.old": "1",
                "updatestate.new": "updating",
            }
        },
    ),
    ("service create", "", "service_create", {"attributes": {}}),
    ("service remove", "", "service_remove", {"attributes": {}}),
    (
        "update_status",
        "paused: update paused due to failure: task abc: non-zero exit",
        "update_status",
        {"state": "paused", "message": "update paused due to failure: task abc: non-zero exit"},
    ),
    ("update_status", "completed", "update_status", {"state": "completed", "message": ""}),
    ("something else", "kept as it was", "something else", {"legacy": "kept as it was"}),
]


@pytest.mark.django_db(transaction=True)
def test_old_events_and_watcher_messages_become_codes_and_back():
    old = migrate_to(BEFORE_CODES)
    OldEvent = old.get_model("history", "ServiceEvent")
    at = datetime(2026, 1, 2, tzinfo=UTC)
    for number, (kind, detail, _kind, _params) in enumerate(OLD_EVENTS):
        OldEvent.objects.create(
            key=f"k{number:02}", service_id=MIGRATED, service_name="web", at=at, kind=kind, detail=detail
        )
    OldWatcher = old.get_model("watcher", "Watcher")
    OldWatcher.objects.create(
        name="w1",
        state="reconnecting",
        message="The Docker engine at unix:///x.sock cannot be reached. (connection refused); retry in 4 s",
    )
    OldWatcher.objects.create(name="w2", state="reconnecting", message="The Docker engine reported an error.")
    OldWatcher.objects.create(name="w3", state="connected", message="")

    new = migrate_to()

    # Only this test's rows: a real watcher of the slow tests may be recording into the same database.
    events = new.get_model("history", "ServiceEvent").objects.filter(service_id=MIGRATED).order_by("key")
    assert [(event.kind, event.params) for event in events] == [(kind, params) for _k, _d, kind, params in OLD_EVENTS]
    watchers = new.get_model("watcher", "Watcher").objects.filter(name__in=["w1", "w2", "w3"]).order_by("name")
    assert [(w.name, w.state, w.problem, w.problem_params) for w in watchers] == [
        ("w1", "reconnecting", "unreachable", {"detail": "connection refused", "seconds": 4}),
        ("w2", "reconnecting", "engine", {"detail": "The Docker engine reported an error."}),
        ("w3", "connected", "", {}),
    ]
    # Read back as the code does, the converted rows are worded like new ones.
    assert ServiceEvent.objects.get(key="k00").detail == "web.2: exit code 15"
    assert ServiceEvent.objects.get(key="k11").detail == "kept as it was"
    assert "cannot be reached" in Watcher.objects.get(name="w1").problem_text

    # And back: a downgrade finds the old format again.
    old = migrate_to(BEFORE_CODES)
    events = old.get_model("history", "ServiceEvent").objects.filter(service_id=MIGRATED).order_by("key")
    assert [(event.kind, event.detail) for event in events] == [(kind, detail) for kind, detail, _k, _p in OLD_EVENTS]
    migrate_to()


def test_the_nodes_list_words_node_states_through_gettext(pseudo_locale):
    node = engine.NodeSnapshot("n1", "vm", "worker", "drain", "down", "27.0", "10.0.0.2", False)

    html = render_to_string("nodes/_list.html", {"rows": [{"node": node, "tasks_running": 0, "watcher": None}]})

    assert '<td data-availability="drain">«drained»</td>' in html
    assert 'data-state="down">«down»</td>' in html


@pytest.mark.parametrize(
    ("mode", "words"),
    [
        ("replicated", "replicated"),
        ("global", "global"),
        ("replicated-job", "replicated job"),
        ("global-job", "global job"),
    ],
)
def test_every_service_mode_has_its_own_words(mode, words):
    from history.templatetags.swarm_labels import service_mode_label

    assert service_mode_label(mode) == words
