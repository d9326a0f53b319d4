"""Secrets in environment values: hidden on every page that shows one, never in clear in a Job row,
yet what the engine gets is what the user typed or had (services/masking.py)."""

import json

import pytest
from django.urls import reverse

import engine
from jobs.models import Job
from jobs.runner import job_run
from services import masking, specs
from services.masking import MASK, mask_env, mask_value

from .fake_engine import WEB
from .test_service_form import GOOD, prefilled

API_KEY = "sk-live-4f1d2b9e"
DB_PASSWORD = "pg-pw-83c1a7"
MARKED = "plain-looking-5e0c"  # a value of a name the user marks secret
DATABASE_URL = f"postgres://app:{DB_PASSWORD}@db:5432/app?sslmode=disable"
SECRETS = (API_KEY, DB_PASSWORD, MARKED)
ENV = [f"API_KEY={API_KEY}", f"DATABASE_URL={DATABASE_URL}", f"REGION={MARKED}", "GREETING=hello"]


# --- the rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "shown"),
    [
        ("DATABASE_URL", "postgres://u:pw@host/db", f"postgres://u:{MASK}@host/db"),
        ("BROKER", "redis://:pw@redis:6379/0", f"redis://:{MASK}@redis:6379/0"),
        ("UPSTREAMS", "http://a:1@x http://b:2@y", f"http://a:{MASK}@x http://b:{MASK}@y"),
        ("DSN", "mysql://u:p@ss/w@db/x", f"mysql://u:{MASK}@db/x"),  # an unencoded "@" in the password
        ("URL", "https://example.com:8443/path", "https://example.com:8443/path"),  # no password
        ("URL", "https://user@example.com/", "https://user@example.com/"),
        ("API_KEY", "abc", MASK),
        ("db_password", "", ""),
    ],
)
def test_names_and_url_passwords(key, value, shown):
    assert mask_value(key, value) == shown


def test_names_the_user_marks_are_hidden_too():
    labels = {masking.SECRET_ENV_LABEL: "REGION, OTHER"}

    assert masking.secret_names(labels) == {"REGION", "OTHER"}
    assert mask_env(["REGION=eu", "ZONE=a"], masking.secret_names(labels)) == [("REGION", MASK), ("ZONE", "a")]


def test_a_sealed_value_opens_only_with_the_key_and_stays_out_of_the_json():
    sealed = masking.seal(API_KEY)

    assert API_KEY not in json.dumps(sealed)
    assert masking.env_value_open("API_KEY", sealed, {}) == API_KEY
    assert masking.env_value_open("API_KEY", masking.KEEP, {"API_KEY": "current"}) == "current"
    with pytest.raises(masking.SecretUnavailable):
        masking.env_value_open("API_KEY", masking.DROPPED, {"API_KEY": "current"})


def test_a_key_rotated_into_the_fallbacks_still_opens_a_queued_jobs_value(settings):
    sealed = masking.seal(API_KEY)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-key-" + "x" * 50

    assert masking.env_value_open("API_KEY", sealed, {}) == API_KEY


# --- the pages --------------------------------------------------------------------------------


@pytest.fixture
def secret_web(fake_web):
    """rec-web (svc1) with secrets in its environment, REGION marked secret, and a previous spec
    whose API_KEY differed."""

    def change(spec: dict) -> None:
        spec["TaskTemplate"]["ContainerSpec"]["Env"] = list(ENV)
        spec["Labels"][masking.SECRET_ENV_LABEL] = "REGION"

    fake_web.spec_change(WEB, change)
    previous = fake_web.raw_service(WEB)["PreviousSpec"]
    previous["TaskTemplate"]["ContainerSpec"]["Env"] = [f"API_KEY={API_KEY}-old", f"DATABASE_URL={DATABASE_URL}"]
    previous.setdefault("Labels", {})[masking.SECRET_ENV_LABEL] = "REGION"
    return fake_web


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def test_the_detail_page_hides_every_secret(panel_client, secret_web):
    html = panel_client.get(reverse("services:detail", args=["svc1"])).content.decode()

    assert_no_secret(html)
    assert f"API_KEY={MASK}" in html and f"postgres://app:{MASK}@db:5432/app" in html
    assert f"REGION={MASK}" in html and "GREETING=hello" in html


def test_the_edit_form_shows_the_mask_and_the_marked_names(panel_client, secret_web):
    response = panel_client.get(reverse("services:update", args=["svc1"]))

    assert_no_secret(response.content.decode())
    form = response.context["form"]
    assert form["env"].value().splitlines() == [
        f"API_KEY={MASK}",
        f"DATABASE_URL=postgres://app:{MASK}@db:5432/app?sslmode=disable",
        f"REGION={MASK}",
        "GREETING=hello",
    ]
    assert form["secret_env"].value() == "REGION"


def test_the_rollback_page_says_a_secret_changed_without_either_value(panel_client, secret_web):
    html = panel_client.get(reverse("services:rollback", args=["svc1"])).content.decode()

    assert_no_secret(html)
    assert f"{API_KEY}-old" not in html
    assert f"API_KEY={MASK} (changed)" in html


# --- the jobs: nothing in clear, the engine gets the values -----------------------------------


