"""Notifications: each rule's condition, one incident per subject and one message per incident
(however many restarts), "resolved" once, one-shot job failures, sending through Apprise (once,
or failed with Apprise's words), channel URLs checked and never shown, the admin-only pages."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

import engine
from history.models import Task
from jobs.models import Job
from notifications import celery_tasks, sending
from notifications.incidents import incident_notice, notifications_evaluate
from notifications.messages import delivery_message, panel_language
from notifications.models import Channel, Delivery, Incident, Rule
from notifications.rules import Finding
from notifications.sending import delivery_send
from watcher.models import Watcher

from .conftest import service_summary
from .support import free_port

NTFY_SECRET = "hunter2-ntfy-password"
SLACK_SECRET = "Xq9ZsecretTokenPart3"


@pytest.fixture
def swarm(monkeypatch):
    """The engine as the rules read it: services, their update statuses and the nodes, set per test."""
    state = {
        "services": [service_summary(id="svc1", name="web", replicas=2, tasks_running=2, tasks_desired=2)],
        "statuses": {},
        "nodes": [_node("node1", "ready")],
        "error": None,
    }

    def read(key):
        def call(**kwargs):
            if state["error"]:
                raise state["error"]
            return state[key]

        return call

    monkeypatch.setattr(engine, "service_list", read("services"))
    monkeypatch.setattr(engine, "service_update_statuses", read("statuses"))
    monkeypatch.setattr(engine, "node_list", read("nodes"))
    return state


def _node(node_id: str, state: str) -> engine.NodeSnapshot:
    return engine.NodeSnapshot(node_id, f"host-{node_id}", "worker", "active", state, "27.0", "10.0.0.2", False)


@pytest.fixture
def queued(monkeypatch) -> list[int]:
    """No worker: the ids of the deliveries handed to it."""
    ids: list[int] = []
    monkeypatch.setattr(celery_tasks.delivery_send_task, "delay", ids.append)
    return ids


@pytest.fixture
def evaluate(django_capture_on_commit_callbacks, queued):
    def run(now=None) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            notifications_evaluate(now=now)

    return run


@pytest.fixture
def channels(db) -> list[Channel]:
    made = []
    for name in ("hook", "phone"):
        channel = Channel(name=name, display_url=f"json://{name}.example")
        channel.url = f"json://{name}.example/"
        channel.save()
        made.append(channel)
    return made


def _rule(channels, kind=Rule.Kind.CRASH_LOOP, **fields) -> Rule:
    rule = Rule.objects.create(name=kind, kind=kind, **fields)
    rule.created_at = timezone.now() - timedelta(hours=2)
    rule.save(update_fields=["created_at"])
    rule.channels.set(channels)
    return rule


def _crash(at, *, service_id="svc1", name="web", cause=Task.EndCause.EXIT, exit_code=3) -> Task:
    return Task.objects.create(
        task_id=uuid.uuid4().hex,
        service_id=service_id,
        service_name=name,
        slot=1,
        state="failed",
        created_at=at - timedelta(seconds=2),
        state_at=at,
        ended_at=at,
        end_cause=cause,
        exit_code=exit_code,
    )


def _kinds() -> list[tuple[str, str]]:
    return sorted(Delivery.objects.values_list("kind", "channel__name"))


# --- crash loop: one incident, one message per channel, resolved once ---------------------------


@pytest.mark.django_db
def test_a_crash_loop_is_notified_once_per_channel(swarm, channels, evaluate, queued):
    _rule(channels)
    now = timezone.now()
    for seconds in (200, 100):
        _crash(now - timedelta(seconds=seconds))
    evaluate(now)
    assert not Incident.objects.exists()  # 2 restarts: below the rule's 3

    _crash(now - timedelta(seconds=10), exit_code=7)
    evaluate(now)

    incident = Incident.objects.get()
    assert (incident.subject, incident.subject_name, incident.opened_at) == ("svc1", "web", now)
    assert _kinds() == [("opened", "hook"), ("opened", "phone")]
    assert sorted(queued) == sorted(Delivery.objects.values_list("id", flat=True))
    message = delivery_message(Delivery.objects.first())
    assert message.title == "Swarmdeck: web: Crash loop"
    assert "web restarted 3 times in 5 minutes. Last exit code: 7." in message.body
    assert message.body.endswith("/services/svc1/")


@pytest.mark.django_db
def test_a_storm_of_100_restarts_still_sends_one(swarm, channels, evaluate):
    _rule(channels)
    start = timezone.now()
    for step in range(10):  # ten passes, ten restarts between each
        now = start + timedelta(seconds=15 * step)
        for _ in range(10):
            _crash(now - timedelta(seconds=1))
        evaluate(now)

    assert Task.objects.count() == 100
    assert Incident.objects.count() == 1
    assert _kinds() == [("opened", "hook"), ("opened", "phone")]


@pytest.mark.django_db
def test_a_crash_loop_resolves_once_after_a_quiet_window_with_its_replicas(swarm, channels, evaluate):
    _rule(channels)
    start = timezone.now()
    for seconds in (30, 20, 10):
        _crash(start - timedelta(seconds=seconds))
    evaluate(start)

    later = start + timedelta(minutes=3)
    evaluate(later)  # restarts still within the 5 minutes
    assert Incident.objects.get().resolved_at is None

    swarm["services"] = [service_summary(id="svc1", name="web", replicas=2, tasks_running=1, tasks_desired=2)]
    quiet = start + timedelta(minutes=6)
    evaluate(quiet)  # a whole window without a restart, but a replica is missing: still open
    assert Incident.objects.get().resolved_at is None

    swarm["services"] = [service_summary(id="svc1", name="web", replicas=2, tasks_running=2, tasks_desired=2)]
    evaluate(quiet + timedelta(seconds=15))
    evaluate(quiet + timedelta(seconds=30))

    incident = Incident.objects.get()
    assert incident.resolved_at == quiet + timedelta(seconds=15)
    assert _kinds() == [("opened", "hook"), ("opened", "phone"), ("resolved", "hook"), ("resolved", "phone")]
    resolved = Delivery.objects.filter(kind="resolved").first()
    assert delivery_message(resolved).title == "Swarmdeck: resolved: web: Crash loop"
    assert "web is fine again" in delivery_message(resolved).body


@pytest.mark.django_db
def test_a_new_crash_loop_after_the_resolved_one_is_a_new_incident(swarm, channels, evaluate):
    _rule(channels, restarts=1)
    start = timezone.now()
    _crash(start)
    evaluate(start)
    evaluate(start + timedelta(minutes=6))
    _crash(start + timedelta(minutes=7))
    evaluate(start + timedelta(minutes=7))

    assert Incident.objects.count() == 2
    assert Delivery.objects.filter(kind="opened").count() == 4


@pytest.mark.django_db
def test_an_incident_cannot_be_opened_twice(swarm, channels, queued):
    rule = _rule(channels)
    finding = Finding("svc1", "web", "crash_loop", {"restarts": 3, "minutes": 5})
    now = timezone.now()

    assert incident_notice(rule=rule, finding=finding, now=now) is not None
    assert incident_notice(rule=rule, finding=finding, now=now) is None  # a second pass at once
    assert Incident.objects.count() == 1
    assert Delivery.objects.count() == 2


@pytest.mark.django_db
def test_the_service_filter_and_disabled_channels(swarm, channels, evaluate):
    channels[1].enabled = False
    channels[1].save()
    _rule(channels, restarts=1, service_filter="api-*")
    now = timezone.now()
    _crash(now, service_id="svc1", name="web")
    _crash(now, service_id="svc2", name="api-users")
    evaluate(now)

    assert list(Incident.objects.values_list("subject_name", flat=True)) == ["api-users"]
    assert _kinds() == [("opened", "hook")]


@pytest.mark.django_db
def test_an_unreachable_engine_clears_nothing(swarm, channels, evaluate):
    _rule(channels)
    start = timezone.now()
    for seconds in (30, 20, 10):
        _crash(start - timedelta(seconds=seconds))
    evaluate(start)

    swarm["error"] = engine.EngineUnreachable("connection refused")
    evaluate(start + timedelta(minutes=10))

    assert Incident.objects.get().resolved_at is None
    assert Delivery.objects.filter(kind="resolved").count() == 0


@pytest.mark.django_db
def test_a_disabled_rule_closes_its_incidents_quietly(swarm, channels, evaluate):
    rule = _rule(channels, restarts=1)
    now = timezone.now()
    _crash(now)
    evaluate(now)
    rule.enabled = False
    rule.save()
    evaluate(now + timedelta(seconds=15))

    assert Incident.objects.get().resolved_at is not None
    assert Delivery.objects.filter(kind="resolved").count() == 0


# --- the other rules ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_unhealthy_task_stays_one_incident_while_swarm_replaces_it(swarm, channels, evaluate):
    _rule(channels, kind=Rule.Kind.UNHEALTHY, window_minutes=2)
    now = timezone.now()
    task = _crash(now, cause="")
    Task.objects.filter(id=task.id).update(state="running", ended_at=None, end_cause="", health="unhealthy")
    evaluate(now)
    assert Incident.objects.get().params == {"task": "web.1"}

    # Swarm kills it; its replacement is still starting: not resolved (killed within the window).
    Task.objects.filter(id=task.id).update(state="failed", ended_at=now, end_cause=Task.EndCause.UNHEALTHY)
    evaluate(now + timedelta(seconds=30))
    assert Incident.objects.get().resolved_at is None

    evaluate(now + timedelta(minutes=3))
    assert Incident.objects.get().resolved_at is not None
    assert _kinds() == [("opened", "hook"), ("opened", "phone"), ("resolved", "hook"), ("resolved", "phone")]


@pytest.mark.django_db
def test_short_of_replicas_is_notified_only_once_it_lasts(swarm, channels, evaluate):
    _rule(channels, kind=Rule.Kind.SHORT_OF_REPLICAS, duration_minutes=2)
    short = [service_summary(id="svc1", name="web", replicas=3, tasks_running=1, tasks_desired=3)]
    full = [service_summary(id="svc1", name="web", replicas=3, tasks_running=3, tasks_desired=3)]
    start = timezone.now()

    swarm["services"] = short
    evaluate(start)
    assert Incident.objects.get().opened_at is None  # noticed, not notified
    swarm["services"] = full
    evaluate(start + timedelta(minutes=1))
    assert not Incident.objects.exists()  # cleared before 2 minutes: forgotten, nothing sent
    assert not Delivery.objects.exists()

    swarm["services"] = short
    evaluate(start + timedelta(minutes=2))
    evaluate(start + timedelta(minutes=3))
    evaluate(start + timedelta(minutes=4, seconds=30))

    incident = Incident.objects.get()
    assert incident.opened_at == start + timedelta(minutes=4, seconds=30)
    assert _kinds() == [("opened", "hook"), ("opened", "phone")]
    assert "web: 1 of 3 tasks running." in delivery_message(Delivery.objects.first()).body


@pytest.mark.django_db
def test_an_update_paused_rolled_back_then_completed_is_one_incident(swarm, channels, evaluate):
    _rule(channels, kind=Rule.Kind.UPDATE_FAILED)
    now = timezone.now()
    swarm["statuses"] = {"svc1": engine.UpdateStatus("paused", now, None, "update paused due to failure")}
    evaluate(now)
    body = delivery_message(Delivery.objects.first()).body
    assert "Swarm paused the update of web. Swarm's message: update paused due to failure" in body

    # Rolled back, then updated again: the same incident until an update completes.
    for seconds, state in ((15, "rollback_started"), (30, "rollback_completed"), (45, "updating")):
        swarm["statuses"] = {"svc1": engine.UpdateStatus(state, now, None, "")}
        evaluate(now + timedelta(seconds=seconds))
        assert Incident.objects.get().resolved_at is None, state

    swarm["statuses"] = {"svc1": engine.UpdateStatus("completed", now, now, "update completed")}
    evaluate(now + timedelta(seconds=60))
    assert Incident.objects.get().resolved_at is not None
    assert Delivery.objects.filter(kind="resolved").count() == 2


@pytest.mark.django_db
def test_a_failed_job_is_notified_once_and_never_resolved(swarm, channels, evaluate):
    _rule(channels, kind=Rule.Kind.JOB_FAILED)
    now = timezone.now()
    old = Job.objects.create(kind="scale", service_name="web", state="failed", finished_at=now - timedelta(hours=3))
    job = Job.objects.create(
        kind="update", service_id="svc1", service_name="web", state="failed", error_code="unreachable", finished_at=now
    )
    Job.objects.create(kind="scale", service_name="web", state="succeeded", finished_at=now)
    evaluate(now)
    evaluate(now + timedelta(seconds=15))

    incident = Incident.objects.get()
    assert incident.subject == str(job.id) != str(old.id)
    assert incident.resolved_at == now  # one-shot
    assert _kinds() == [("opened", "hook"), ("opened", "phone")]
    body = delivery_message(Delivery.objects.first()).body
    assert f"Job #{job.id} (Update of web) failed." in body
    assert "cannot be reached" in body
    assert body.endswith(f"/jobs/{job.id}/")


@pytest.mark.django_db
def test_a_node_down(swarm, channels, evaluate):
    _rule(channels, kind=Rule.Kind.NODE_DOWN, duration_minutes=0)
    now = timezone.now()
    swarm["nodes"] = [_node("node1", "ready"), _node("node2", "down")]
    evaluate(now)
    incident = Incident.objects.get()
    assert (incident.subject, incident.subject_name) == ("node2", "host-node2")
    assert "Node host-node2 is down." in delivery_message(Delivery.objects.first()).body

    swarm["nodes"] = [_node("node1", "ready"), _node("node2", "ready")]
    evaluate(now + timedelta(seconds=15))
    assert Delivery.objects.filter(kind="resolved").count() == 2


@pytest.mark.django_db
def test_a_watcher_disconnected(swarm, channels, evaluate, settings):
    settings.SWARMDECK_WATCHER_STALE_SECONDS = 90
    _rule(channels, kind=Rule.Kind.WATCHER_DOWN, duration_minutes=1)
    Watcher.objects.create(name="manager-1", state=Watcher.State.CONNECTED)
    stuck = Watcher.objects.create(name="worker-2", state=Watcher.State.RECONNECTING)
    now = timezone.now()
    evaluate(now)
    evaluate(now + timedelta(seconds=61))

    incident = Incident.objects.get()
    assert incident.subject == "worker-2"
    assert incident.opened_at == now + timedelta(seconds=61)
    assert "The watcher worker-2 is not connected" in delivery_message(Delivery.objects.first()).body

    Watcher.objects.filter(id=stuck.id).update(state=Watcher.State.CONNECTED)
    evaluate(now + timedelta(seconds=75))
    assert Incident.objects.get().resolved_at is not None


# --- sending ----------------------------------------------------------------------------------


@pytest.fixture
def delivery(channels) -> Delivery:
    return Delivery.objects.create(channel=channels[0], kind=Delivery.Kind.TEST)


@pytest.mark.django_db
def test_sending_twice_sends_once(delivery, monkeypatch):
    sent = []
    monkeypatch.setattr(sending, "apprise_send", lambda **message: sent.append(message) or "")

    celery_tasks.delivery_send_task.apply(args=[delivery.id])
    celery_tasks.delivery_send_task.apply(args=[delivery.id])  # redelivered after the success

    assert len(sent) == 1
    assert sent[0]["url"] == "json://hook.example/"
    assert sent[0]["title"] == "Swarmdeck: test notification"
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.error) == ("sent", 1, "")
    assert delivery.sent_at is not None


@pytest.mark.django_db
def test_a_failed_sending_is_retried_then_recorded_with_apprise_s_words(delivery):
    channel = delivery.channel
    channel.url = f"json://127.0.0.1:{free_port()}/"  # nothing listens there
    channel.save()

    assert delivery_send(delivery_id=delivery.id, last_try=False) is True  # to be tried again
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("queued", 1)

    celery_tasks.delivery_send_task.apply(args=[delivery.id])  # eager: its retries run at once

    delivery.refresh_from_db()
    assert delivery.state == "failed"
    assert delivery.attempts == 1 + 1 + celery_tasks.SEND_RETRIES
    assert "Connection error occurred sending JSON notification to 127.0.0.1" in delivery.error


@pytest.mark.django_db
def test_links_are_absolute_with_swarmdeck_url(delivery, settings, admin_login):
    settings.SWARMDECK_URL = "https://swarm.example.com"
    assert delivery_message(delivery).body.endswith("\nhttps://swarm.example.com/notifications/")
    settings.SWARMDECK_URL = ""
    assert delivery_message(delivery).body.endswith("\n/notifications/")


@pytest.mark.django_db
def test_messages_are_in_the_installation_admin_s_language(admin_login):
    from accounts.models import Profile

    assert panel_language() == "en"
    Profile.objects.filter(user__username=admin_login.username).update(language="es")
    assert panel_language() == "es"


# --- pages ------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_only_admins_reach_the_notifications(role_client, role, channels):
    client = role_client(role)
    assert client.get(reverse("notifications:list")).status_code == 403
    assert client.post(reverse("notifications:channel_test", args=[channels[0].id])).status_code == 403
    assert client.post(reverse("notifications:channel_create"), {"name": "x", "url": "json://x/"}).status_code == 403
    assert not Delivery.objects.exists()
    assert Channel.objects.count() == 2


@pytest.mark.django_db
def test_a_bad_apprise_url_is_refused_and_nothing_saved(panel_client):
    response = panel_client.post(reverse("notifications:channel_create"), {"name": "bad", "url": "nosuch://thing"})

    assert response.status_code == 200
    assert "Apprise does not understand this URL" in response.content.decode()
    assert not Channel.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "secret"),
    [
        (f"ntfy://alice:{NTFY_SECRET}@ntfy.example.com/alerts", NTFY_SECRET),
        (f"slack://T1234ABCD/B5678EFGH/{SLACK_SECRET}", SLACK_SECRET),
        (f"json://hooks.example.com/in?+Authorization=Bearer%20{SLACK_SECRET}", SLACK_SECRET),
    ],
)
def test_a_channel_s_secret_is_never_shown_nor_stored_in_clear(panel_client, url, secret):
    response = panel_client.post(reverse("notifications:channel_create"), {"name": "ops", "url": url})
    assert response.status_code == 302

    channel = Channel.objects.get()
    assert channel.url == url
    assert secret not in channel.sealed_url
    assert secret not in channel.display_url
    page = panel_client.get(reverse("notifications:list")).content.decode()
    assert channel.display_url in page
    assert secret not in page


@pytest.mark.django_db
def test_a_refused_url_is_not_sent_back_to_the_browser(panel_client):
    url = f"nosuch://alice:{NTFY_SECRET}@example.com"
    response = panel_client.post(reverse("notifications:channel_create"), {"name": "ops", "url": url})
    assert NTFY_SECRET not in response.content.decode()


@pytest.mark.django_db
def test_send_test_queues_a_test_delivery_shown_in_the_history(
    panel_client, channels, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = panel_client.post(reverse("notifications:channel_test", args=[channels[0].id]))
    assert response.status_code == 302

    delivery = Delivery.objects.get()
    assert (delivery.kind, delivery.channel, delivery.incident) == ("test", channels[0], None)
    assert queued == [delivery.id]
    page = panel_client.get(reverse("notifications:list")).content.decode()
    assert f'data-delivery="{delivery.id}" data-state="queued"' in page


@pytest.mark.django_db
def test_the_page_says_links_need_swarmdeck_url(panel_client, settings):
    settings.SWARMDECK_URL = ""
    assert 'id="no-panel-url"' in panel_client.get(reverse("notifications:list")).content.decode()
    settings.SWARMDECK_URL = "https://swarm.example.com"
    assert 'id="no-panel-url"' not in panel_client.get(reverse("notifications:list")).content.decode()


@pytest.mark.django_db
def test_rules_are_added_edited_disabled_and_removed(panel_client, channels):
    response = panel_client.post(
        reverse("notifications:rule_create"),
        {
            "name": "crashes",
            "kind": "crash_loop",
            "restarts": "5",
            "window_minutes": "10",
            "duration_minutes": "2",
            "service_filter": "",
            "channels": [channels[0].id],
        },
    )
    assert response.status_code == 302
    rule = Rule.objects.get()
    assert (rule.restarts, rule.window_minutes, list(rule.channels.all())) == (5, 10, [channels[0]])
    page = panel_client.get(reverse("notifications:list")).content.decode()
    assert "Crash loop: 5 restarts within 10 minutes" in page

    panel_client.post(reverse("notifications:rule_enable", args=[rule.id]), {"enabled": "0"})
    rule.refresh_from_db()
    assert rule.enabled is False

    panel_client.post(reverse("notifications:rule_remove", args=[rule.id]))
    assert not Rule.objects.exists()


@pytest.mark.django_db
def test_a_rule_s_numbers_are_bounded(panel_client):
    response = panel_client.post(
        reverse("notifications:rule_create"),
        {"name": "x", "kind": "crash_loop", "restarts": "0", "window_minutes": "5", "duration_minutes": "2"},
    )
    assert response.status_code == 200
    assert not Rule.objects.exists()


def test_a_rule_s_defaults():
    rule = Rule()
    assert (rule.restarts, rule.window_minutes, rule.duration_minutes) == (3, 5, 2)
