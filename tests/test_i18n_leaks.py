"""No English word reaches a Spanish or Chinese page, whole msgid or not.

tests/test_i18n.py finds text that equals a whole msgid; this finds a single English word inside
any text: Docker's state words (a raw "running", "rollback_started", "container die") and our own
UI words. Each main page is rendered in es and zh-hans with the recorded swarm (rec-web: update
paused, killed as unhealthy; rec-crash: exits over and over), a history of events and restarts in
several kinds, watchers in each state, and a rolled-back update job.

What may stay English is left out before looking: code and preformatted text, the engine's own
words (class ``engine-message``), the language bar (each language in its own), attribute values
(classes, data-*), and the names users and the engine chose (services, images, nodes, labels).
"""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

import engine
from history.models import ServiceEvent, Task
from jobs.models import Job
from watcher.models import Watcher

from .fixtures_fake import CRASH, WEB_ID
from .test_glossary import glossary

LANGUAGES = ("es", "zh-hans")

# Docker's words for its states, events and modes, as the engine sends them.
DOCKER_WORDS = {
    "running", "shutdown", "complete", "failed", "rejected", "pending", "assigned", "accepted",
    "preparing", "starting", "ready", "orphaned", "remove", "healthy", "unhealthy", "active", "pause",
    "drain", "down", "unknown", "disconnected", "manager", "worker", "leader", "reachable", "replicated",
    "global", "updating", "paused", "completed", "rollback_started", "rollback_paused",
    "rollback_completed", "die", "kill", "oom", "exit", "create", "destroy", "update", "start", "stop",
    "restart",
}  # fmt: skip
# Our own words for the things on every page (matched with their capital, as the UI writes them).
UI_WORDS = {
    "Service",
    "Task",
    "Node",
    "Job",
    "Replicas",
    "Restarts",
    "Update",
    "Scale",
    "Redeploy",
    "Health",
    "Overview",
}

# Words a language writes as English does. Spanish keeps Docker's "manager" and "worker" (the
# glossary's es column equals the English term) and "global" is a Spanish word.
SAME_WORD = {
    "es": {"global"} | {term.term.split()[0] for term in glossary() if term.words["es"] == term.term.split()[0]},
    "zh-hans": set(),
}


class _Visible(HTMLParser):
    """The text a reader sees, without what may stay English (see the module's docstring)."""

    SKIPPED_TAGS = ("script", "style", "code", "pre")
    SKIPPED_CLASSES = ("engine-message", "language-bar")
    VOID = ("input", "br", "img", "meta", "link", "hr", "source", "wbr", "col", "area")

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        classes = (dict(attrs).get("class") or "").split()
        if self.skipping or tag in self.SKIPPED_TAGS or set(classes) & set(self.SKIPPED_CLASSES):
            self.skipping.append(tag)

    def handle_endtag(self, tag):
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data):
        if not self.skipping and data.strip():
            self.texts.append(" ".join(data.split()))


def _chosen_names() -> list[str]:
    """What users and the engine named: shown as written in every language (longest first)."""
    names = {"admin", "Swarmdeck"}
    for service in engine.service_list():
        names |= {service.name, service.image, *service.labels.keys(), *service.labels.values()}
    for listed in engine.node_list():
        node = engine.node_get(node_id=listed.id)
        names |= {node.hostname, node.os, node.architecture, *node.labels, *node.labels.values()}
        names |= {*node.engine_labels, *node.engine_labels.values()}
    names |= set(Watcher.objects.values_list("name", flat=True))
    return sorted((name for name in names if name), key=len, reverse=True)


# A command-line option and its value, written as the engine's CLI takes them in advice
# ("--update-failure-action rollback").
_OPTION = re.compile(r"--[\w-]+(?:[ =][a-z][\w-]*)?")


def leaks(html: str, language: str, names: list[str]) -> list[str]:
    """Each visible text that holds an English state or UI word, with the word."""
    parser = _Visible()
    parser.feed(html)
    found = []
    for text in parser.texts:
        for name in names:
            text = " ".join(text.replace(name, " ").split())
        text = _OPTION.sub(" ", text)
        for word in re.findall(r"[A-Za-z][A-Za-z_]*", text):
            english = word.lower() in DOCKER_WORDS or word in UI_WORDS
            if english and word.lower() not in SAME_WORD[language]:
                found.append(f"{word!r} in {text!r}")
    return found


# --- the swarm's history and the jobs ---------------------------------------------------------------


@pytest.fixture
def history(fake_engine, db):
    """Events of every kind and restarts of several causes for rec-crash; watchers in each state."""
    crash = next(service for service in engine.service_list() if service.name == CRASH)
    now = timezone.now()
    events = [
        ("container_start", {"task": f"{CRASH}.1"}),
        ("container_die", {"task": f"{CRASH}.1", "exit_code": 137}),
        ("container_kill", {"task": f"{CRASH}.1", "signal": "9"}),
        ("container_oom", {"task": f"{CRASH}.1"}),
        ("health", {"task": f"{CRASH}.1", "health": "unhealthy"}),
        ("health", {"task": f"{CRASH}.1", "health": "healthy"}),
        ("update_status", {"state": "rollback_completed", "message": "rollback completed"}),
        ("service_update", {"attributes": {"updatestate.old": "updating", "updatestate.new": "rollback_started"}}),
        ("service_update", {"attributes": {"replicas.old": "1", "replicas.new": "2"}}),
        ("service_create", {"attributes": {}}),
    ]
    for number, (kind, params) in enumerate(events):
        ServiceEvent.objects.create(
            key=f"leak-{number}",
            service_id=crash.id,
            service_name=CRASH,
            at=now - timedelta(minutes=number),
            kind=kind,
            params=params,
        )
    for number, (cause, state, exit_code) in enumerate(
        [("exit", "failed", 1), ("unhealthy", "shutdown", 137), ("node", "orphaned", None), ("update", "shutdown", 0)]
        * 3
    ):
        ended = now - timedelta(minutes=5 * number + 1)
        Task.objects.create(
            task_id=f"leak-task-{number}",
            service_id=crash.id,
            service_name=CRASH,
            slot=1,
            state=state,
            desired_state="shutdown",
            exit_code=exit_code,
            error="task: non-zero exit (1)" if cause == "exit" else "",
            created_at=ended - timedelta(minutes=1),
            state_at=ended,
            ended_at=ended,
            end_cause=cause,
        )
    for name, state in [("watcher-a", "connected"), ("watcher-b", "reconnecting"), ("watcher-c", "stopped")]:
        Watcher.objects.create(name=name, state=state, heartbeat_at=now)
    return crash


