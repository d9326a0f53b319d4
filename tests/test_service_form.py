"""The create/update form: every bad input is a clear error, creates no job and calls no engine."""

import re
from html import unescape

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation

import engine
from jobs.models import Job
from services import specs

GOOD = {
    "name": "web",
    "image": "swarmdeck-test/busybox:1",
    "mode": "replicated",
    "replicas": "2",
    "args": "httpd -f -p 8080 -h /www",
    "env": "A=1\nB=two words",
    "labels": "tier=front",
    "constraints": "node.role==manager",
    "ports": "18080:8080/tcp host",
    "health_cmd": "wget -q -O /dev/null http://127.0.0.1:8080/",
    "health_interval": "2s",
    "health_timeout": "1s",
    "health_retries": "3",
    "health_start_period": "1s",
    "restart_condition": "on-failure",
    "restart_delay": "1s",
    "restart_max_attempts": "5",
    "restart_window": "1m",
    "update_parallelism": "1",
    "update_delay": "1s",
    "update_failure_action": "rollback",
    "update_monitor": "5s",
    "update_max_failure_ratio": "0",
    "update_order": "start-first",
    "rollback_parallelism": "1",
    "rollback_delay": "0s",
    "rollback_failure_action": "pause",
    "rollback_monitor": "5s",
    "rollback_max_failure_ratio": "0",
    "rollback_order": "stop-first",
    "limit_cpus": "0.5",
    "limit_memory": "64M",
}


@pytest.fixture
def no_engine(monkeypatch):
    def refuse():
        raise AssertionError("the engine was called")

    monkeypatch.setattr(engine.client, "api", refuse)


def test_a_good_form_creates_one_job(panel_client, no_engine, no_enqueue):
    response = panel_client.post(reverse("services:create"), GOOD)

    job = Job.objects.get()
    assert response["Location"] == reverse("jobs:detail", args=[job.id])
    assert (job.kind, job.service_name) == ("create", "web")
    assert job.params["values"]["env"] == [["A", "1"], ["B", "two words"]]  # in the user's order


def test_only_a_name_and_an_image_create_a_service_with_dockers_defaults(panel_client, no_engine, no_enqueue):
    """As `docker service create --name web IMAGE`: one replica, the engine's own defaults."""
    from services.forms import ServiceForm

    # What the browser sends: the form as shown (its preset choices), with a name and an image typed.
    shown = {name: field.initial for name, field in ServiceForm().fields.items() if field.initial not in (None, "")}
    browser = {**shown, "mode": "replicated"}  # a select sends its first option
    response = panel_client.post(reverse("services:create"), {**browser, "name": "web", "image": "busybox"})

    job = Job.objects.get()
    assert response["Location"] == reverse("jobs:detail", args=[job.id])
    spec = specs.spec_create(name="web", values=job.params["values"], job_id=job.id)
    assert spec["Mode"] == {"Replicated": {"Replicas": 1}}


BAD = [
    ("image", "", "This field is required."),
    ("image", "Not An Image!", "is not a valid image reference"),
    ("name", "my web", "no spaces"),
    ("name", "x" * 70, "1 to 63"),
    ("replicas", "-1", "greater than or equal to 0"),
    ("replicas", "1.5", "whole number"),
    ("replicas", "1000000000", "less than or equal to 1000"),
    ("env", "A=1\nA=2", "A is given twice"),
    ("env", "NOEQUALS", "KEY=VALUE"),
    ("env", "BIG=" + "x" * 1_000_000, "at most 65536 characters"),
    ("env", "BIG=" + "x" * 40_000, "longer than 32768"),
    ("ports", "70000:80", "1 to 65535"),
    ("ports", "80:70000", "1 to 65535"),
    ("ports", "eighty", "like 8080:80/tcp host"),
    ("health_interval", "10 seconds", "is not a duration"),
    ("restart_delay", "5x", "is not a duration"),
    ("health_retries", "-1", "greater than or equal to 0"),
    ("update_failure_action", "explode", "Select a valid choice"),
    ("rollback_failure_action", "rollback", "Select a valid choice"),
    ("update_max_failure_ratio", "2", "less than or equal to 1"),
    ("constraints", "node.role manager", "like node.role==manager"),
    ("mounts", "type=bind,source=/,target=/host", "SWARMDECK_ALLOW_BIND_MOUNTS=true"),
    ("args", "sh -c 'unclosed", "Unbalanced quotes"),
    ("name", "web\x00", "Null characters are not allowed"),
    ("env", "A=\x00", "Null characters are not allowed"),
    ("limit_memory", "lots", "not a memory size"),
]


