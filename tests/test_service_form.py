"""The create/update form: every bad input is a clear error, creates no job and calls no engine."""

import pytest
from django.urls import reverse

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


@pytest.fixture
def no_enqueue(monkeypatch):

    monkeypatch.setattr("jobs.requests.job_enqueue", lambda job_id: None)


def test_a_good_form_creates_one_job(panel_client, no_engine, no_enqueue):
    response = panel_client.post(reverse("services:create"), GOOD)

    job = Job.objects.get()
    assert response["Location"] == reverse("jobs:detail", args=[job.id])
    assert (job.kind, job.service_name) == ("create", "web")
    assert job.params["values"]["env"] == {"A": "1", "B": "two words"}


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
    ("mounts", "type=bind,source=/,target=/host", "Allow mounts"),
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
        + response.context["form"].errors.get("allow_mounts", [])
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
    assert specs.parse_duration(text) == ns
    assert specs.parse_duration(specs.format_duration(ns)) == ns
