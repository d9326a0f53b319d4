"""Networks: the engine adapter on the engine's recorded JSON, the pages, the create and remove
forms (bad input is a form error with no job and no write), the jobs' runners (idempotent), and the
service form's networks with aliases, into the spec and back. The engine is the fake one
(tests/fake_engine.py), serving tests/engine_json/networks.json."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

import engine
from jobs.models import Job
from jobs.runner import job_run
from networks import runners
from services import specs

from .fake_engine import WEB
from .fixtures_fake import WEB_ID
from .test_service_form import prefilled

REC_NET = "lt7fthi33bcn07atlh6nhgqk2"  # attachable, encrypted, 10.77.0.0/24, label team=web
REC_FRONT = "kdky4tp680neeowfdhff4u7qd"
STACK_NET = "tht91iaubq4iijp55vthwubhp"  # rec_stack_default: internal, of the stack rec_stack
INGRESS = "kiopqkbjjopdonw2oguhimfz7"


@pytest.fixture
def swarm(fake_engine, db, memory_channel_layer, no_enqueue):
    return fake_engine


@pytest.fixture
def post(panel_client, django_capture_on_commit_callbacks):
    """POST as the panel's user, running what the view left for after the commit (the job's hand-over)."""

    def posted(url: str, data: dict):
        with django_capture_on_commit_callbacks(execute=True):
            return panel_client.post(url, data)

    return posted


def _attach(fake, name: str, *networks: dict) -> None:
    """Put a recorded service on networks, as a spec written by the CLI holds them."""

    def change(spec: dict) -> None:
        spec["TaskTemplate"]["Networks"] = [dict(item) for item in networks]

    fake.spec_change(name, change)


def _network_writes(fake) -> list:
    return [write for write in fake.writes if write.method in ("create_network", "remove_network")]


def _nothing_asked(fake, no_enqueue) -> None:
    assert Job.objects.count() == 0
    assert no_enqueue == []
    assert _network_writes(fake) == []


def _asked_and_run(response, no_enqueue) -> Job:
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:detail", args=[job.id])
    assert no_enqueue == [job.id]
    job_run(job_id=job.id)
    job.refresh_from_db()
    return job


def _codes(job: Job) -> list[str]:
    return [step["code"] for step in job.steps]


# --- the engine adapter ----------------------------------------------------------------------------


def test_network_list_reads_the_recorded_networks(fake_engine):
    networks = {network.name: network for network in engine.network_list()}

    net = networks["rec-net"]
    assert (net.id, net.driver, net.scope) == (REC_NET, "overlay", "swarm")
    assert (net.attachable, net.encrypted, net.internal, net.ingress) == (True, True, False, False)
    assert (net.subnets, net.gateways, net.labels, net.stack) == (
        ("10.77.0.0/24",),
        ("10.77.0.1",),
        {"team": "web"},
        "",
    )
    assert net.created_at is not None and net.removable and net.service_attachable
    stack = networks["rec_stack_default"]
    assert (stack.internal, stack.encrypted, stack.stack) == (True, False, "rec_stack")
    assert networks["ingress"].ingress and not networks["ingress"].removable
    assert not networks["ingress"].service_attachable
    for local in ("bridge", "host", "none", "docker_gwbridge"):
        assert networks[local].scope == "local"
        assert not networks[local].removable and not networks[local].service_attachable
    # A swarm network this node has no task on is listed with neither driver nor subnets.
    assert (networks["rec-front"].driver, networks["rec-front"].subnets) == ("", ())


def test_unknown_network_is_network_not_found(fake_engine):
    with pytest.raises(engine.NetworkNotFound) as caught:
        engine.network_get(network_id="nosuchnet")
    assert caught.value.code == "network_not_found"


def test_the_services_on_each_network_come_from_one_services_call(fake_engine):
    _attach(fake_engine, WEB, {"Target": REC_NET, "Aliases": ["www"]}, {"Target": STACK_NET})
    calls = len(fake_engine.calls)

    users = engine.network_services()

    assert [call for call, _kwargs in fake_engine.calls[calls:]] == ["services"]
    assert users[REC_NET] == [engine.NetworkUser(WEB_ID, WEB, ("www",))]
    assert [user.service_name for user in users[STACK_NET]] == [WEB]


# --- the pages ------------------------------------------------------------------------------------


def test_the_list_shows_each_network_with_its_services_and_flags(panel_client, swarm):
    _attach(swarm, WEB, {"Target": REC_NET, "Aliases": ["www"]})

    html = panel_client.get(reverse("networks:list")).content.decode()

    row = html[html.index(f'data-network-id="{REC_NET}"') :]
    row = row[: row.index("</tr>")]
    assert 'data-removable="1"' in row
    assert "<code>10.77.0.0/24</code>" in row
    assert 'data-flag="attachable"' in row and 'data-flag="encrypted"' in row and 'data-flag="internal"' not in row
    assert f'<a href="{reverse("services:detail", args=[WEB_ID])}">{WEB}</a>' in row
    for predefined in ("ingress", "bridge", "host"):
        other = html[html.index(f'data-network-name="{predefined}"') :]
        assert 'data-removable="0"' in other[: other.index(">")]
    assert 'data-flag="internal"' in html  # rec_stack_default


def test_the_list_is_live_and_shares_its_re_reads(panel_client, swarm):
    from .test_live_rereads import _shares_rereads

    page = panel_client.get(reverse("networks:list")).content.decode()
    fragment = panel_client.get(reverse("networks:list"), headers={"HX-Request": "true"}).content.decode()

    assert 'hx-ws:connect="/ws/swarm/"' in page and 'hx-trigger="live:refresh"' in page
    assert "<html" not in fragment and REC_NET in fragment and "csrfmiddlewaretoken" not in fragment
    from django.urls import resolve

    assert _shares_rereads(resolve(reverse("networks:list")).func)


def test_a_networks_page_escapes_what_the_engine_says(panel_client, swarm):
    swarm._network_find("rec-net")["Labels"]["note"] = "<script>alert(1)</script>"
    _attach(swarm, WEB, {"Target": REC_NET, "Aliases": ["www", "web.internal"]})

    html = panel_client.get(reverse("networks:detail", args=[REC_NET])).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "note=&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "www, web.internal" in html
    # In use: the page says why it cannot be removed, and links no removal.
    assert reverse("networks:remove", args=[REC_NET]) not in html
    assert WEB in html[html.index('id="remove-refusal"') :]


def test_an_unknown_network_is_404(panel_client, swarm):
    assert panel_client.get(reverse("networks:detail", args=["nosuchnet"])).status_code == 404


# --- create -----------------------------------------------------------------------------------------

GOOD = {"name": "front", "attachable": "on", "encrypted": "on", "subnet": "10.90.0.0/24", "gateway": "10.90.0.254"}


def test_a_good_form_asks_for_one_job_that_creates_the_network(post, swarm, no_enqueue):
    response = post(reverse("networks:create"), {**GOOD, "labels": "team=web\nowner=ops"})

    job = _asked_and_run(response, no_enqueue)

    assert (job.kind, job.state, job.target_name) == (Job.Kind.NETWORK_CREATE, Job.State.SUCCEEDED, "front")
    [write] = _network_writes(swarm)
    assert write.args == ("front",)
    assert write.params["driver"] == "overlay" and write.params["scope"] == "swarm"
    assert write.params["attachable"] is True and write.params["internal"] is False
    assert write.params["options"] == {"encrypted": ""}
    assert write.params["ipam"]["Config"] == [
        {"Subnet": "10.90.0.0/24", "Gateway": "10.90.0.254", "AuxiliaryAddresses": None, "IPRange": None}
    ]
    assert write.params["labels"] == {"team": "web", "owner": "ops", "swarmdeck.job": str(job.id)}
    made = engine.network_get(network_id="front")
    assert job.target_id == made.id
    assert (made.attachable, made.encrypted, made.subnets, made.gateways) == (
        True,
        True,
        ("10.90.0.0/24",),
        ("10.90.0.254",),
    )
    assert "network_created" in _codes(job)


def test_only_a_name_makes_a_network_as_the_cli_does(post, swarm, no_enqueue):
    job = _asked_and_run(post(reverse("networks:create"), {"name": "plain"}), no_enqueue)

    [write] = _network_writes(swarm)
    assert job.state == Job.State.SUCCEEDED
    assert (write.params["ipam"], write.params["options"], write.params["attachable"]) == (None, None, False)


def test_a_resumed_create_job_adopts_the_network_it_made(swarm, db):
    job = runners.job_network_create_request(
        values={
            "name": "again",
            "attachable": False,
            "encrypted": False,
            "internal": False,
            "subnet": "",
            "gateway": "",
            "labels": {},
        }
    )
    job_run(job_id=job.id)
    # The worker stopped after the engine made the network: the job runs again.
    Job.objects.filter(id=job.id).update(state=Job.State.QUEUED, finished_at=None)
    job_run(job_id=job.id)
    job.refresh_from_db()

    assert job.state == Job.State.SUCCEEDED
    assert len(_network_writes(swarm)) == 1
    assert _codes(job).count("network_created") == 1 and "network_adopted" in _codes(job)
    assert job.target_id == engine.network_get(network_id="again").id


def test_a_name_taken_meanwhile_fails_the_job_in_the_engines_words(swarm, db):
    values = {"name": "rec-net", "attachable": False, "encrypted": False, "internal": False}
    job = runners.job_network_create_request(values={**values, "subnet": "", "gateway": "", "labels": {}})

    job_run(job_id=job.id)
    job.refresh_from_db()

    assert (job.state, job.error_code) == (Job.State.FAILED, "network_name_taken")
    assert job.error == "network with name rec-net already exists"
    assert _network_writes(swarm) == []


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"name": ""}, "name", "Enter the network's name."),
        ({"name": "a.b"}, "name", "no dots, no spaces"),
        ({"name": "-ab"}, "name", "no dots, no spaces"),
        ({"name": "ab-"}, "name", "no dots, no spaces"),
        ({"name": "a b"}, "name", "no dots, no spaces"),
        ({"name": "é"}, "name", "no dots, no spaces"),
        ({"name": "a" * 64}, "name", "at most 63 characters"),
        ({"name": "host"}, "name", "one of Docker's own networks"),
        ({"name": "default"}, "name", "one of Docker's own networks"),
        ({"name": "rec-net"}, "name", "A network named “rec-net” already exists."),
        ({"name": "REC-Net"}, "name", "A network named “rec-net” already exists."),
        ({"name": "n", "subnet": "10.0.0.0"}, "subnet", "is not an IPv4 subnet"),
        ({"name": "n", "subnet": "10.300.0.0/24"}, "subnet", "is not an IPv4 subnet"),
        ({"name": "n", "subnet": "fd00::/64"}, "subnet", "is not an IPv4 subnet"),
        ({"name": "n", "subnet": "10.80.0.1/24"}, "subnet", "the subnet is 10.80.0.0/24"),
        ({"name": "n", "subnet": "10.80.0.0/30"}, "subnet", "/30 is too small"),
        (
            {"name": "n", "subnet": "10.77.0.128/25"},
            "subnet",
            "overlaps the subnet 10.77.0.0/24 of the network rec-net",
        ),
        ({"name": "n", "subnet": "10.0.0.0/8"}, "subnet", "overlaps the subnet 10.0.0.0/24 of the network ingress"),
        ({"name": "n", "subnet": "172.17.5.0/24"}, "subnet", "of the network bridge"),
        ({"name": "n", "gateway": "10.80.0.1"}, "gateway", "A gateway needs a subnet"),
        ({"name": "n", "subnet": "10.80.0.0/24", "gateway": "10.81.0.1"}, "gateway", "is not an address of the subnet"),
        ({"name": "n", "subnet": "10.80.0.0/24", "gateway": "10.80.0.0"}, "gateway", "is not an address of the subnet"),
        ({"name": "n", "subnet": "10.80.0.0/24", "gateway": "10.80.0.x"}, "gateway", "is not an IPv4 address"),
        ({"name": "n", "labels": "swarmdeck.job=1"}, "labels", "the panel's own label"),
        ({"name": "n", "labels": "a=1\na=2"}, "labels", "a is given twice"),
        ({"name": "n", "labels": "=1"}, "labels", "write a label as KEY=VALUE"),
    ],
)
def test_bad_input_is_a_form_error_with_no_job_and_no_write(panel_client, swarm, no_enqueue, data, field, words):
    response = panel_client.post(reverse("networks:create"), data)

    assert response.status_code == 200
    errors = " ".join(str(error) for error in response.context["form"].errors[field])
    assert words in errors
    assert "nothing was sent to Docker" in response.content.decode()
    _nothing_asked(swarm, no_enqueue)


# --- remove -----------------------------------------------------------------------------------------


def test_an_unused_network_is_removed_by_a_job(panel_client, post, swarm, no_enqueue):
    assert "confirm-remove" in panel_client.get(reverse("networks:remove", args=[REC_NET])).content.decode()

    job = _asked_and_run(post(reverse("networks:remove", args=[REC_NET]), {"confirm": "True"}), no_enqueue)

    assert (job.kind, job.state, job.target_id, job.target_name) == (
        Job.Kind.NETWORK_REMOVE,
        Job.State.SUCCEEDED,
        REC_NET,
        "rec-net",
    )
    assert [(write.method, write.args) for write in _network_writes(swarm)] == [("remove_network", (REC_NET,))]
    assert "network_removed" in _codes(job)


def test_a_network_services_use_is_not_removed(panel_client, swarm, no_enqueue):
    _attach(swarm, WEB, {"Target": REC_NET})

    response = panel_client.post(reverse("networks:remove", args=[REC_NET]), {"confirm": "True"})

    assert response.status_code == 200
    assert f"Services use rec-net: {WEB}." in response.content.decode()
    _nothing_asked(swarm, no_enqueue)


@pytest.mark.parametrize("network", [INGRESS, "bridge", "host"])
def test_dockers_own_networks_are_not_removed(panel_client, swarm, no_enqueue, network):
    response = panel_client.post(reverse("networks:remove", args=[network]), {"confirm": "True"})

    assert response.status_code == 200
    assert "it is never removed here" in response.content.decode()
    _nothing_asked(swarm, no_enqueue)


def test_removing_a_network_already_gone_succeeds(swarm, db):
    network = engine.network_get(network_id=REC_NET)
    job = runners.job_network_remove_request(network=network)
    swarm._networks.remove(swarm._network_find(REC_NET))

    job_run(job_id=job.id)
    job.refresh_from_db()

    assert job.state == Job.State.SUCCEEDED
    assert "network_already_removed" in _codes(job)


def test_a_service_attached_after_the_request_fails_the_job_in_the_engines_words(swarm, db):
    job = runners.job_network_remove_request(network=engine.network_get(network_id=REC_NET))
    _attach(swarm, WEB, {"Target": REC_NET})

    job_run(job_id=job.id)
    job.refresh_from_db()

    assert (job.state, job.error_code) == (Job.State.FAILED, "network_in_use")
    assert f"network {REC_NET} is in use by service {WEB_ID}" in job.error
    assert _network_writes(swarm) == []


# --- the service form's networks ---------------------------------------------------------------------


def test_a_service_is_created_on_networks_with_aliases(panel_client, swarm, no_enqueue):
    data = {"name": "api", "image": "busybox", "networks": "name=rec-net,alias=web,alias=www\nrec-front\n"}

    response = panel_client.post(reverse("services:create"), data)

    job = Job.objects.get()
    assert response["Location"] == reverse("jobs:detail", args=[job.id])
    assert job.params["values"]["networks"] == [
        {"id": REC_NET, "name": "rec-net", "aliases": ["web", "www"]},
        {"id": REC_FRONT, "name": "rec-front", "aliases": []},
    ]
    spec = specs.spec_create(name="api", values=job.params["values"], job_id=job.id)
    assert spec["TaskTemplate"]["Networks"] == [{"Target": REC_NET, "Aliases": ["web", "www"]}, {"Target": REC_FRONT}]


@pytest.mark.parametrize(
    ("networks", "words"),
    [
        ("nosuchnet", "Line 1: there is no network named “nosuchnet”."),
        ("rec-net\nbridge", "Line 2: a service cannot join “bridge”"),
        ("ingress", "Line 1: a service cannot join “ingress”"),
        (f"rec-net\n{REC_NET}", "Line 2: the service is already on rec-net."),
        ("name=rec-net,alias=-bad", "Line 1: “-bad” is not an alias"),
        ("name=rec-net,driver-opt=x=y", "Line 1: “driver-opt” is not an option here (name, alias)."),
        ("alias=web", "Line 1: name the network with name=NAME."),
    ],
)
def test_bad_networks_on_the_service_form_are_refused_in_words(panel_client, swarm, no_enqueue, networks, words):
    response = panel_client.post(reverse("services:create"), {"name": "api", "image": "busybox", "networks": networks})

    assert response.status_code == 200
    assert words in " ".join(response.context["form"].errors["networks"])
    assert Job.objects.count() == 0 and no_enqueue == []


def test_the_edit_form_shows_the_networks_by_name_and_keeps_them_unless_changed(panel_client, swarm, no_enqueue):
    _attach(swarm, WEB, {"Target": REC_NET, "Aliases": ["web"], "DriverOpts": {"com.example.opt": "1"}})
    url = reverse("services:update", args=[WEB_ID])

    form = panel_client.get(url).context["form"]
    assert form["networks"].value() == "name=rec-net,alias=web"

    # Posted back as shown: nothing changed, no job.
    response = panel_client.post(url, prefilled(form))
    assert [str(message) for message in get_messages(response.wsgi_request)] == ["Nothing was changed."]
    assert Job.objects.count() == 0

    # Another setting changed: the job does not touch the networks.
    panel_client.post(url, {**prefilled(form), "labels": "tier=front"})
    job = Job.objects.get()
    assert "networks" not in job.params["groups"]
    spec = swarm.raw_service(WEB)["Spec"]
    assert specs.spec_apply(spec, job.params["groups"])["TaskTemplate"]["Networks"] == spec["TaskTemplate"]["Networks"]

    # The networks changed: only their group, and the network kept keeps what the form does not show.
    Job.objects.all().delete()
    panel_client.post(url, {**prefilled(form), "networks": "name=rec-net,alias=web,alias=api\nrec_stack_default"})
    job = Job.objects.get()
    assert list(job.params["groups"]) == ["networks"]
    assert specs.spec_apply(spec, job.params["groups"])["TaskTemplate"]["Networks"] == [
        {"Target": REC_NET, "Aliases": ["web", "api"], "DriverOpts": {"com.example.opt": "1"}},
        {"Target": STACK_NET},
    ]

    # Emptied: the service leaves every network.
    Job.objects.all().delete()
    panel_client.post(url, {**prefilled(form), "networks": ""})
    groups = Job.objects.get().params["groups"]
    assert "Networks" not in specs.spec_apply(spec, groups)["TaskTemplate"]


def test_a_spec_of_an_old_api_version_is_read_and_rewritten_in_the_task_template():
    spec = {"Name": "old", "TaskTemplate": {"ContainerSpec": {"Image": "busybox"}}, "Networks": [{"Target": REC_NET}]}

    assert engine.ServiceConfig.from_json(spec).networks == (engine.NetworkAttachment(REC_NET),)
    written = specs.spec_apply(spec, {"networks": {"networks": [{"id": REC_NET, "name": "rec-net", "aliases": ["a"]}]}})
    assert "Networks" not in written
    assert written["TaskTemplate"]["Networks"] == [{"Target": REC_NET, "Aliases": ["a"]}]


def test_a_task_still_on_the_network_is_waited_for_then_the_network_goes(swarm, db, settings):
    """The tasks of a service just removed leave its networks a moment later: "in use by task" is
    tried again (with the engine retries' backoff), not a failure."""
    from .fake_engine import api_error, recorded_network_error

    settings.SWARMDECK_JOB_ENGINE_RETRY_SECONDS = 0
    error = recorded_network_error("network_in_use_task")
    swarm.fail("remove_network", api_error(error["status_code"], error["explanation"]), times=1)
    job = runners.job_network_remove_request(network=engine.network_get(network_id=REC_NET))

    job_run(job_id=job.id)
    job.refresh_from_db()

    assert job.state == Job.State.SUCCEEDED
    assert _codes(job).index("engine_retry") < _codes(job).index("network_removed")


def test_a_name_taken_but_for_its_case_fails_the_job_without_retries(swarm, db):
    """swarmkit's names are unique whatever their case, and it says so with a 500: not worth a retry."""
    from .fake_engine import api_error

    swarm.fail(
        "create_network",
        api_error(500, "rpc error: code = Unknown desc = name conflicts with an existing object"),  # seen on 20.10
    )
    values = {"name": "REC-NET", "attachable": False, "encrypted": False, "internal": False}
    job = runners.job_network_create_request(values={**values, "subnet": "", "gateway": "", "labels": {}})

    job_run(job_id=job.id)
    job.refresh_from_db()

    assert (job.state, job.error_code) == (Job.State.FAILED, "network_name_taken")
    assert "engine_retry" not in _codes(job)