@pytest.mark.parametrize(("field", "value", "error"), BAD, ids=[f"{f}-{i}" for i, (f, _v, _e) in enumerate(BAD)])
def test_bad_input_is_a_form_error_with_no_job_and_no_engine_call(
    panel_client, no_engine, no_enqueue, field, value, error
):
    response = panel_client.post(reverse("services:create"), {**GOOD, field: value})

    assert response.status_code == 200
    assert error in " ".join(
        str(e)
        for e in response.context["form"].errors.get(field, [])
        + response.context["form"].errors.get("confirm_password", [])
    )
    assert "nothing was sent to Docker" in response.content.decode()
    assert not Job.objects.exists()


def test_spec_round_trips_through_the_form_values():
    from services.forms import ServiceForm

    form = ServiceForm(GOOD)
    assert form.is_valid(), form.errors
    spec = specs.spec_create(name="web", values=form.spec_values(), job_id=7)

    again = ServiceForm({**specs.values_from_spec(spec), "name": "web"})
    assert again.is_valid(), again.errors
    assert specs.spec_create(name="web", values=again.spec_values(), job_id=7) == spec


def test_update_keeps_what_the_user_did_not_touch():
    current = {"Name": "web", "Labels": {"x": "1"}, "TaskTemplate": {"ContainerSpec": {"Image": "a", "Env": ["K=1"]}}}

    updated = specs.spec_apply(current, {"image": {"image": "b"}})

    assert updated["TaskTemplate"]["ContainerSpec"] == {"Image": "b", "Env": ["K=1"]}
    assert updated["Labels"] == {"x": "1"}
    assert current["TaskTemplate"]["ContainerSpec"]["Image"] == "a"


@pytest.mark.parametrize(("text", "ns"), [("500ms", 500_000_000), ("1m30s", 90_000_000_000), ("2h", 7_200_000_000_000)])
def test_durations(text, ns):
    assert specs.go_duration_parse(text) == ns
    assert specs.go_duration_parse(specs.go_duration_format(ns)) == ns


# --- Docker's defaults: an empty field means the CLI without its flag ---------------------------


def prefilled(form) -> dict:
    """What a browser posts back for a form left as shown: each enabled field's value (BoundField.value())."""
    from django import forms

    data = {}
    for field in form:
        if field.field.disabled:
            continue  # a browser does not send a disabled input
        value = field.value()
        if isinstance(field.field, forms.BooleanField):
            if value:
                data[field.name] = "on"
            continue
        data[field.name] = "" if value is None else value
    return data


def test_only_a_name_and_an_image_posted_create_a_service_with_the_cli_defaults(panel_client, no_engine, no_enqueue):
    """Nothing else sent at all (not even the preset choices): `docker service create --name web busybox`."""
    response = panel_client.post(reverse("services:create"), {"name": "web", "image": "busybox"})

    job = Job.objects.get()
    assert response["Location"] == reverse("jobs:detail", args=[job.id])
    spec = specs.spec_create(name="web", values=job.params["values"], job_id=job.id)
    container = spec["TaskTemplate"]["ContainerSpec"]
    assert spec["Mode"] == {"Replicated": {"Replicas": 1}}
    assert container == {"Image": "busybox", "Env": [], "Mounts": []}  # the image's command and health check
    # Keys left out are Swarm's defaults (restart delay 5s, monitor 5s); a missing Parallelism would be 0.
    assert spec["TaskTemplate"]["RestartPolicy"] == {"Condition": "any"}
    cli_rollout = {"Parallelism": 1, "FailureAction": "pause", "MaxFailureRatio": 0, "Order": "stop-first"}
    assert spec["UpdateConfig"] == spec["RollbackConfig"] == cli_rollout
    assert spec["EndpointSpec"] == {"Ports": []}
    assert spec["TaskTemplate"]["Placement"] == {"Constraints": []}


