"""Notifications on the real stack (daphne, the Celery worker and beat, the watcher, the sandbox
engine), received by a webhook the test runs: a crash-looping service is one notification however
long it loops, and one "resolved" once it is fixed; the "Send test" button in chromium."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import docker
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from history.models import Task
from notifications.models import Channel, Delivery, Rule
from notifications.sending import channel_display_url

from .conftest import ARTIFACTS, browser_login, running_tasks, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SECOND = 1_000_000_000


class Receiver:
    """A webhook on 127.0.0.1 (the worker runs on this host): what Apprise's json:// posts to it."""

    def __init__(self) -> None:
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"json://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def about(self, name: str) -> list[dict]:
        return [message for message in self.received if name in message["title"]]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def beat(stack) -> Iterator[None]:
    """Celery beat, which runs the rules: the stack fixture starts none (the other tests would see
    its periodic tasks run), so this test starts its own, passing every 2 s instead of every 15."""
    stack.env["SWARMDECK_NOTIFICATIONS_SECONDS"] = "2"
    try:
        stack.start("beat")
    finally:
        del stack.env["SWARMDECK_NOTIFICATIONS_SECONDS"]
    yield
    stack.stop("beat")


def _channel(receiver: Receiver) -> Channel:
    channel = Channel(name=f"hook-{uuid.uuid4().hex[:6]}", display_url=channel_display_url(receiver.url))
    channel.url = receiver.url
    channel.save()
    return channel


def test_a_crash_loop_is_one_notification_and_one_resolved(stack, beat, receiver, make_service, docker_client):
    service = make_service(
        command=("sh", "-c", "sleep 1; exit 3"),
        restart_policy=docker.types.RestartPolicy(condition="any", delay=SECOND),
    )
    rule = Rule.objects.create(
        name="crash loop", kind=Rule.Kind.CRASH_LOOP, restarts=3, window_minutes=1, service_filter=service.name
    )
    rule.channels.set([_channel(receiver)])

    wait_until(lambda: receiver.about(service.name), timeout=90, message="no notification of the crash loop")
    opened = receiver.about(service.name)[0]
    assert opened["type"] == "failure"
    assert f"{service.name} restarted" in opened["message"]
    assert "Last exit code: 3." in opened["message"]
    assert f"/services/{service.id}/" in opened["message"]

    # The storm: the service keeps crashing, and the history gets 100 more restarts on top.
    crashes = Task.objects.filter(service_id=service.id, end_cause=Task.EndCause.EXIT)
    seen = crashes.count()
    now = timezone.now()
    Task.objects.bulk_create(
        Task(
            task_id=f"storm-{uuid.uuid4().hex}",
            service_id=service.id,
            service_name=service.name,
            state="failed",
            created_at=now - timedelta(seconds=1),
            state_at=now,
            ended_at=now,
            end_cause=Task.EndCause.EXIT,
            exit_code=3,
        )
        for _ in range(100)
    )
    wait_until(lambda: crashes.count() >= seen + 100 + 5, timeout=60, message="the service stopped crashing")
    assert len(receiver.about(service.name)) == 1

    service.reload()  # the version the update must name
    service.update(command=["sleep", "100000"])
    wait_until(lambda: running_tasks(service) == 1, timeout=60, message="the fixed service does not run")
    # Resolved once a whole window (1 minute) passed without a restart, with its replica running.
    wait_until(lambda: len(receiver.about(service.name)) >= 2, timeout=150, message="no resolved notification")
    resolved = receiver.about(service.name)[1]
    assert resolved["type"] == "success"
    assert "resolved" in resolved["title"]
    assert f"{service.name} is fine again" in resolved["message"]

    # Nothing more: the passes that follow (every 2 s) find nothing new.
    wait_until(lambda: len(receiver.about(service.name)) > 2, timeout=10, fail=False)
    assert len(receiver.about(service.name)) == 2
    assert list(Delivery.objects.filter(incident__rule=rule).values_list("kind", "state")) == [
        ("resolved", "sent"),
        ("opened", "sent"),
    ]


def test_an_admin_sends_a_test_notification(stack, page, admin_login, receiver):
    name = f"hook-{uuid.uuid4().hex[:6]}"
    try:
        browser_login(page, stack.url, admin_login)
        page.goto(f"{stack.url}/notifications/")
        page.click("#add-channel")
        page.fill("#id_name", name)
        page.fill("#id_url", receiver.url)
        page.click("#submit-channel")
        page.wait_for_url(f"{stack.url}/notifications/")
        row = page.locator("table.channels tr", has_text=name)
        with page.expect_navigation():  # back to the same page, after the POST
            row.locator("button.send-test").click()

        tests = Delivery.objects.filter(channel__name=name, kind="test")
        history = lambda: list(tests.values_list("state", "attempts", "error"))  # noqa: E731
        wait_until(lambda: receiver.received, timeout=30, message=f"the test did not arrive: {history()}")
        assert receiver.received[0]["title"] == "Swarmdeck: test notification"
        wait_until(lambda: history()[0][0] == "sent", timeout=10, message=f"not recorded as sent: {history()}")
        page.reload()  # the page shows the history as it is when read
        delivery = page.locator("table.deliveries tr.delivery", has_text=name)
        expect(delivery).to_have_attribute("data-state", "sent")
        page.screenshot(path=ARTIFACTS / "notifications.png")
    finally:
        Channel.objects.filter(name=name).delete()
