"""A real swarm of a manager and two workers (bin/sandbox nodes): tasks spread over the nodes and the
panel shows where each runs; a worker node's own watcher records the health of its containers,
holding no Redis credential; a worker whose engine stops shows down, its tasks move, and it rejoins
without anything recorded twice."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest
from django.conf import settings
from django.urls import reverse

from history.models import Task
from jobs.models import Job

from .conftest import ARTIFACTS, browser_login, wait_until
from .support import ROOT, VENV_BIN

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WORKERS = 2


@dataclass(frozen=True)
class Node:
    number: int
    host: str  # its engine's DOCKER_HOST
    hostname: str


def _sandbox_name() -> str:
    match = re.fullmatch(rf"unix://{re.escape(str(ROOT))}/var/([\w.-]+)/docker\.sock", settings.DOCKER_HOST)
    if not match:
        pytest.skip("more nodes join a sandbox only (SWARMDECK_TEST_DOCKER_HOST names another engine)")
    return match[1]


@pytest.fixture(scope="module")
def workers(docker_host) -> Iterator[list[Node]]:
    """Two worker nodes for this module only: the other modules' services stay on the manager."""
    name = _sandbox_name()
    subprocess.run([ROOT / "bin/sandbox", "nodes", str(WORKERS), name], check=True)
    yield [
        Node(k, f"unix://{ROOT}/var/{name}/node{k}/docker.sock", f"swarmdeck-node-{k}") for k in range(1, WORKERS + 1)
    ]
    subprocess.run([ROOT / "bin/sandbox", "nodes", "0", name], check=True)


def _node_id(hostname: str, docker_client) -> str:
    return next(node.id for node in docker_client.nodes.list() if node.attrs["Description"]["Hostname"] == hostname)


def _node_of(task: dict, docker_client) -> str:
    return docker_client.nodes.get(task["NodeID"]).attrs["Description"]["Hostname"]


def _running(service) -> list[dict]:
    """Tasks running and meant to: a down node's tasks keep their last state ("running"), but
    Swarm wants them shut down once it has placed their replacements."""
    service.reload()
    return [
        task for task in service.tasks() if task["Status"]["State"] == "running" and task["DesiredState"] == "running"
    ]


def test_replicas_spread_over_the_nodes_and_the_page_shows_each_tasks_node(
    workers, make_service, docker_client, panel_client
):
    service = make_service(mode=docker.types.ServiceMode("replicated", replicas=6))
    wait_until(lambda: len(_running(service)) == 6, timeout=90, message="six replicas never ran")

    hostnames = {_node_of(task, docker_client) for task in _running(service)}
    page = panel_client.get(reverse("services:detail", args=[service.id])).content.decode()

    assert {node.hostname for node in workers} <= hostnames
    assert len(hostnames) == WORKERS + 1
    for hostname in hostnames:
        assert f'data-node="{hostname}"' in page


@pytest.fixture
def node_watcher(workers, stack) -> Iterator[Node]:
    """The per-node watcher of docker/stack.yml on the first worker: its own engine, no Redis."""
    node = workers[0]
    env = {
        **stack.env,
        "DOCKER_HOST": node.host,
        "SWARMDECK_TEST_DOCKER_HOST": node.host,
        "SWARMDECK_WATCHER_NAME": node.hostname,
        "SWARMDECK_WATCHER_PUBLISH": "false",
        # What a worker node holds: no way to the broker that queues jobs.
        "SWARMDECK_TEST_REDIS_PORT": "1",
    }
    log = Path(os.environ.get("SWARMDECK_TEST_LOG_DIR", ROOT / "var" / "test-logs")) / "node-watcher.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [VENV_BIN / "python", "manage.py", "watch_swarm"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    wait_until(lambda: "following" in log.read_text(errors="replace"), timeout=60, message=log.read_text)
    yield node
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(20)