def test_the_form_reads_back_a_default_service_as_empty_fields():
    """An engine spec that leaves everything to Docker shows empty fields, the choices at Docker's default."""
    from services.forms import ServiceForm

    values = specs.values_from_spec({"Name": "web", "TaskTemplate": {"ContainerSpec": {"Image": "busybox"}}})

    assert values["restart_delay"] == values["update_monitor"] == values["health_interval"] == ""
    assert values["update_parallelism"] is None and values["restart_max_attempts"] is None
    assert (values["restart_condition"], values["update_failure_action"], values["rollback_order"]) == (
        "any",
        "pause",
        "stop-first",
    )
    assert ServiceForm({**values, "allow_mounts": False}).is_valid()


@pytest.mark.parametrize(
    ("field", "default"),
    [
        ("replicas", "1"),
        ("restart_delay", "5s"),
        ("restart_max_attempts", "0"),
        ("health_interval", "30s"),
        ("health_timeout", "30s"),
        ("health_retries", "3"),
        ("update_parallelism", "1"),
        ("update_monitor", "5s"),
        ("update_delay", "0s"),
        ("rollback_parallelism", "1"),
        ("rollback_monitor", "5s"),
    ],
)
def test_the_create_form_shows_dockers_default_of_each_empty_field(panel_client, field, default):
    html = panel_client.get(reverse("services:create")).content.decode()

    assert re.search(rf'<input[^>]*name="{field}"[^>]*placeholder="{re.escape(default)}"', html) or re.search(
        rf'<input[^>]*placeholder="{re.escape(default)}"[^>]*name="{field}"', html
    )
    hint = re.search(rf'id="id_{field}_helptext">([^<]*)<', html)
    assert hint and f"Empty: {default}, Docker's default." in unescape(hint[1])


def test_the_defaults_are_translated(panel_client):
    from services.forms import ServiceForm

    with translation.override("es"):
        text = str(ServiceForm().fields["restart_delay"].help_text)
    assert "5s" in text  # the value is the CLI's, whatever the language


def test_empty_replicas_on_update_keep_the_current_number():
    from services.forms import ServiceForm

    spec = {"Name": "web", "Mode": {"Replicated": {"Replicas": 5}}, "TaskTemplate": {"ContainerSpec": {"Image": "a"}}}
    initial = specs.values_from_spec(spec)
    form = ServiceForm(
        {**prefilled(ServiceForm(initial=initial, updating=True)), "replicas": ""}, initial=initial, updating=True
    )

    assert form.is_valid(), form.errors
    assert form.cleaned_data["replicas"] == 5
    assert "replicas" not in form.changed_data


# --- ports and mounts: every shape the engine takes, both ways ---------------------------------


@pytest.mark.parametrize(
    ("line", "port", "text"),
    [
        ("8080:80/tcp host", {"published": 8080, "target": 80, "protocol": "tcp", "mode": "host"}, "8080:80/tcp host"),
        ("80", {"published": None, "target": 80, "protocol": "tcp", "mode": "ingress"}, "80/tcp ingress"),
        (":80/tcp", {"published": None, "target": 80, "protocol": "tcp", "mode": "ingress"}, "80/tcp ingress"),
        ("53/udp host", {"published": None, "target": 53, "protocol": "udp", "mode": "host"}, "53/udp host"),
        ("5353:53/udp mode=ingress", {"published": 5353, "target": 53, "protocol": "udp", "mode": "ingress"}, None),
        ("9000:9000/sctp", {"published": 9000, "target": 9000, "protocol": "sctp", "mode": "ingress"}, None),
    ],
)
def test_ports_with_and_without_a_published_number(line, port, text):
    assert specs.parse_port(line) == port
    spec = specs.spec_apply({}, {"ports": {"ports": [port]}})
    written = spec["EndpointSpec"]["Ports"][0]
    assert ("PublishedPort" in written) == (port["published"] is not None)
    read = engine.ServiceConfig.from_json(spec).ports[0]
    assert specs.parse_port(specs.format_port(read)) == port
    if text:
        assert specs.format_port(read) == text


