"""Networks on a real swarm, through the panel: an overlay network made by a job, two services made
by the service form on it (one with an alias), one reaching the other by that alias from inside its
container; removing the network while they use it refused (by the form, and by the engine in its
own words), and done once they are gone. And a person making a network in chromium."""

from __future__ import annotations

import contextlib
import json
import uuid

import docker
import pytest
from django.urls import reverse
from playwright.sync_api import expect

import engine
from jobs.models import Job
from networks import runners

from .conftest import ARTIFACTS, browser_login, wait_until
from .fixtures_stack import docker_cli
from .support import TEST_IMAGE, TEST_LABEL
from .test_service_form import prefilled

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PAGE = "echo hello-over-the-overlay > /tmp/index.html && exec httpd -f -p 8080 -h /tmp"


@pytest.fixture
def made(docker_client):
    """Names of the services and networks a test makes through the panel: removed after it, the
    services first (a network goes once no task is on it)."""
    names: dict[str, list[str]] = {"services": [], "networks": []}
    yield names
    for name in names["services"]:
        with contextlib.suppress(docker.errors.NotFound):
            docker_client.services.get(name).remove()
    for name in names["networks"]:

        def removed(name=name) -> bool:
            try:
                docker_client.networks.get(name).remove()
            except docker.errors.NotFound:
                return True
            except docker.errors.APIError:
                return False
            return True

        wait_until(removed, timeout=60, interval=1, message=f"network {name} was not removed")


def _job_done(response) -> Job:
    assert response.status_code == 302, response.content.decode()[:3000]
    job_id = int(response["Location"].rstrip("/").rsplit("/", 1)[1])
    return _finished(job_id)


def _finished(job_id: int) -> Job:
    if not wait_until(lambda: Job.objects.get(id=job_id).finished, timeout=150, fail=False):
        pytest.fail(f"job {job_id} did not finish: {Job.objects.get(id=job_id).steps[-4:]}")
    return Job.objects.get(id=job_id)


def _inspect(name: str) -> dict:
    return json.loads(docker_cli("network", "inspect", name))[0]


def _service(panel_client, made, name: str, args: str, networks: str) -> Job:
    made["services"].append(name)
    data = {"name": name, "image": TEST_IMAGE, "args": args, "networks": networks, "labels": f"{TEST_LABEL}=1"}
    job = _job_done(panel_client.post(reverse("services:create"), data))
    assert job.state == Job.State.SUCCEEDED, (job.error_code, job.error, job.steps[-3:])
    return job


def _fetch(container, url: str) -> str:
    """What busybox wget prints for ``url`` from inside the container (its errors too). No -T: the
    static busybox's wget crashes with it."""
    return container.exec_run(["wget", "-qO-", url]).output.decode(errors="replace")