@pytest.fixture
def run_jobs(monkeypatch, memory_channel_layer):
    """Jobs run here, on the fake engine; the rollout is not what these tests look at."""
    monkeypatch.setattr("services.runners.rollout_follow", lambda job, expect_update: None)


def _spec_sent(fake) -> dict:
    return [write for write in fake.writes if write.path.endswith("/update")][-1].body


def test_an_edit_elsewhere_keeps_every_secret_without_holding_one(panel_client, secret_web, no_enqueue, run_jobs):
    url = reverse("services:update", args=["svc1"])
    data = prefilled(panel_client.get(url).context["form"])
    data["env"] += "\nADDED=1"

    panel_client.post(url, data)
    job = Job.objects.get()
    assert_no_secret(json.dumps(job.params))
    assert dict(job.params["groups"]["env"]["env"])["API_KEY"] == masking.KEEP

    job_run(job_id=job.id)

    job.refresh_from_db()
    assert job.state == "succeeded", (job.error_code, job.error)
    assert _spec_sent(secret_web)["TaskTemplate"]["ContainerSpec"]["Env"] == [*ENV, "ADDED=1"]
    assert_no_secret(json.dumps(job.params))


def test_a_new_secret_is_sealed_in_the_job_and_dropped_once_it_ran(panel_client, secret_web, no_enqueue, run_jobs):
    url = reverse("services:update", args=["svc1"])
    data = prefilled(panel_client.get(url).context["form"])
    data["env"] = data["env"].replace(f"API_KEY={MASK}", "API_KEY=new-key-71c2") + "\nZONE=zone-secret-9"
    data["secret_env"] = "REGION, ZONE"

    panel_client.post(url, data)
    job = Job.objects.get()
    env = dict(job.params["groups"]["env"]["env"])
    assert "new-key-71c2" not in json.dumps(job.params) and "zone-secret-9" not in json.dumps(job.params)
    assert set(env["API_KEY"]) == set(env["ZONE"]) == {masking.SEALED}

    job_run(job_id=job.id)

    sent = _spec_sent(secret_web)
    assert sent["TaskTemplate"]["ContainerSpec"]["Env"] == [
        "API_KEY=new-key-71c2",
        f"DATABASE_URL={DATABASE_URL}",
        f"REGION={MARKED}",
        "GREETING=hello",
        "ZONE=zone-secret-9",
    ]
    assert sent["Labels"][masking.SECRET_ENV_LABEL] == "REGION,ZONE"
    job.refresh_from_db()
    assert job.state == "succeeded"
    env = dict(job.params["groups"]["env"]["env"])
    assert env["API_KEY"] == env["ZONE"] == masking.DROPPED


def test_a_url_whose_rest_changed_with_its_password_masked_is_refused(panel_client, secret_web, no_enqueue):
    url = reverse("services:update", args=["svc1"])
    data = prefilled(panel_client.get(url).context["form"])
    data["env"] = data["env"].replace("@db:5432", "@db2:5432")

    response = panel_client.post(url, data)

    assert "stands for a hidden value" in str(response.context["form"].errors["env"])
    assert not Job.objects.exists()


def test_the_mask_typed_in_a_new_service_is_refused(panel_client, no_enqueue):
    response = panel_client.post(reverse("services:create"), {**GOOD, "env": f"API_KEY={MASK}"})

    assert "stands for a hidden value" in str(response.context["form"].errors["env"])
    assert not Job.objects.exists()


def test_a_created_service_gets_its_secrets_and_the_job_keeps_none(panel_client, fake_engine, no_enqueue, run_jobs):
    env = "\n".join(ENV)
    panel_client.post(reverse("services:create"), {**GOOD, "env": env, "secret_env": "REGION"})
    job = Job.objects.get()
    assert_no_secret(json.dumps(job.params))

    job_run(job_id=job.id)

    created = next(write.body for write in fake_engine.writes if write.path == "/services/create")
    assert created["TaskTemplate"]["ContainerSpec"]["Env"] == ENV
    assert created["Labels"][masking.SECRET_ENV_LABEL] == "REGION"
    job.refresh_from_db()
    assert job.state == "succeeded", (job.error_code, job.error)
    assert_no_secret(json.dumps(job.params))
    assert_no_secret(panel_client.get(reverse("jobs:detail", args=[job.id])).content.decode())


def test_a_kept_value_the_service_lost_meanwhile_fails_the_job_saying_which(
    panel_client, secret_web, no_enqueue, run_jobs
):
    url = reverse("services:update", args=["svc1"])
    data = prefilled(panel_client.get(url).context["form"])
    panel_client.post(url, {**data, "env": data["env"] + "\nADDED=1"})
    secret_web.spec_change(WEB, lambda spec: spec["TaskTemplate"]["ContainerSpec"]["Env"].pop(0))

    job_run(job_id=Job.objects.get().id)

    job = Job.objects.get()
    assert job.state == "failed"
    assert "API_KEY" in job.error and API_KEY not in job.error


def test_the_form_values_never_hold_a_secret():
    config = engine.ServiceConfig.from_json(
        {"Labels": {masking.SECRET_ENV_LABEL: "REGION"}, "TaskTemplate": {"ContainerSpec": {"Env": ENV}}}
    )

    assert_no_secret(json.dumps(specs.form_values(config)))