def test_a_worker_nodes_watcher_records_its_containers_health(
    node_watcher, workers, make_service, docker_client, panel_client
):
    service = make_service(
        constraints=[f"node.hostname=={node_watcher.hostname}"],
        healthcheck=docker.types.Healthcheck(test=["CMD", "false"], interval=1_000_000_000, retries=1),
    )
    node_id = next(
        n.id for n in docker_client.nodes.list() if n.attrs["Description"]["Hostname"] == node_watcher.hostname
    )

    # Container health reaches only the engine that runs the container: the worker's own watcher.
    wait_until(
        lambda: Task.objects.filter(service_id=service.id, health_node=node_id).exists(),
        timeout=90,
        message="no health recorded by the worker node's watcher",
    )
    killed = wait_until(
        lambda: Task.objects.filter(service_id=service.id, end_cause=Task.EndCause.UNHEALTHY).first(),
        timeout=90,
        message="the unhealthy kill on the worker was not recorded as one",
    )
    assert killed.node_id == node_id
    # The overview names the worker with a watcher as reporting health, and the other as not.
    other_id = _node_id(workers[1].hostname, docker_client)
    wait_until(
        lambda: f'data-node-id="{node_id}" data-reporting="reporting"' in panel_client.get("/").content.decode(),
        timeout=30,
        message="the overview does not say the worker's watcher reports health",
    )
    assert f'data-node-id="{other_id}" data-reporting="none"' in panel_client.get("/").content.decode()


def test_a_worker_that_stops_shows_down_its_tasks_move_and_it_rejoins(
    workers, make_service, docker_client, panel_client
):
    node = workers[1]
    service = make_service(mode=docker.types.ServiceMode("replicated", replicas=3), constraints=["node.role==worker"])
    wait_until(lambda: len(_running(service)) == 3, timeout=90, message="three replicas never ran")
    name = _sandbox_name()
    pid = int((ROOT / "var" / name / f"node{node.number}" / "docker.pid").read_text())
    node_id = _node_id(node.hostname, docker_client)

    os.kill(pid, signal.SIGKILL)

    wait_until(
        lambda: docker_client.nodes.get(node_id).attrs["Status"]["State"] == "down", timeout=90, message="never down"
    )
    wait_until(
        lambda: (
            {_node_of(task, docker_client) for task in _running(service)} == {workers[0].hostname}
            and len(_running(service)) == 3
        ),
        timeout=120,
        message="the tasks never moved to the other worker",
    )
    # The panel's history says why those tasks ended: their node went down.
    wait_until(
        lambda: Task.objects.filter(service_id=service.id, end_cause=Task.EndCause.NODE).exists(),
        timeout=30,
        message="the tasks of the down node were not recorded as ended by it",
    )
    # The panel shows the node down, and its tasks as what the node last reported, marked so.
    node_page = panel_client.get(reverse("nodes:detail", args=[node_id])).content.decode()
    assert 'data-state="down"' in node_page
    service_page = panel_client.get(reverse("services:detail", args=[service.id])).content.decode()
    rows = re.findall(r'<tr class="task[^"]*" data-task-id="\w+">.*?</tr>', service_page, re.S)
    on_down_node = [row for row in rows if f'data-node="{node.hostname}"' in row]
    assert on_down_node and all("node down" in row for row in on_down_node)
    assert not [row for row in rows if "node down" in row and f'data-node="{node.hostname}"' not in row]
    recorded = Task.objects.filter(service_id=service.id).count()
    subprocess.run([ROOT / "bin/sandbox", "nodes", str(WORKERS), name], check=True)
    wait_until(
        lambda: docker_client.nodes.get(node_id).attrs["Status"]["State"] == "ready", timeout=90, message="no rejoin"
    )
    assert Task.objects.filter(service_id=service.id).count() >= recorded
    assert Task.objects.filter(service_id=service.id).values("task_id").distinct().count() == (
        Task.objects.filter(service_id=service.id).count()
    )


# --- node work through the panel: each change a job, run by the stack's worker --------------------


def _job_done(response) -> Job:
    assert response.status_code == 302, response.content.decode()[:2000]
    job_id = int(response["Location"].rstrip("/").rsplit("/", 1)[1])
    if not wait_until(lambda: Job.objects.get(id=job_id).finished, timeout=150, fail=False):
        pytest.fail(f"job {job_id} did not finish: {Job.objects.get(id=job_id).steps[-4:]}")
    return Job.objects.get(id=job_id)


