"""Node jobs and the node page: form -> Job row -> runner -> the engine write (with the node's
version), conflicts retried, a drain followed until the node's tasks left it, and the bad inputs the
engine would refuse stopped at the form with no job and no write. The engine is the fake one
(tests/fake_engine.py): the recorded single-manager swarm, plus workers made from its node."""

from __future__ import annotations

import copy
import re
from datetime import timedelta

import pytest
from django.urls import resolve, reverse
from django.utils import timezone

import engine
from history.models import Task
from jobs import runner
from jobs.models import Job
from jobs.runner import job_run
from nodes import runners as node_runners
from watcher.models import Watcher

from .fake_engine import api_error, unreachable

MANAGER_ID = "ttw5tgi24u6lu31you8fcoh7n"  # the recorded swarm's only node, a manager ("vm")
WORKER_ID = "wrk1wrk1wrk1wrk1wrk1wrk1w"
# Recorded tasks running with desired state running, moved onto the worker by the fixture.
WORKER_TASKS = ["dbq7zw5efez9ba0yi2j02one2", "nfq040slufoo2oslhjdtdpqby"]


@pytest.fixture
def swarm(fake_engine, db, memory_channel_layer, no_enqueue):
    """The recorded swarm with a worker (worker-1, ready, active) running two of the recorded tasks."""
    fake_engine.node_add(WORKER_ID, "worker-1")
    for task in fake_engine.raw_tasks():
        if task["ID"] in WORKER_TASKS:
            task["NodeID"] = WORKER_ID
    return fake_engine


def _post(client, name: str, node_id: str, data: dict, capture):
    with capture(execute=True):
        return client.post(reverse(f"nodes:{name}", args=[node_id]), data)


def _node_writes(fake) -> list:
    return [write for write in fake.writes if write.path.startswith("/nodes/") or write.method == "remove_node"]


def _codes(job: Job) -> list[str]:
    return [step["code"] for step in job.steps]


def _asked_and_run(response, no_enqueue) -> Job:
    """The job a valid submit asked for: the browser is sent to its page; then the worker runs it."""
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:detail", args=[job.id])
    assert no_enqueue == [job.id]
    job_run(job_id=job.id)
    job.refresh_from_db()
    return job


def _nothing_asked(fake, no_enqueue) -> None:
    assert Job.objects.count() == 0
    assert no_enqueue == []
    assert _node_writes(fake) == []


def _move_off(fake, task_id: str, *, replaced: bool = True) -> None:
    """What Swarm does to a drained node's task: shuts it down, and starts its slot's replacement
    on another node (``replaced``: once that one runs)."""
    task = next(task for task in fake.raw_tasks() if task["ID"] == task_id)
    task["DesiredState"] = "shutdown"
    task["Status"]["State"] = "shutdown"
    if replaced:
        replacement = copy.deepcopy(task)
        replacement.update(ID=task_id[::-1], NodeID=MANAGER_ID, DesiredState="running")
        replacement["Status"]["State"] = "running"
        fake.task_add(replacement)


# --- the engine adapter ----------------------------------------------------------------------------


def test_node_get_reads_the_recorded_node(fake_engine):
    node = engine.node_get(node_id=MANAGER_ID)

    assert (node.hostname, node.role, node.availability, node.state, node.leader) == (
        "vm",
        "manager",
        "active",
        "ready",
        True,
    )
    assert (node.version, node.labels, node.reachability, node.manager_address) == (
        232,
        {},
        "reachable",
        "127.0.0.1:2377",
    )
    assert (node.nano_cpus, node.cpus, node.memory_bytes) == (2_000_000_000, 2.0, 25276510208)
    assert (node.os, node.architecture, node.engine_version) == ("linux", "x86_64", "20.10.24+dfsg1")
    assert node.spec == {"Availability": "active", "Labels": {}, "Role": "manager"}


def test_unknown_node_is_node_not_found(fake_engine):
    with pytest.raises(engine.NodeNotFound) as caught:
        engine.node_get(node_id="nosuchnode")
    assert caught.value.code == "node_not_found"


def test_task_list_filters_by_node(swarm):
    on_worker = engine.task_list(node_id=WORKER_ID, desired_running=True)

    assert sorted(task.id for task in on_worker) == WORKER_TASKS
    assert ("tasks", {"filters": {"node": WORKER_ID, "desired-state": "running"}}) in swarm.calls