def _steps(*steps: tuple[str, dict]) -> list[dict]:
    return [{"at": timezone.now().isoformat(), "code": code, "params": params} for code, params in steps]


@pytest.fixture
def rolled_back(db, admin_login):
    """An update that failed and that Swarm rolled back, as the runner writes it."""
    return Job.objects.create(
        kind=Job.Kind.UPDATE,
        service_id=WEB_ID,
        service_name="rec-web",
        state=Job.State.ROLLED_BACK,
        update_state="rollback_completed",
        steps=_steps(
            ("queued", {"user": admin_login.username}),
            ("claimed", {"attempt": 1}),
            ("updated", {}),
            ("update_state", {"state": "updating"}),
            ("progress", {"done": 1, "total": 2}),
            ("update_state", {"state": "paused"}),
            ("update_state", {"state": "rollback_started"}),
            ("update_state", {"state": "rollback_paused"}),
            ("update_state", {"state": "rollback_completed"}),
            ("update_state", {"state": "completed"}),
            ("error:rolled_back", {"message": "update rolled back due to failure or early termination of task x"}),
        ),
        error_code="rolled_back",
        error="update rolled back due to failure or early termination of task x",
        progress_done=1,
        progress_total=2,
        attempts=1,
    )


@pytest.fixture
def scaled(db):
    return Job.objects.create(
        kind=Job.Kind.SCALE,
        service_id=WEB_ID,
        service_name="rec-web",
        params={"replicas": 3},
        state=Job.State.SUCCEEDED,
        steps=_steps(("scaled", {"replicas": 3}), ("converged", {"running": 3, "desired": 3}), ("succeeded", {})),
    )


def _pages(client, crash, job) -> dict[str, str]:
    node = engine.node_list()[0]
    pages = {}
    for name, url in [
        ("crash-looping service", reverse("services:detail", args=[crash.id])),
        ("services", reverse("services:list")),
        ("nodes", reverse("nodes:list")),
        ("node", reverse("nodes:detail", args=[node.id])),
        ("rolled-back job", reverse("jobs:detail", args=[job.id])),
        ("jobs", reverse("jobs:list")),
        ("overview", reverse("overview")),
    ]:
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        pages[name] = response.content.decode()
    return pages


# --- tests ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_english_state_or_ui_word_reaches_the_main_pages(panel_client, history, rolled_back, scaled, language):
    panel_client.cookies["django_language"] = language

    pages = _pages(panel_client, history, rolled_back)

    names = _chosen_names()
    found = {name: leaks(html, language, names) for name, html in pages.items()}
    assert all(f'<html lang="{language}">' in html for html in pages.values())
    assert {name: words for name, words in found.items() if words} == {}


def test_the_english_pages_show_every_kind_of_word_the_check_looks_for(panel_client, history, rolled_back, scaled):
    """The check sees English: on the English pages it finds Docker's words and ours."""
    pages = _pages(panel_client, history, rolled_back)

    names = _chosen_names()
    words = {found.split("'")[1] for html in pages.values() for found in leaks(html, "zh-hans", names)}
    # A task state, a node's availability and role, a health status, an update state, UI words.
    assert {"running", "active", "manager", "unhealthy", "paused", "Service", "Restarts"} <= words


def test_the_engine_words_and_chosen_names_are_left_out():
    html = (
        '<p>running <code>running</code><span class="muted engine-message">task: running</span>'
        '<span data-state="running" title="x">ok</span></p><pre>paused</pre>'
        '<form class="language-bar"><button lang="en">English Update</button></form><td>rec-web update</td>'
    )

    assert leaks(html, "zh-hans", ["rec-web"]) == ["'running' in 'running'", "'update' in 'update'"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_job_page_title_is_a_noun_phrase(panel_client, scaled, language):
    """Not the button's verb glued to a name ("Escalar web"): one whole phrase per kind."""
    panel_client.cookies["django_language"] = language

    html = panel_client.get(reverse("jobs:detail", args=[scaled.id])).content.decode()

    heading = " ".join(re.search(r"<h1>(.*?)</h1>", html, re.S).group(1).split())
    if language == "es":
        assert re.fullmatch(rf"Trabajo n\.º {scaled.id}: Escalado de rec-web", heading), heading
    else:
        assert "rec-web" in heading
        assert not re.search("[A-Za-z]", heading.replace("rec-web", "")), heading  # all of it in Chinese


def test_every_job_kind_has_a_title():
    from jobs.messages import TITLES

    assert set(TITLES) == set(Job.Kind.values)