def test_drain_a_worker_from_the_panel_then_activate_it(workers, stack, make_service, docker_client, panel_client):
    node = workers[0]
    node_id = _node_id(node.hostname, docker_client)
    service = make_service(mode=docker.types.ServiceMode("replicated", replicas=6))
    wait_until(lambda: len(_running(service)) == 6, timeout=90, message="six replicas never ran")
    on_node = [task for task in _running(service) if task["NodeID"] == node_id]
    assert on_node

    asked = panel_client.post(reverse("nodes:availability", args=[node_id]), {"availability": "drain"})
    assert asked.status_code == 200  # the confirmation lists the tasks that will move
    assert all(task["ID"][:12] in asked.content.decode() for task in on_node)
    job = _job_done(
        panel_client.post(reverse("nodes:availability", args=[node_id]), {"availability": "drain", "confirm": "1"})
    )

    assert job.state == Job.State.SUCCEEDED, (job.error_code, job.steps[-3:])
    assert docker_client.nodes.get(node_id).attrs["Spec"]["Availability"] == "drain"
    assert not [task for task in _running(service) if task["NodeID"] == node_id]
    assert len(_running(service)) == 6
    activated = _job_done(panel_client.post(reverse("nodes:availability", args=[node_id]), {"availability": "active"}))
    assert activated.state == Job.State.SUCCEEDED
    assert docker_client.nodes.get(node_id).attrs["Spec"]["Availability"] == "active"


# Tasks that ignore SIGTERM: each takes its stop grace period to leave a drained node, so the
# browser sees them still there before it sees them moved.
STUBBORN = ("sh", "-c", "trap '' TERM; while true; do sleep 1; done")
GRACE_NS = 8_000_000_000
WHERE = """() => Object.fromEntries(
    [...document.querySelectorAll('tr[data-where]')].map(row => [row.dataset.taskId, row.dataset.where]))"""


def test_a_drain_from_the_browser_shows_the_tasks_move_live(
    workers, stack, make_service, docker_client, page, admin_login
):
    node = workers[0]
    node_id = _node_id(node.hostname, docker_client)
    service = make_service(
        command=STUBBORN, mode=docker.types.ServiceMode("replicated", replicas=6), stop_grace_period=GRACE_NS
    )
    wait_until(lambda: len(_running(service)) == 6, timeout=90, message="six replicas never ran")
    on_node = {task["ID"] for task in _running(service) if task["NodeID"] == node_id}
    assert on_node
    browser_login(page, stack.url, admin_login)
    # A second tab keeps the node's page open: the drain reaches it through the swarm's live hints.
    watching = page.context.new_page()
    watching.goto(f"{stack.url}/nodes/{node_id}/")
    watching.evaluate("() => { window.notReloaded = true }")
    assert watching.locator(".node-tasks tr[data-task-id]").count() == len(on_node)

    try:
        page.goto(f"{stack.url}/nodes/{node_id}/")
        page.get_by_label("Availability").select_option("drain")
        page.get_by_role("button", name="Set availability").click()
        # The confirmation lists what will move.
        assert {row.get_attribute("data-task-id") for row in page.locator(".drain-tasks tr[data-task-id]").all()} == (
            on_node
        )
        page.click("#confirm-drain")
        page.wait_for_url(re.compile(r"/jobs/\d+/$"))
        page.evaluate("() => { window.notReloaded = true }")
        # The job page lists them while they are still stopping on the node, then follows them off it.
        wait_until(lambda: set(page.evaluate(WHERE)) == on_node, timeout=30, message="the drain table never came")
        assert set(page.evaluate(WHERE).values()) & {"staying", "waiting"}
        page.screenshot(path=ARTIFACTS / "node-drain-moving.png")
        wait_until(
            lambda: set(page.evaluate(WHERE).values()) == {"moved"}, timeout=120, message=lambda: page.evaluate(WHERE)
        )
        page.locator('.job .state[data-state="succeeded"]').wait_for(timeout=30_000)
        page.screenshot(path=ARTIFACTS / "node-drain-done.png")
        assert page.evaluate("() => window.notReloaded") is True
        assert {task["NodeID"] for task in _running(service)}.isdisjoint({node_id})

        watching.locator('[data-availability="drain"]').wait_for(timeout=30_000)
        wait_until(
            lambda: watching.locator(".node-tasks tr[data-task-id]").count() == 0, timeout=60, message="still listed"
        )
        assert watching.evaluate("() => window.notReloaded") is True
    finally:
        docker_node = docker_client.nodes.get(node_id)
        docker_node.update({**docker_node.attrs["Spec"], "Availability": "active"})