def test_node_update_sends_the_whole_spec_with_the_version_and_skips_no_change(swarm):
    node = engine.node_get(node_id=WORKER_ID)

    assert engine.node_update(node_id=node.id, version=node.version, spec=node.spec, availability="active") is False
    assert engine.node_update(node_id=node.id, version=node.version, spec=node.spec, labels={"zone": "eu"}) is True

    [write] = _node_writes(swarm)
    assert (write.path, write.params) == (f"/nodes/{WORKER_ID}/update", {"version": 10})
    assert write.body == {"Availability": "active", "Labels": {"zone": "eu"}, "Role": "worker"}
    with pytest.raises(engine.NodeConflict) as caught:  # the version read before that write
        engine.node_update(node_id=node.id, version=node.version, spec=node.spec, role="manager")
    assert caught.value.code == "node_conflict"


# --- availability ------------------------------------------------------------------------------------


def test_pause_asks_for_a_job_that_writes_the_availability_with_the_version(
    panel_client, swarm, no_enqueue, django_capture_on_commit_callbacks
):
    response = _post(
        panel_client, "availability", WORKER_ID, {"availability": "pause"}, django_capture_on_commit_callbacks
    )

    job = _asked_and_run(response, no_enqueue)
    assert (job.kind, job.node_id, job.node_name, job.service_id, job.service_name) == (
        "node_availability",
        WORKER_ID,
        "worker-1",
        "",
        "",
    )
    assert (job.params, job.state) == ({"availability": "pause"}, "succeeded")
    [write] = _node_writes(swarm)
    assert (write.method, write.path, write.params) == ("post", f"/nodes/{WORKER_ID}/update", {"version": 10})
    assert write.body == {"Availability": "pause", "Labels": {}, "Role": "worker"}
    assert "node_paused" in _codes(job)
    assert swarm.raw_node(WORKER_ID)["Spec"]["Availability"] == "pause"