MOUNTS = [
    ("type=volume,source=data,target=/data", {"Type": "volume", "Source": "data", "Target": "/data"}),
    (
        "type=volume,target=/cache,volume-nocopy",
        {"Type": "volume", "Target": "/cache", "VolumeOptions": {"NoCopy": True}},
    ),
    (
        'type=volume,source=nfs,target=/nfs,volume-driver=local,volume-label=a=b,"volume-opt=o=addr=10.0.0.1,rw"',
        {
            "Type": "volume",
            "Source": "nfs",
            "Target": "/nfs",
            "VolumeOptions": {
                "Labels": {"a": "b"},
                "DriverConfig": {"Name": "local", "Options": {"o": "addr=10.0.0.1,rw"}},
            },
        },
    ),
    (
        "type=bind,source=/srv,target=/srv,readonly,bind-propagation=rslave",
        {
            "Type": "bind",
            "Source": "/srv",
            "Target": "/srv",
            "ReadOnly": True,
            "BindOptions": {"Propagation": "rslave"},
        },
    ),
    ("type=tmpfs,target=/tmp", {"Type": "tmpfs", "Target": "/tmp"}),
    (
        "type=tmpfs,target=/run,tmpfs-size=64M,tmpfs-mode=1777",
        {"Type": "tmpfs", "Target": "/run", "TmpfsOptions": {"SizeBytes": 64 * 1024**2, "Mode": 0o1777}},
    ),
]


@pytest.mark.parametrize(("line", "mount"), MOUNTS)
def test_mounts_of_every_type_parse_write_and_format_back(line, mount):
    parsed = specs.parse_mount(line)
    spec = specs.spec_apply({}, {"mounts": {"mounts": [parsed]}})

    assert spec["TaskTemplate"]["ContainerSpec"]["Mounts"] == [mount]
    text = specs.format_mount(engine.ServiceConfig.from_json(spec).mounts[0])
    assert text == line
    assert specs.parse_mount(text) == parsed


@pytest.mark.parametrize(
    "line",
    [
        "type=tmpfs,source=x,target=/tmp",  # tmpfs has no source
        "type=bind,source=relative,target=/x",
        "type=volume,target=relative",
        "type=volume,target=/x,tmpfs-size=1M",
        "type=bind,source=/a,target=/b,bind-propagation=sideways",
        "type=floppy,target=/a",
        "type=volume,target=/a,colour=blue",
    ],
)
def test_bad_mounts_are_refused(line):
    with pytest.raises(ValueError):
        specs.parse_mount(line)


def test_a_rewritten_mount_keeps_what_the_form_does_not_show():
    spec = {
        "TaskTemplate": {
            "ContainerSpec": {"Mounts": [{"Type": "bind", "Source": "/a", "Target": "/a", "Consistency": "cached"}]}
        }
    }
    parsed = specs.parse_mount("type=bind,source=/a,target=/a,readonly")

    mounts = specs.spec_apply(spec, {"mounts": {"mounts": [parsed]}})["TaskTemplate"]["ContainerSpec"]["Mounts"]

    assert mounts == [{"Type": "bind", "Source": "/a", "Target": "/a", "Consistency": "cached", "ReadOnly": True}]


def test_a_health_check_line_left_alone_keeps_its_form():
    spec = {"TaskTemplate": {"ContainerSpec": {"Healthcheck": {"Test": ["CMD", "curl", "-f", "http://x/a b"]}}}}
    values = specs.values_from_spec(spec)
    assert values["health_cmd"] == "curl -f 'http://x/a b'"

    from services.forms import ServiceForm

    form = ServiceForm({**values, "name": "web", "image": "a", "health_retries": "2"})
    assert form.is_valid(), form.errors
    groups = specs.changed_groups(["health_retries"], form.spec_values())
    check = specs.spec_apply(spec, groups)["TaskTemplate"]["ContainerSpec"]["Healthcheck"]

    assert check == {"Test": ["CMD", "curl", "-f", "http://x/a b"], "Retries": 2}


# --- editing any service: its mounts stay without the opt-in, nothing changed means no job -------

RICH_SPEC = {
    "Name": "web",
    "Labels": {"tier": "front", "swarmdeck.job": "3"},
    "Mode": {"Replicated": {"Replicas": 2}},
    "TaskTemplate": {
        "ContainerSpec": {
            "Image": "swarmdeck-test/busybox:1@sha256:" + "b" * 64,
            "Command": ["sleep"],
            "Args": ["100000"],
            "Env": ["A=1", "B=two words"],
            "Mounts": [
                {"Type": "bind", "Source": "/srv", "Target": "/srv", "ReadOnly": True},
                {"Type": "tmpfs", "Target": "/tmp", "TmpfsOptions": {"SizeBytes": 1024**2}},
                {"Type": "volume", "Source": "data", "Target": "/data"},
            ],
            "Healthcheck": {"Test": ["NONE"]},
        },
        "RestartPolicy": {"Condition": "on-failure", "Delay": 0, "MaxAttempts": 0},
        "Resources": {"Limits": {"NanoCPUs": 333333333, "MemoryBytes": 1234567}},
        "Placement": {"Constraints": ["node.role==manager"]},
        "ForceUpdate": 2,
    },
    "UpdateConfig": {"Parallelism": 0, "FailureAction": "continue", "MaxFailureRatio": 0.5, "Order": "start-first"},
    "EndpointSpec": {
        "Mode": "vip",
        "Ports": [
            {"Protocol": "tcp", "TargetPort": 80, "PublishMode": "ingress"},
            {"Protocol": "udp", "TargetPort": 53, "PublishedPort": 5353, "PublishMode": "host"},
        ],
    },
}