def test_labels_set_from_the_panel_place_a_constrained_service(
    workers, stack, make_service, docker_client, panel_client
):
    node = workers[1]
    node_id = _node_id(node.hostname, docker_client)

    job = _job_done(panel_client.post(reverse("nodes:labels", args=[node_id]), {"add": "disk=ssd\nzone=b"}))

    assert job.state == Job.State.SUCCEEDED, (job.error_code, job.steps[-3:])
    assert docker_client.nodes.get(node_id).attrs["Spec"]["Labels"] == {"disk": "ssd", "zone": "b"}
    service = make_service(
        mode=docker.types.ServiceMode("replicated", replicas=3), constraints=["node.labels.disk==ssd"]
    )
    wait_until(lambda: len(_running(service)) == 3, timeout=90, message="the constrained replicas never ran")
    assert {task["NodeID"] for task in _running(service)} == {node_id}
    removed = _job_done(panel_client.post(reverse("nodes:labels", args=[node_id]), {"remove": ["disk", "zone"]}))
    assert removed.state == Job.State.SUCCEEDED
    assert not docker_client.nodes.get(node_id).attrs["Spec"].get("Labels")


def test_promote_and_demote_and_what_the_panel_refuses(workers, stack, docker_client, panel_client):
    node = workers[0]
    node_id = _node_id(node.hostname, docker_client)
    manager_id = next(n.id for n in docker_client.nodes.list() if n.attrs["Spec"]["Role"] == "manager")

    promoted = _job_done(panel_client.post(reverse("nodes:role", args=[node_id]), {"role": "manager"}))
    assert promoted.state == Job.State.SUCCEEDED, (promoted.error_code, promoted.steps[-3:])
    assert docker_client.nodes.get(node_id).attrs["Spec"]["Role"] == "manager"
    demoted = _job_done(panel_client.post(reverse("nodes:role", args=[node_id]), {"role": "worker"}))
    assert demoted.state == Job.State.SUCCEEDED, (demoted.error_code, demoted.steps[-3:])
    wait_until(lambda: docker_client.nodes.get(node_id).attrs["Spec"]["Role"] == "worker", timeout=30)

    jobs_before = Job.objects.count()
    # Demoting or removing the only manager, removing a node that is up without force, an unknown node.
    refused = [
        panel_client.post(reverse("nodes:role", args=[manager_id]), {"role": "worker"}),
        panel_client.post(reverse("nodes:remove", args=[manager_id]), {"confirm_name": "vm"}),
        panel_client.post(reverse("nodes:remove", args=[node_id]), {"confirm_name": node.hostname}),
        panel_client.post(reverse("nodes:availability", args=["no-such-node"]), {"availability": "pause"}),
    ]
    assert [response.status_code for response in refused[:3]] == [200, 200, 200]
    assert all("errorlist" in response.content.decode() for response in refused[:3])
    assert refused[3].status_code in (302, 404)
    assert Job.objects.count() == jobs_before
    assert docker_client.nodes.get(manager_id).attrs["Spec"]["Role"] == "manager"


def test_a_down_node_is_removed_from_the_panel(workers, stack, docker_client, panel_client):
    node = workers[1]
    node_id = _node_id(node.hostname, docker_client)
    name = _sandbox_name()
    pid = int((ROOT / "var" / name / f"node{node.number}" / "docker.pid").read_text())
    os.kill(pid, signal.SIGKILL)
    wait_until(
        lambda: docker_client.nodes.get(node_id).attrs["Status"]["State"] == "down", timeout=90, message="never down"
    )

    job = _job_done(panel_client.post(reverse("nodes:remove", args=[node_id]), {"confirm_name": node.hostname}))

    assert job.state == Job.State.SUCCEEDED, (job.error_code, job.steps[-3:])
    assert node_id not in {n.id for n in docker_client.nodes.list()}
    # The sandbox's node comes back as a new node for whatever follows.
    subprocess.run([ROOT / "bin/sandbox", "nodes", "1", name], check=True)
    subprocess.run([ROOT / "bin/sandbox", "nodes", str(WORKERS), name], check=True)