def test_drain_asks_first_listing_the_tasks_that_will_move(
    panel_client, swarm, no_enqueue, django_capture_on_commit_callbacks
):
    response = _post(
        panel_client, "availability", WORKER_ID, {"availability": "drain"}, django_capture_on_commit_callbacks
    )

    page = response.content.decode()
    assert response.status_code == 200
    for task_id in WORKER_TASKS:
        assert f'data-task-id="{task_id}"' in page
    assert "rec-web" in page and "rec-mounts" in page
    assert 'name="confirm" value="1"' in page
    _nothing_asked(swarm, no_enqueue)

    confirmed = {"availability": "drain", "confirm": "1"}
    response = _post(panel_client, "availability", WORKER_ID, confirmed, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert Job.objects.get().params == {"availability": "drain"}


def test_drain_follows_the_tasks_until_none_runs_on_the_node(
    panel_client, swarm, no_enqueue, django_capture_on_commit_callbacks, monkeypatch
):
    leaving = list(WORKER_TASKS)
    monkeypatch.setattr(node_runners.time, "sleep", lambda seconds: _move_off(swarm, leaving.pop(0)))
    confirmed = {"availability": "drain", "confirm": "1"}

    job = _asked_and_run(
        _post(panel_client, "availability", WORKER_ID, confirmed, django_capture_on_commit_callbacks), no_enqueue
    )

    assert job.state == "succeeded", job.steps
    assert _codes(job) == [
        "queued",
        "claimed",
        "drain_tasks",
        "node_drained",
        "drain_progress",
        "drain_progress",
        "drain_done",
        "succeeded",
    ]
    assert job.steps[2]["params"]["count"] == 2
    assert [task["id"] for task in job.steps[2]["params"]["tasks"]] == WORKER_TASKS
    assert [step["params"] for step in job.steps if step["code"] == "drain_progress"] == [
        {"moved": 1, "total": 2},
        {"moved": 2, "total": 2},
    ]
    assert (job.progress_done, job.progress_total) == (2, 2)
    [write] = _node_writes(swarm)
    assert write.body["Availability"] == "drain" and write.params == {"version": 10}


def test_a_drained_task_counts_as_moved_only_once_its_replacement_runs(
    panel_client, swarm, no_enqueue, django_capture_on_commit_callbacks, monkeypatch
):
    moves = [
        lambda: _move_off(swarm, WORKER_TASKS[0], replaced=False),  # stopped, not yet elsewhere
        lambda: _move_off(swarm, WORKER_TASKS[1]),
        lambda: _move_off(swarm, WORKER_TASKS[0]),
    ]
    monkeypatch.setattr(node_runners.time, "sleep", lambda seconds: moves.pop(0)())

    job = _asked_and_run(
        _post(
            panel_client,
            "availability",
            WORKER_ID,
            {"availability": "drain", "confirm": "1"},
            django_capture_on_commit_callbacks,
        ),
        no_enqueue,
    )

    assert job.state == "succeeded", job.steps
    assert [step["params"]["moved"] for step in job.steps if step["code"] == "drain_progress"] == [1, 2]
    assert not moves


def test_drain_that_does_not_empty_the_node_fails_at_the_rollout_timeout(
    panel_client, swarm, no_enqueue, django_capture_on_commit_callbacks, monkeypatch, settings
):
    settings.SWARMDECK_ROLLOUT_TIMEOUT = 5
    clock = [1000.0]
    monkeypatch.setattr(node_runners.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(node_runners.time, "sleep", lambda seconds: clock.__setitem__(0, clock[0] + seconds))
    # A task Swarm cannot move (say, pinned by a constraint to this node) stays running there.
    confirmed = {"availability": "drain", "confirm": "1"}

    job = _asked_and_run(
        _post(panel_client, "availability", WORKER_ID, confirmed, django_capture_on_commit_callbacks), no_enqueue
    )

    assert (job.state, job.error_code) == ("failed", "drain_timeout")
    assert job.steps[-1]["params"] == {"remaining": 2, "seconds": 5}
    page = panel_client.get(reverse("jobs:detail", args=[job.id])).content.decode()
    assert "2 tasks did not run elsewhere after 5 seconds" in page


def test_a_drained_node_drained_again_is_unchanged_and_succeeds(
    panel_client, swarm, no_enqueue, django_capture_on_commit_callbacks
):
    swarm.raw_node(WORKER_ID)["Spec"]["Availability"] = "drain"
    for task_id in WORKER_TASKS:
        _move_off(swarm, task_id)

    # Already drained: no question to ask, nothing to move.
    response = _post(
        panel_client, "availability", WORKER_ID, {"availability": "drain"}, django_capture_on_commit_callbacks
    )
    job = _asked_and_run(response, no_enqueue)

    assert job.state == "succeeded"
    assert _codes(job) == ["queued", "claimed", "drain_tasks", "node_unchanged", "drain_done", "succeeded"]
    assert _node_writes(swarm) == []


def test_a_node_changed_meanwhile_gets_the_change_on_its_new_version(swarm, monkeypatch):
    job = node_runners.job_availability_request(node=engine.node_get(node_id=WORKER_ID), availability="pause")
    read, bumped = swarm.inspect_node, []

    def read_then_someone_writes(node_id: str) -> dict:
        raw = read(node_id)
        if not bumped:  # another change lands between the job's first read and its write
            bumped.append(node_id)
            swarm.raw_node(node_id)["Version"]["Index"] += 1
        return raw

    monkeypatch.setattr(swarm, "inspect_node", read_then_someone_writes)

    job_run(job_id=job.id)

    job.refresh_from_db()
    assert job.state == "succeeded", job.steps
    assert ("node_conflict_retry", {"attempt": 2}) in [(step["code"], step["params"]) for step in job.steps]
    # The first write names the version read before the other change, and the engine refuses it.
    assert [write.params for write in _node_writes(swarm)] == [{"version": 10}, {"version": 11}]
    assert swarm.raw_node(WORKER_ID)["Spec"]["Availability"] == "pause"


def test_a_node_that_keeps_changing_fails_the_job_with_the_conflict(swarm, monkeypatch, settings):
    settings.SWARMDECK_JOB_CONFLICT_RETRIES = 1
    read = swarm.inspect_node

    def always_behind(node_id: str) -> dict:
        raw = read(node_id)
        swarm.raw_node(node_id)["Version"]["Index"] += 1
        return raw

    monkeypatch.setattr(swarm, "inspect_node", always_behind)
    job = Job.objects.create(
        kind=Job.Kind.NODE_ROLE, node_id=WORKER_ID, node_name="worker-1", params={"role": "manager"}
    )

    job_run(job_id=job.id)

    job.refresh_from_db()
    assert (job.state, job.error_code) == ("failed", "node_conflict")
    assert len(_node_writes(swarm)) == 2  # the first try and one retry, both refused
    assert swarm.raw_node(WORKER_ID)["Spec"]["Role"] == "worker"


# --- role --------------------------------------------------------------------------------------------


def test_promote_asks_for_a_job_that_writes_the_role(
    panel_client, swarm, no_enqueue, django_capture_on_commit_callbacks
):
    response = _post(panel_client, "role", WORKER_ID, {"role": "manager"}, django_capture_on_commit_callbacks)

    job = _asked_and_run(response, no_enqueue)
    assert (job.kind, job.params, job.state) == ("node_role", {"role": "manager"}, "succeeded")
    [write] = _node_writes(swarm)
    assert write.body == {"Availability": "active", "Labels": {}, "Role": "manager"} and write.params == {"version": 10}
    assert "node_promoted" in _codes(job)


def test_demoting_the_last_manager_is_a_form_error(panel_client, swarm, no_enqueue, django_capture_on_commit_callbacks):
    response = _post(panel_client, "role", MANAGER_ID, {"role": "worker"}, django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert "the swarm&#x27;s only manager" in response.content.decode()
    _nothing_asked(swarm, no_enqueue)


def test_demoting_a_manager_with_another_one_asks_for_a_job(
    panel_client, swarm, no_enqueue, django_capture_on_commit_callbacks
):
    swarm.node_add("mgr2mgr2mgr2mgr2mgr2mgr2m", "manager-2", role="manager")

    job = _asked_and_run(
        _post(panel_client, "role", MANAGER_ID, {"role": "worker"}, django_capture_on_commit_callbacks), no_enqueue
    )

    assert job.state == "succeeded"
    [write] = _node_writes(swarm)
    assert write.body["Role"] == "worker" and write.params == {"version": 232}


def test_the_engine_refusing_the_last_manager_fails_the_job_in_words(panel_client, swarm):
    # The form stops this; a job asked for when a second manager was there meets the engine's refusal.
    job = Job.objects.create(kind=Job.Kind.NODE_ROLE, node_id=MANAGER_ID, node_name="vm", params={"role": "worker"})

    job_run(job_id=job.id)

    job.refresh_from_db()
    assert (job.state, job.error_code) == ("failed", "last_manager")
    assert "demote the last manager" in job.error
    page = panel_client.get(reverse("jobs:detail", args=[job.id])).content.decode()
    assert "This is the swarm&#x27;s only manager" in page


def test_a_manager_just_promoted_is_demoted_once_it_has_joined_the_managers(panel_client, swarm, settings):
    # The engine's words and status for a demotion that follows a promotion too closely (20.10, 28.x).
    settings.SWARMDECK_JOB_ENGINE_RETRY_SECONDS = 0
    swarm.node_add("mgr2mgr2mgr2mgr2mgr2mgr2m", "manager-2", role="manager")
    swarm.fail(
        "_post_json", api_error(404, "rpc error: code = NotFound desc = can't find manager in raft memberlist"), times=1
    )
    job = Job.objects.create(
        kind=Job.Kind.NODE_ROLE, node_id="mgr2mgr2mgr2mgr2mgr2mgr2m", node_name="manager-2", params={"role": "worker"}
    )

    job_run(job_id=job.id)

    job.refresh_from_db()
    assert job.state == "succeeded", (job.error_code, job.steps)
    assert "engine_retry" in _codes(job)
    assert swarm.raw_node("mgr2mgr2mgr2mgr2mgr2mgr2m")["Spec"]["Role"] == "worker"


# --- labels ------------------------------------------------------------------------------------------


def test_labels_set_and_removed_in_one_write(panel_client, swarm, no_enqueue, django_capture_on_commit_callbacks):
    swarm.raw_node(WORKER_ID)["Spec"]["Labels"] = {"zone": "eu", "old": "x"}
    data = {"add": "zone=us\nrack\n\nssd=true", "remove": ["old"]}

    job = _asked_and_run(_post(panel_client, "labels", WORKER_ID, data, django_capture_on_commit_callbacks), no_enqueue)

    assert job.params == {"add": {"zone": "us", "rack": "", "ssd": "true"}, "remove": ["old"]}
    assert job.state == "succeeded"
    [write] = _node_writes(swarm)
    assert write.body["Labels"] == {"zone": "us", "rack": "", "ssd": "true"} and write.params == {"version": 10}
    assert _codes(job).count("node_label_set") == 3 and "node_label_removed" in _codes(job)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"add": "bad key=1"}, "Line 1: a label is KEY=VALUE"),
        ({"add": "=value"}, "Line 1: a label is KEY=VALUE"),
        ({"add": "a=1\na=2"}, "Line 2: a is given twice."),
        ({"add": "a=1\x00"}, "Null characters are not allowed."),
        ({"add": "k" * 1025 + "=v"}, "a label&#x27;s key may have 1024 characters"),
        ({"remove": ["nosuch"]}, "The node has no label nosuch (any more)."),
        ({"add": "zone=us", "remove": ["zone"]}, "zone: set and removed at once"),
        ({"add": ""}, "Write a label to set or tick one to remove."),
    ],
)
def test_bad_labels_are_form_errors_with_no_job(
    panel_client, swarm, no_enqueue, django_capture_on_commit_callbacks, data, words
):
    swarm.raw_node(WORKER_ID)["Spec"]["Labels"] = {"zone": "eu"}

    response = _post(panel_client, "labels", WORKER_ID, data, django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert words in response.content.decode()
    _nothing_asked(swarm, no_enqueue)


# --- removal -----------------------------------------------------------------------------------------


def test_removing_a_down_node_asks_for_a_job_that_removes_it(
    panel_client, swarm, no_enqueue, django_capture_on_commit_callbacks
):
    swarm.raw_node(WORKER_ID)["Status"]["State"] = "down"
    assert panel_client.get(reverse("nodes:remove", args=[WORKER_ID])).status_code == 200

    response = _post(
        panel_client, "remove", WORKER_ID, {"confirm_name": "worker-1"}, django_capture_on_commit_callbacks
    )

    job = _asked_and_run(response, no_enqueue)
    assert (job.kind, job.params, job.state) == ("node_remove", {"force": False}, "succeeded")
    [write] = _node_writes(swarm)
    assert (write.method, write.args, write.params) == ("remove_node", (WORKER_ID,), {"force": False})
    with pytest.raises(engine.NodeNotFound):
        engine.node_get(node_id=WORKER_ID)


def test_removing_a_node_deletes_its_watcher_rows_only(swarm):
    swarm.raw_node(WORKER_ID)["Status"]["State"] = "down"
    Watcher.objects.create(name="worker-1", node_id=WORKER_ID, hostname="worker-1", state=Watcher.State.STOPPED)
    Watcher.objects.create(name="worker-1-old", node_id=WORKER_ID, hostname="worker-1", state=Watcher.State.STOPPED)
    Watcher.objects.create(name="vm", node_id=MANAGER_ID, hostname="vm", state=Watcher.State.CONNECTED)
    job = node_runners.job_node_remove_request(node=engine.node_get(node_id=WORKER_ID), force=False)

    job_run(job_id=job.id)

    job.refresh_from_db()
    assert job.state == "succeeded", job.steps
    assert list(Watcher.objects.values_list("name", flat=True)) == ["vm"]


def test_a_refused_removal_keeps_the_nodes_watcher(swarm):
    Watcher.objects.create(name="worker-1", node_id=WORKER_ID, hostname="worker-1", state=Watcher.State.CONNECTED)
    job = node_runners.job_node_remove_request(node=engine.node_get(node_id=WORKER_ID), force=False)

    job_run(job_id=job.id)  # the node is up: the engine refuses a removal without force

    job.refresh_from_db()
    assert (job.state, job.error_code) == ("failed", "node_not_down")
    assert Watcher.objects.filter(node_id=WORKER_ID).exists()


def test_removing_a_node_that_is_up_needs_the_force_tick(
    panel_client, swarm, no_enqueue, django_capture_on_commit_callbacks
):
    response = _post(
        panel_client, "remove", WORKER_ID, {"confirm_name": "worker-1"}, django_capture_on_commit_callbacks
    )

    assert response.status_code == 200
    assert "The node is up" in response.content.decode()
    _nothing_asked(swarm, no_enqueue)

    forced = {"confirm_name": "worker-1", "force": "on"}
    job = _asked_and_run(
        _post(panel_client, "remove", WORKER_ID, forced, django_capture_on_commit_callbacks), no_enqueue
    )
    assert job.state == "succeeded"
    [write] = _node_writes(swarm)
    assert write.params == {"force": True}


@pytest.mark.parametrize(
    ("node_id", "data", "words"),
    [
        (WORKER_ID, {"confirm_name": "worker-2", "force": "on"}, "Type the node&#x27;s host name to confirm."),
        (MANAGER_ID, {"confirm_name": "vm", "force": "on"}, "the swarm&#x27;s only manager"),
    ],
)
def test_bad_removals_are_form_errors_with_no_job(
    panel_client, swarm, no_enqueue, django_capture_on_commit_callbacks, node_id, data, words
):
    response = _post(panel_client, "remove", node_id, data, django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert words in response.content.decode()
    _nothing_asked(swarm, no_enqueue)


def test_a_manager_among_others_must_be_demoted_before_removal(
    panel_client, swarm, no_enqueue, django_capture_on_commit_callbacks
):
    swarm.node_add("mgr2mgr2mgr2mgr2mgr2mgr2m", "manager-2", role="manager", state="down")

    data = {"confirm_name": "manager-2", "force": "on"}
    response = _post(panel_client, "remove", "mgr2mgr2mgr2mgr2mgr2mgr2m", data, django_capture_on_commit_callbacks)

    assert "demote it to worker before removing it" in response.content.decode()
    _nothing_asked(swarm, no_enqueue)


def test_the_engine_refusing_an_up_node_fails_the_job_in_words(swarm):
    job = Job.objects.create(
        kind=Job.Kind.NODE_REMOVE, node_id=WORKER_ID, node_name="worker-1", params={"force": False}
    )

    job_run(job_id=job.id)

    job.refresh_from_db()
    assert (job.state, job.error_code) == ("failed", "node_not_down")
    assert _node_writes(swarm) == []


# --- unknown nodes, bad values -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("availability", {"availability": "pause"}),
        ("role", {"role": "manager"}),
        ("labels", {"add": "a=1"}),
        ("remove", {"confirm_name": "x", "force": "on"}),
    ],
)
def test_an_unknown_node_is_an_error_and_no_job(
    panel_client, swarm, no_enqueue, django_capture_on_commit_callbacks, name, data
):
    with django_capture_on_commit_callbacks(execute=True):
        response = panel_client.post(reverse(f"nodes:{name}", args=["nosuchnode"]), data, follow=True)

    assert response.redirect_chain[-1][0] == reverse("nodes:list")
    assert "The node does not exist (any more)." in response.content.decode()
    _nothing_asked(swarm, no_enqueue)