def test_services_made_in_the_panel_reach_each_other_by_alias_on_its_network(stack, panel_client, docker_client, made):
    name = f"tnet-{uuid.uuid4().hex[:6]}"
    made["networks"].append(name)

    job = _job_done(
        panel_client.post(
            reverse("networks:create"),
            {"name": name, "attachable": "on", "subnet": "10.123.0.0/24", "labels": f"{TEST_LABEL}=1"},
        )
    )

    assert job.state == Job.State.SUCCEEDED, (job.error_code, job.error)
    inspected = _inspect(name)
    assert (inspected["Driver"], inspected["Scope"], inspected["Attachable"]) == ("overlay", "swarm", True)
    assert inspected["IPAM"]["Config"] == [{"Subnet": "10.123.0.0/24", "Gateway": "10.123.0.1"}]
    assert inspected["Labels"] == {TEST_LABEL: "1", "swarmdeck.job": str(job.id)}
    assert job.target_id == inspected["Id"]
    # A second network on an overlapping subnet is refused by the form; the engine would take it.
    refused = panel_client.post(reverse("networks:create"), {"name": f"{name}-b", "subnet": "10.123.0.128/25"})
    assert refused.status_code == 200 and "overlaps the subnet 10.123.0.0/24" in refused.content.decode()

    server, client = f"{name}-srv", f"{name}-cli"
    _service(panel_client, made, server, f"sh -c '{PAGE}'", f"name={name},alias=backend")
    _service(panel_client, made, client, "sleep 100000", name)
    spec = docker_client.services.get(server).attrs["Spec"]
    assert spec["TaskTemplate"]["Networks"] == [{"Target": inspected["Id"], "Aliases": ["backend"]}]

    [container] = wait_until(
        lambda: docker_client.containers.list(filters={"label": f"com.docker.swarm.service.name={client}"}),
        message="the client service's container never ran",
    )
    # The alias names the server on the network: "tasks.backend" its tasks' addresses there (DNS round
    # robin), whose answer crosses the overlay; "backend" its virtual IP on the network, which only the
    # kernel's IPVS routes (none in the sandbox: the address it resolves to is checked instead).
    page = "hello-over-the-overlay"
    answer = wait_until(
        lambda: page in _fetch(container, "http://tasks.backend:8080/"), timeout=60, interval=1, fail=False
    )
    assert answer, _fetch(container, "http://tasks.backend:8080/")
    endpoint = docker_client.services.get(server).attrs["Endpoint"]
    [vip] = [vip["Addr"].split("/")[0] for vip in endpoint["VirtualIPs"] if vip["NetworkID"] == inspected["Id"]]
    by_alias = _fetch(container, "http://backend:8080/")
    assert page in by_alias or f"({vip})" in by_alias, by_alias
    assert "bad address" in _fetch(container, "http://tasks.nosuchalias:8080/")

    # Edited in the panel: another setting keeps its network; a changed line gives it an alias there.
    client_id = docker_client.services.get(client).id
    url = reverse("services:update", args=[client_id])
    shown = prefilled(panel_client.get(url).context["form"])
    assert shown["networks"] == name
    job = _job_done(panel_client.post(url, {**shown, "labels": f"{TEST_LABEL}=1\ntier=client"}))
    assert job.state == Job.State.SUCCEEDED, (job.error_code, job.error)
    assert docker_client.services.get(client).attrs["Spec"]["TaskTemplate"]["Networks"] == [{"Target": inspected["Id"]}]
    job = _job_done(panel_client.post(url, {**shown, "networks": f"name={name},alias=frontend"}))
    assert job.state == Job.State.SUCCEEDED, (job.error_code, job.error)
    networks = docker_client.services.get(client).attrs["Spec"]["TaskTemplate"]["Networks"]
    assert networks == [{"Target": inspected["Id"], "Aliases": ["frontend"]}]

    # The network's page lists both services; removing it is refused in words, with no job.
    page = panel_client.get(reverse("networks:detail", args=[inspected["Id"]])).content.decode()
    assert server in page and client in page and "backend" in page
    jobs = Job.objects.count()
    refused = panel_client.post(reverse("networks:remove", args=[inspected["Id"]]), {"confirm": "True"})
    assert refused.status_code == 200 and f"Services use {name}:" in refused.content.decode()
    assert Job.objects.count() == jobs
    # Asked for all the same (a service attached between the page and the job): the engine refuses.
    job = runners.job_network_remove_request(network=engine.network_get(network_id=inspected["Id"]))
    job = _finished(job.id)
    assert (job.state, job.error_code) == (Job.State.FAILED, "network_in_use")
    assert "is in use by service" in job.error

    # Once the services are gone, it is removed.
    for service in (server, client):
        service_id = docker_client.services.get(service).id
        removed = _job_done(panel_client.post(reverse("services:remove", args=[service_id]), {"confirm_name": service}))
        assert removed.state == Job.State.SUCCEEDED
    job = _job_done(panel_client.post(reverse("networks:remove", args=[inspected["Id"]]), {"confirm": "True"}))
    assert job.state == Job.State.SUCCEEDED, (job.error_code, job.error, job.steps[-4:])
    assert "network_removed" in [step["code"] for step in job.steps]
    # The manager forgets it at once; this node's own copy goes a moment later.
    wait_until(lambda: docker_cli("network", "inspect", name, check=False) == "[]", timeout=30)


def test_a_person_makes_a_network_in_the_browser(stack, page, admin_login, docker_client, made):
    name = f"tnet-{uuid.uuid4().hex[:6]}"
    made["networks"].append(name)
    browser_login(page, stack.url, admin_login)
    page.goto(f"{stack.url}/networks/")
    expect(page.locator("#networks")).to_have_attribute("data-live-state", "connected")
    expect(page.locator('tr[data-network-name="ingress"]')).to_have_attribute("data-removable", "0")

    page.click("#create-network")
    page.fill("#id_name", "bad.name")
    page.click("#submit-network")
    expect(page.locator(".errorlist")).to_contain_text("no dots, no spaces")
    page.fill("#id_name", name)
    page.check("#id_attachable")
    page.fill("#id_subnet", "10.124.0.0/24")
    page.fill("#id_labels", f"{TEST_LABEL}=1")
    page.screenshot(path=ARTIFACTS / "network-create.png")
    page.click("#submit-network")

    expect(page.locator("dd.state")).to_have_attribute("data-state", "succeeded", timeout=60_000)
    assert _inspect(name)["IPAM"]["Config"][0]["Subnet"] == "10.124.0.0/24"
    page.goto(f"{stack.url}/networks/")
    row = page.locator(f'tr[data-network-name="{name}"]')
    expect(row).to_contain_text("10.124.0.0/24")
    expect(row.locator('[data-flag="attachable"]')).to_be_visible()
    page.screenshot(path=ARTIFACTS / "networks-list.png")