@pytest.fixture
def rich_service(monkeypatch):
    from tests.conftest import service_summary

    detail = engine.ServiceDetail(
        summary=service_summary(spec=RICH_SPEC), spec=RICH_SPEC, previous_spec=None, update_status=None
    )
    monkeypatch.setattr(engine, "service_detail", lambda service_id: detail)
    return detail


def _edit_page(panel_client):
    response = panel_client.get(reverse("services:update", args=["svc1"]))
    assert response.status_code == 200
    return response.context["form"]


def test_a_service_posted_back_unchanged_makes_no_job(panel_client, rich_service, no_enqueue):
    data = prefilled(_edit_page(panel_client))

    response = panel_client.post(reverse("services:update", args=["svc1"]), data, follow=False)

    assert response.status_code == 302, response.context["form"].errors
    assert response["Location"] == reverse("services:detail", args=["svc1"])
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Nothing was changed."]
    assert Job.objects.count() == 0


def test_existing_mounts_need_no_opt_in_to_edit_something_else(panel_client, rich_service, no_enqueue):
    data = {**prefilled(_edit_page(panel_client)), "env": "A=2"}
    assert "allow_mounts" not in data

    response = panel_client.post(reverse("services:update", args=["svc1"]), data)

    job = Job.objects.get()
    assert response["Location"] == reverse("jobs:detail", args=[job.id])
    assert list(job.params["groups"]) == ["env"]


def test_adding_a_bind_mount_needs_the_setting_and_a_protected_path_the_password(
    panel_client, rich_service, no_enqueue, settings, admin_login
):
    data = prefilled(_edit_page(panel_client))
    data["mounts"] += "\ntype=bind,source=/,target=/host"
    url = reverse("services:update", args=["svc1"])

    refused = panel_client.post(url, data)
    assert "SWARMDECK_ALLOW_BIND_MOUNTS=true" in str(refused.context["form"].errors["mounts"])
    assert 'name="confirm_password"' not in refused.content.decode()

    settings.SWARMDECK_ALLOW_BIND_MOUNTS = True
    asked = panel_client.post(url, data)
    assert "Enter your password" in str(asked.context["form"].errors["confirm_password"])
    assert 'name="confirm_password"' in asked.content.decode()
    wrong = panel_client.post(url, {**data, "confirm_password": admin_login.password + "x"})
    assert "not your password" in str(wrong.context["form"].errors["confirm_password"])
    assert not Job.objects.exists()

    panel_client.post(url, {**data, "confirm_password": admin_login.password})
    job = Job.objects.get()
    assert job.params["groups"]["mounts"]["mounts"][-1]["source"] == "/"
    assert "confirm_password" not in job.params["groups"]["mounts"]
    # Written over the service's own spec, the other mounts come out as they were.
    written = specs.spec_apply(RICH_SPEC, job.params["groups"])["TaskTemplate"]["ContainerSpec"]["Mounts"]
    assert written[:3] == RICH_SPEC["TaskTemplate"]["ContainerSpec"]["Mounts"]
    assert specs.spec_apply(RICH_SPEC, job.params["groups"])["Labels"]["swarmdeck.job"] == "3"


# --- help texts and errors are linked to their inputs -------------------------------------------


def test_every_aria_describedby_names_an_element_of_the_page(panel_client, no_engine):
    html = panel_client.post(reverse("services:create"), {**GOOD, "ports": "eighty"}).content.decode()

    described = [ref for refs in re.findall(r'aria-describedby="([^"]+)"', html) for ref in refs.split()]
    assert "id_restart_delay_helptext" in described
    assert "id_ports_error" in described  # the field in error points at its message too
    missing = [ref for ref in described if f'id="{ref}"' not in html]
    assert not missing