@pytest.mark.parametrize(("name", "data"), [("availability", {"availability": "off"}), ("role", {"role": "leader"})])
def test_unknown_values_are_form_errors_with_no_job(
    panel_client, swarm, no_enqueue, django_capture_on_commit_callbacks, name, data
):
    response = _post(panel_client, name, WORKER_ID, data, django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert "Please correct the errors below; nothing was sent to Docker." in response.content.decode()
    _nothing_asked(swarm, no_enqueue)


def test_node_actions_take_posts_only(panel_client, swarm):
    for name in ("availability", "role", "labels"):
        assert panel_client.get(reverse(f"nodes:{name}", args=[WORKER_ID])).status_code == 405


# --- the pages ---------------------------------------------------------------------------------------


def test_every_node_job_kind_has_a_runner():
    node_kinds = {kind for kind in Job.Kind.values if kind.startswith("node_")}

    assert node_kinds == {"node_availability", "node_role", "node_labels", "node_remove"}
    assert node_kinds <= set(runner._RUNNERS)


def test_the_nodes_list_links_each_node_to_its_page(panel_client, swarm):
    page = panel_client.get(reverse("nodes:list")).content.decode()

    for node_id in (MANAGER_ID, WORKER_ID):
        assert f'href="{reverse("nodes:detail", args=[node_id])}"' in page


def test_the_node_page_shows_the_node_its_tasks_history_and_watcher(panel_client, swarm):
    swarm.raw_node(WORKER_ID)["Spec"]["Labels"] = {"zone": "eu"}
    now = timezone.now()
    Task.objects.create(
        task_id="oldtaskoldtaskoldtask0001",
        service_id="svc1",
        service_name="rec-web",
        slot=1,
        node_id=WORKER_ID,
        state="failed",
        exit_code=3,
        end_cause=Task.EndCause.EXIT,
        created_at=now - timedelta(hours=2),
        state_at=now - timedelta(hours=1),
        ended_at=now - timedelta(hours=1),
    )
    Task.objects.create(
        task_id="elsewhereelsewhereelsewh1",
        service_id="svc1",
        node_id=MANAGER_ID,
        state="running",
        created_at=now,
        state_at=now,
    )
    Watcher.objects.create(name="worker-1", node_id=WORKER_ID, hostname="worker-1", state=Watcher.State.CONNECTED)

    response = panel_client.get(reverse("nodes:detail", args=[WORKER_ID]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Node worker-1" in page
    assert "2 CPUs" in page and "zone=eu" in page and 'data-availability="active"' in page
    for task_id in WORKER_TASKS:
        assert f'data-task-id="{task_id}"' in page
    assert 'data-task-id="oldtaskoldtaskoldtask0001"' in page
    assert "elsewhereelsewhereelsewh1" not in page
    assert 'data-watcher-state="connected"' in page
    assert 'hx-ws:connect="/ws/swarm/"' in page
    assert reverse("nodes:availability", args=[WORKER_ID]) in page
    assert reverse("nodes:remove", args=[WORKER_ID]) in page

    fragment = panel_client.get(reverse("nodes:detail", args=[WORKER_ID]), headers={"HX-Request": "true"})
    assert 'data-task-id="oldtaskoldtaskoldtask0001"' in fragment.content.decode()
    assert "<form" not in fragment.content.decode()  # a shared re-read carries no one's CSRF token


def test_the_node_page_re_read_is_rendered_once_per_change_for_every_viewer(panel_client, swarm):
    url = reverse("nodes:detail", args=[WORKER_ID])
    first = panel_client.get(url, headers={"HX-Request": "true", "X-Live-Version": "100"}).content.decode()
    calls = len(swarm.calls)

    again = panel_client.get(url, headers={"HX-Request": "true", "X-Live-Version": "100"}).content.decode()

    assert getattr(resolve(url).func, "shares_rereads", False)
    assert (again, len(swarm.calls)) == (first, calls)  # the first re-read's bytes, no engine call


def test_an_unknown_node_page_is_not_found(panel_client, swarm):
    assert panel_client.get(reverse("nodes:detail", args=["nosuchnode"])).status_code == 404


def test_the_job_pages_show_the_node(panel_client, swarm):
    job = node_runners.job_role_request(node=engine.node_get(node_id=WORKER_ID), role="manager")

    detail = panel_client.get(reverse("jobs:detail", args=[job.id])).content.decode()
    listing = panel_client.get(reverse("jobs:list")).content.decode()

    link = f'<a href="{reverse("nodes:detail", args=[WORKER_ID])}">worker-1</a>'
    assert link in detail and link in listing
    assert f"Job #{job.id}: Role change of node worker-1" in " ".join(detail.split())


# --- a drain's tasks on its job page, a down node's tasks, node jobs found by node --------------


def _drain_rows(client, job_id: int) -> dict[str, str]:
    """The job page's drain table: each task that ran on the node and where it is now."""
    html = client.get(reverse("jobs:detail", args=[job_id]), headers={"HX-Request": "true"}).content.decode()
    return dict(re.findall(r'<tr data-task-id="(\w+)" data-where="(\w+)">', html))


def test_the_drain_jobs_page_follows_each_task_off_the_node(
    panel_client, swarm, no_enqueue, django_capture_on_commit_callbacks, monkeypatch
):
    seen = []
    moves = [
        lambda: _move_off(swarm, WORKER_TASKS[0], replaced=False),  # stopped, not yet elsewhere
        lambda: _move_off(swarm, WORKER_TASKS[1]),
        lambda: _move_off(swarm, WORKER_TASKS[0]),
    ]

    def look_then_move(seconds: float) -> None:
        seen.append(_drain_rows(panel_client, Job.objects.get().id))
        moves.pop(0)()

    monkeypatch.setattr(node_runners.time, "sleep", look_then_move)
    confirmed = {"availability": "drain", "confirm": "1"}

    job = _asked_and_run(
        _post(panel_client, "availability", WORKER_ID, confirmed, django_capture_on_commit_callbacks), no_enqueue
    )

    first, second = WORKER_TASKS
    assert job.state == "succeeded", job.steps
    assert seen == [
        {first: "staying", second: "staying"},
        {first: "waiting", second: "staying"},
        {first: "waiting", second: "moved"},
    ]
    html = panel_client.get(reverse("jobs:detail", args=[job.id])).content.decode()
    assert _drain_rows(panel_client, job.id) == {first: "moved", second: "moved"}
    assert html.count("runs on vm") == 2  # the recorded manager's host name
    assert first[::-1][:12] in html  # the replacement's id


def test_a_pause_job_has_no_drain_table(panel_client, swarm, no_enqueue, django_capture_on_commit_callbacks):
    job = _asked_and_run(
        _post(panel_client, "availability", WORKER_ID, {"availability": "pause"}, django_capture_on_commit_callbacks),
        no_enqueue,
    )

    assert _drain_rows(panel_client, job.id) == {}
    assert "Tasks leaving the node" not in panel_client.get(reverse("jobs:detail", args=[job.id])).content.decode()


def test_a_drain_jobs_page_without_the_engine_still_shows_the_job(
    panel_client, swarm, no_enqueue, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(node_runners.time, "sleep", lambda seconds: [_move_off(swarm, t) for t in WORKER_TASKS])
    job = _asked_and_run(
        _post(
            panel_client,
            "availability",
            WORKER_ID,
            {"availability": "drain", "confirm": "1"},
            django_capture_on_commit_callbacks,
        ),
        no_enqueue,
    )
    swarm.fail("tasks", unreachable())

    response = panel_client.get(reverse("jobs:detail", args=[job.id]))

    assert response.status_code == 200
    assert "Tasks leaving the node" not in response.content.decode()
    assert "drain_done" not in response.content.decode()  # the steps are worded, never codes


def test_a_down_nodes_tasks_say_so_on_the_service_page(panel_client, swarm):
    swarm.raw_node(WORKER_ID)["Status"]["State"] = "down"
    service_id = next(task["ServiceID"] for task in swarm.raw_tasks() if task["ID"] == WORKER_TASKS[0])

    html = panel_client.get(reverse("services:detail", args=[service_id])).content.decode()

    row = re.search(rf'<tr [^>]*data-task-id="{WORKER_TASKS[0]}">.*?</tr>', html, re.S)[0]
    assert 'data-node="worker-1"' in row and "node down" in row
    assert "this is the last state the node reported" in row
    # The manager's tasks of the same service are not marked.
    others = re.findall(r'<tr class="task[^"]*" data-task-id="(\w+)">(.*?)</tr>', html, re.S)
    assert any("node down" not in body for task_id, body in others if task_id not in WORKER_TASKS)


def test_node_jobs_are_found_by_node_and_listed_on_the_node_page(
    panel_client, swarm, no_enqueue, django_capture_on_commit_callbacks
):
    job = _asked_and_run(
        _post(panel_client, "availability", WORKER_ID, {"availability": "pause"}, django_capture_on_commit_callbacks),
        no_enqueue,
    )
    other = Job.objects.create(kind=Job.Kind.SCALE, service_id="s", service_name="web", params={"replicas": 1})

    listed = panel_client.get(reverse("jobs:list"), {"node": "worker"}).content.decode()
    node_page = panel_client.get(reverse("nodes:detail", args=[WORKER_ID])).content.decode()

    assert reverse("jobs:detail", args=[job.id]) in listed
    assert reverse("jobs:detail", args=[other.id]) not in listed
    assert reverse("jobs:detail", args=[job.id]) in node_page
    assert f"{reverse('jobs:list')}?node=worker-1" in node_page
