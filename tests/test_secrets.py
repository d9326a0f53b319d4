"""Secrets: the engine adapter on the engine's JSON, the pages, create / remove / rotate as jobs (the
content handed off through Redis, never in a table), and the service form's secret references.
The engine is the fake one (tests/fake_engine.py), whose secrets answer as engine 20.10 does."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

import engine
from engine.secrets import MAX_DATA_BYTES
from jobs.handoff import HandoffLost, _redis, handoff_peek, handoff_put
from jobs.models import Job
from jobs.runner import job_run
from jobs.states import job_claim
from services import specs
from swarm_secrets import runners
from swarm_secrets.forms import next_version_name

from .fake_engine import WEB

VALUE = "pa55-Wörd-7f3a9c1e"  # a value found nowhere but where it belongs


@pytest.fixture
def handoff_redis(redis_server):
    """The real Redis of the hand-off, with no value left by another test's job of the same id."""
    _redis.cache_clear()
    client = _redis()
    for key in client.scan_iter(match="swarmdeck:handoff:*"):
        client.delete(key)
    yield client
    _redis.cache_clear()


@pytest.fixture
def swarm(fake_engine, db, memory_channel_layer, no_enqueue, handoff_redis):
    return fake_engine


def _uses(fake, name: str, references: list[dict]) -> None:
    """Make the recorded service ``name`` reference these secrets (engine JSON)."""

    def change(spec: dict) -> None:
        spec["TaskTemplate"]["ContainerSpec"]["Secrets"] = references

    fake.spec_change(name, change)


def _reference(secret_id: str, name: str, *, target: str = "", uid="0", gid="0", mode=0o444) -> dict:
    return {
        "File": {"Name": target or name, "UID": uid, "GID": gid, "Mode": mode},
        "SecretID": secret_id,
        "SecretName": name,
    }


@pytest.fixture
def post(panel_client, django_capture_on_commit_callbacks):
    """Post as the logged-in user, the job's hand-over to the worker run as its commit runs it."""

    def send(url: str, data: dict):
        with django_capture_on_commit_callbacks(execute=True):
            return panel_client.post(url, data)

    return send


def _asked(response, no_enqueue) -> Job:
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:detail", args=[job.id])
    assert no_enqueue == [job.id]
    return job


def _claimed(job: Job) -> Job:
    """The job as a worker holds it once claimed (running, attempt 1): for runners called directly."""
    return job_claim(job_id=job.id)


def _run(job: Job) -> Job:
    job_run(job_id=job.id)
    job.refresh_from_db()
    return job


def _codes(job: Job) -> list[str]:
    return [step["code"] for step in job.steps]


def _secret_writes(fake) -> list:
    return [w for w in fake.writes if w.method.endswith("_secret") or "/services/" in w.path]


def _database_dump() -> str:
    """Every row of every table, as text: what a leak into the database would show up in."""
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from the schema
            rows += [repr(row) for row in cursor.fetchall()]
    return "\n".join(rows)


# --- the engine adapter ----------------------------------------------------------------------------


def test_secrets_are_read_without_data_and_their_users_in_one_call(swarm):
    secret_id = swarm.file_add("secret", "db-pass", labels={"team": "a"})
    swarm.file_add("secret", "db-pass-old")
    _uses(swarm, WEB, [_reference(secret_id, "db-pass", target="pw", uid="70", gid="71", mode=0o400)])

    secrets = engine.secret_list()
    found = engine.secret_find(name="db-pass")
    users = engine.secret_users()

    assert [s.name for s in secrets] == ["db-pass", "db-pass-old"]
    assert found.id == secret_id and found.labels == {"team": "a"} and found.created_at is not None
    assert not hasattr(found, "data")
    (use,) = users[secret_id]
    assert (use.service_name, use.path) == (WEB, "/run/secrets/pw")
    assert use.reference == engine.FileReference(secret_id, "db-pass", "pw", "70", "71", 0o400)
    assert [name for name, _kwargs in swarm.calls].count("services") == 1


@pytest.mark.parametrize(
    ("call", "error", "code", "words"),
    [
        (lambda: engine.secret_get(secret_id="nope"), engine.SecretNotFound, "secret_not_found", "not found"),
        (
            lambda: engine.secret_create(name="db-pass", data=b"x"),
            engine.SecretNameTaken,
            "secret_name_taken",
            "already exists",
        ),
        (
            lambda: engine.secret_remove(secret_id="db-pass"),
            engine.SecretInUse,
            "secret_in_use",
            "is in use by the following service: rec-web",
        ),
    ],
)
def test_engine_refusals_are_typed_and_keep_the_engines_words(swarm, call, error, code, words):
    secret_id = swarm.file_add("secret", "db-pass")
    _uses(swarm, WEB, [_reference(secret_id, "db-pass")])

    with pytest.raises(error) as caught:
        call()

    assert caught.value.code == code
    assert words in caught.value.detail


def test_next_version_names():
    assert next_version_name("db-pass", set()) == "db-pass-v2"
    assert next_version_name("db-pass-v2", set()) == "db-pass-v3"
    assert next_version_name("db-pass", {"db-pass-v2", "db-pass-v3"}) == "db-pass-v4"
    assert len(next_version_name("x" * 64, set())) <= 64


# --- pages -----------------------------------------------------------------------------------------


def test_the_list_shows_dates_and_the_services_using_each(panel_client, swarm):
    secret_id = swarm.file_add("secret", "db-pass")
    swarm.file_add("secret", "unused")
    _uses(swarm, WEB, [_reference(secret_id, "db-pass", target="/etc/app/pw")])

    html = panel_client.get(reverse("swarm_secrets:list")).content.decode()

    assert reverse("swarm_secrets:detail", args=[secret_id]) in html
    assert reverse("services:detail", args=[swarm.service_id(WEB)]) in html
    assert "/etc/app/pw" in html
    assert "no service" in html  # "unused"
    detail = panel_client.get(reverse("swarm_secrets:detail", args=[secret_id])).content.decode()
    assert "db-pass" in detail and "0444" in detail and "Never shown" in detail


def test_an_unknown_secret_is_404(panel_client, swarm):
    assert panel_client.get(reverse("swarm_secrets:detail", args=["nope"])).status_code == 404


# --- create ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"name": "-bad", "content": "x"}, "starting and ending with a letter or digit"),
        ({"name": "bad name", "content": "x"}, "starting and ending with a letter or digit"),
        ({"name": "a" * 65, "content": "x"}, "at most 64"),
        ({"name": "ok", "content": ""}, "Docker keeps no empty one"),
        ({"name": "taken", "content": "x"}, "Another secret already has this name"),
        ({"name": "ok", "content": "x" * (MAX_DATA_BYTES + 1)}, "at most"),
    ],
)
def test_bad_input_is_a_form_error_with_no_job_and_no_write(panel_client, swarm, no_enqueue, data, words):
    swarm.file_add("secret", "taken")

    response = panel_client.post(reverse("swarm_secrets:create"), data)

    assert response.status_code == 200
    assert words in response.content.decode()
    assert Job.objects.count() == 0 and no_enqueue == [] and _secret_writes(swarm) == []


def test_typed_content_is_not_sent_back_with_the_forms_errors(panel_client, swarm):
    rotate = reverse("swarm_secrets:rotate", args=[swarm.file_add("secret", "db-pass")])
    for url, data in (
        (reverse("swarm_secrets:create"), {"name": "-bad", "content": VALUE}),
        (rotate, {"new_name": "-", "content": VALUE}),
    ):
        html = panel_client.post(url, data).content.decode()
        assert "Please correct the errors below" in html and "not shown again" in html
        assert VALUE not in html
    # A config's content is not secret: its form shows it back (the same check, failing).
    html = panel_client.post(reverse("configs:create"), {"name": "-bad", "content": VALUE}).content.decode()
    assert VALUE in html


def test_a_file_too_large_or_with_typed_content_is_refused(panel_client, swarm, no_enqueue):
    big = SimpleUploadedFile("key.pem", b"k" * (MAX_DATA_BYTES + 1))
    response = panel_client.post(reverse("swarm_secrets:create"), {"name": "key", "upload": big})
    assert "Docker keeps at most 512000" in response.content.decode()
    both = SimpleUploadedFile("key.pem", b"k")
    response = panel_client.post(reverse("swarm_secrets:create"), {"name": "key", "content": "x", "upload": both})
    assert "not both" in response.content.decode()
    assert Job.objects.count() == 0 and _secret_writes(swarm) == []


def test_a_secret_typed_in_the_form_never_reaches_a_table_a_page_or_the_job(panel_client, post, swarm, no_enqueue):
    response = post(reverse("swarm_secrets:create"), {"name": "db-pass", "content": VALUE})

    job = _asked(response, no_enqueue)
    assert (job.kind, job.target_name, job.params) == (Job.Kind.SECRET_CREATE, "db-pass", {})
    assert handoff_peek(job_id=job.id, name=runners.CONTENT) == VALUE.encode()
    assert VALUE not in _database_dump()

    job = _run(job)

    assert job.state == Job.State.SUCCEEDED, job.steps
    assert _codes(job)[-2:] == ["secret_created", "succeeded"]
    assert swarm.file_data["db-pass"] == VALUE.encode()
    created = engine.secret_find(name="db-pass")
    assert job.target_id == created.id and created.labels == {"swarmdeck.job": str(job.id)}
    with pytest.raises(HandoffLost):
        handoff_peek(job_id=job.id, name=runners.CONTENT)
    assert VALUE not in _database_dump()
    for url in (reverse("swarm_secrets:list"), reverse("swarm_secrets:detail", args=[created.id])):
        assert VALUE not in panel_client.get(url).content.decode()
    assert VALUE not in panel_client.get(reverse("jobs:detail", args=[job.id])).content.decode()


def test_an_uploaded_file_is_the_content_byte_for_byte(panel_client, post, swarm, no_enqueue):
    content = b"-----BEGIN KEY-----\r\n\x00\xff\n"
    upload = SimpleUploadedFile("key.pem", content)

    job = _asked(post(reverse("swarm_secrets:create"), {"name": "key", "upload": upload}), no_enqueue)

    assert _run(job).state == Job.State.SUCCEEDED
    assert swarm.file_data["key"] == content


def test_a_resumed_create_adopts_the_secret_it_made(swarm):
    job = _claimed(runners.job_create_request(kind="secret", name="db-pass", data=b"v"))
    run = runners.RUNNERS[Job.Kind.SECRET_CREATE]
    run(job)
    # The worker stopped before the job ended; the resumed attempt finds its secret (and no content).
    run(job)

    assert [w.method for w in swarm.writes] == ["create_secret"]
    job.refresh_from_db()
    assert _codes(job)[-2:] == ["secret_created", "secret_adopted"]


def test_a_lost_handoff_fails_the_job_and_creates_nothing(swarm):
    job = runners.job_create_request(kind="secret", name="db-pass", data=b"v")
    swarm_redis = _redis()
    for key in swarm_redis.scan_iter(match="swarmdeck:handoff:*"):
        swarm_redis.delete(key)

    job = _run(job)

    assert (job.state, job.error_code) == (Job.State.FAILED, "handoff_lost")
    assert swarm.writes == []


def test_a_name_taken_meanwhile_fails_in_the_engines_words_and_drops_the_value(swarm):
    job = runners.job_create_request(kind="secret", name="db-pass", data=b"v")
    swarm.file_add("secret", "db-pass")

    job = _run(job)

    assert (job.state, job.error_code) == (Job.State.FAILED, "secret_name_taken")
    assert "already exists" in job.error
    with pytest.raises(HandoffLost):
        handoff_peek(job_id=job.id, name=runners.CONTENT)


# --- remove ----------------------------------------------------------------------------------------


def test_removing_a_secret_in_use_is_announced_then_refused_in_the_engines_words(panel_client, post, swarm, no_enqueue):
    secret_id = swarm.file_add("secret", "db-pass")
    _uses(swarm, WEB, [_reference(secret_id, "db-pass")])
    url = reverse("swarm_secrets:remove", args=[secret_id])

    page = panel_client.get(url).content.decode()
    assert "Docker refuses to remove it" in page and WEB in page
    wrong = panel_client.post(url, {"confirm_name": "db"})
    assert wrong.status_code == 200 and Job.objects.count() == 0

    job = _run(_asked(post(url, {"confirm_name": "db-pass"}), no_enqueue))

    assert (job.state, job.error_code) == (Job.State.FAILED, "secret_in_use")
    assert "is in use by the following service: rec-web" in job.error
    assert engine.secret_find(name="db-pass") is not None


def test_an_unused_secret_is_removed_once(panel_client, post, swarm, no_enqueue):
    secret_id = swarm.file_add("secret", "db-pass")
    url = reverse("swarm_secrets:remove", args=[secret_id])

    job = _run(_asked(post(url, {"confirm_name": "db-pass"}), no_enqueue))

    assert job.state == Job.State.SUCCEEDED and "secret_removed" in _codes(job)
    assert engine.secret_find(name="db-pass") is None
    # A resumed attempt finds it gone and says so.
    job.attempts = 2
    runners.RUNNERS[Job.Kind.SECRET_REMOVE](job)
    assert [w.method for w in swarm.writes] == ["remove_secret"]


# --- rotate ----------------------------------------------------------------------------------------


@pytest.fixture
def used_secret(swarm):
    """db-pass, used by rec-web as /run/secrets/pw (70:71, 0400) and by rec-global as /etc/db (default owner)."""
    from .fake_engine import GLOBAL

    secret_id = swarm.file_add("secret", "db-pass")
    other = swarm.file_add("secret", "other")
    _uses(swarm, WEB, [_reference(secret_id, "db-pass", target="pw", uid="70", gid="71", mode=0o400)])
    _uses(swarm, GLOBAL, [_reference(other, "other"), _reference(secret_id, "db-pass", target="/etc/db")])
    return secret_id


def test_rotate_creates_the_new_version_moves_every_service_and_removes_the_old(
    panel_client, post, swarm, no_enqueue, used_secret
):
    from .fake_engine import GLOBAL

    url = reverse("swarm_secrets:rotate", args=[used_secret])
    page = panel_client.get(url).content.decode()
    assert "db-pass-v2" in page and WEB in page

    job = _asked(post(url, {"content": VALUE}), no_enqueue)
    assert (job.kind, job.target_id, job.params) == (Job.Kind.SECRET_ROTATE, used_secret, {"new_name": "db-pass-v2"})
    job = _run(job)

    assert job.state == Job.State.SUCCEEDED, job.steps
    assert _codes(job) == [
        "queued",
        "claimed",
        "secret_created",
        "rotate_services",
        "rotate_service_updated",
        "rotate_service_updated",
        "secret_removed",
        "succeeded",
    ]
    assert [s["params"].get("service") for s in job.steps if s["code"] == "rotate_service_updated"] == [
        GLOBAL,
        WEB,
    ]
    assert (job.progress_done, job.progress_total) == (2, 2)
    new = engine.secret_find(name="db-pass-v2")
    assert new.labels == {"swarmdeck.replaces": "db-pass", "swarmdeck.job": str(job.id)}
    assert swarm.file_data["db-pass-v2"] == VALUE.encode()
    web = swarm.raw_service(WEB)["Spec"]["TaskTemplate"]["ContainerSpec"]["Secrets"]
    assert web == [_reference(new.id, "db-pass-v2", target="pw", uid="70", gid="71", mode=0o400)]
    glob = swarm.raw_service(GLOBAL)["Spec"]["TaskTemplate"]["ContainerSpec"]["Secrets"]
    assert [ref["SecretName"] for ref in glob] == ["other", "db-pass-v2"]
    assert glob[1]["File"] == {"Name": "/etc/db", "UID": "0", "GID": "0", "Mode": 0o444}
    assert engine.secret_find(name="db-pass") is None
    assert VALUE not in _database_dump()


def test_a_resumed_rotate_goes_on_where_it_stopped(swarm, used_secret):
    old = engine.secret_get(secret_id=used_secret)
    job = _claimed(runners.job_rotate_request(secret=old, new_name="db-pass-v2", data=b"new"))
    # The first attempt updated the services, then its worker died before the old secret was removed.
    swarm.fail("remove_secret", engine.EngineUnreachable("gone"), times=1)
    with pytest.raises(engine.EngineUnreachable):
        runners.RUNNERS[Job.Kind.SECRET_ROTATE](job)
    writes = len(swarm.writes)

    job.attempts = 2
    runners.RUNNERS[Job.Kind.SECRET_ROTATE](job)

    assert [w.method for w in swarm.writes[writes:]] == ["remove_secret"]  # no second create, no update
    job.refresh_from_db()
    assert "secret_adopted" in _codes(job) and _codes(job).count("rotate_service_unchanged") == 0
    # Run once more, after everything: nothing left to do, and no content needed for it.
    job.attempts = 3
    runners.RUNNERS[Job.Kind.SECRET_ROTATE](job)
    assert [w.method for w in swarm.writes[writes:]] == ["remove_secret"]
    job.refresh_from_db()
    assert _codes(job)[-1] == "secret_already_removed"


def test_rotate_retries_a_service_changed_meanwhile(swarm, used_secret):
    from .fake_engine import recorded_error

    old = engine.secret_get(secret_id=used_secret)
    job = _claimed(runners.job_rotate_request(secret=old, new_name="fresh", data=b"new"))
    swarm.fail("_post_json", recorded_error("update_out_of_sequence"), times=1)

    runners.RUNNERS[Job.Kind.SECRET_ROTATE](job)

    job.refresh_from_db()
    assert "conflict_retry" in _codes(job)
    assert engine.secret_find(name="db-pass") is None


def test_rotate_refuses_a_name_taken_in_words_and_asks_nothing(panel_client, swarm, no_enqueue, used_secret):
    swarm.file_add("secret", "db-pass-v2")
    url = reverse("swarm_secrets:rotate", args=[used_secret])

    assert "db-pass-v3" in panel_client.get(url).content.decode()
    response = panel_client.post(url, {"new_name": "db-pass-v2", "content": "x"})

    assert "Another secret already has this name" in response.content.decode()
    assert Job.objects.count() == 0 and _secret_writes(swarm) == []


# --- the service form ------------------------------------------------------------------------------


def test_secret_lines_parse_with_the_clis_defaults_and_format_back():
    assert specs.parse_file_reference("db-pass") == {
        "name": "db-pass",
        "target": "db-pass",
        "uid": "0",
        "gid": "0",
        "mode": 0o444,
    }
    parsed = specs.parse_file_reference("source=db-pass,target=pw,uid=70,gid=71,mode=0400")
    assert parsed == {"name": "db-pass", "target": "pw", "uid": "70", "gid": "71", "mode": 0o400}
    reference = engine.FileReference("id1", "db-pass", "pw", "70", "71", 0o400)
    assert specs.format_file_reference(reference) == "source=db-pass,target=pw,uid=70,gid=71,mode=0400"
    assert specs.format_file_reference(engine.FileReference("id1", "db-pass", "db-pass")) == "source=db-pass"


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("nosuch", "there is no secret named “nosuch”"),
        ("source=db-pass,mode=999", "the mode is octal"),
        ("source=db-pass,uid=root", "uid is a number"),
        ("source=db-pass,target=../../etc/passwd", "may not go up a folder"),
        ("source=db-pass,colour=red", "is not an option here"),
        ("target=x", "name the secret with source=NAME"),
        ("db-pass\nsource=db-pass", "another line already puts a file at /run/secrets/db-pass"),
    ],
)
def test_bad_secret_lines_are_refused_in_words_with_no_job(panel_client, swarm, no_enqueue, line, words):
    swarm.file_add("secret", "db-pass")

    response = panel_client.post(reverse("services:create"), {"name": "app", "image": "busybox", "secrets": line})

    assert response.status_code == 200
    assert words in response.content.decode()
    assert Job.objects.count() == 0 and no_enqueue == []


def test_the_service_form_attaches_secrets_and_configs_and_reads_them_back(panel_client, post, swarm, no_enqueue):
    secret_id = swarm.file_add("secret", "db-pass")
    config_id = swarm.file_add("config", "app-conf", data=b"a=1")
    data = {
        "name": "app",
        "image": "busybox",
        "secrets": "source=db-pass,target=pw,uid=70,gid=71,mode=0400",
        "configs": "app-conf",
    }

    job = _run(_asked(post(reverse("services:create"), data), no_enqueue))

    created = next(w.body for w in swarm.writes if w.path == "/services/create")
    container = created["TaskTemplate"]["ContainerSpec"]
    assert container["Secrets"] == [_reference(secret_id, "db-pass", target="pw", uid="70", gid="71", mode=0o400)]
    assert container["Configs"] == [
        {
            "File": {"Name": "app-conf", "UID": "0", "GID": "0", "Mode": 0o444},
            "ConfigID": config_id,
            "ConfigName": "app-conf",
        }
    ]
    values = specs.values_from_spec(created)
    assert (values["secrets"], values["configs"]) == (data["secrets"], "source=app-conf")
    assert job.service_id


def test_editing_keeps_the_references_unless_they_change(panel_client, swarm, no_enqueue):
    from .test_service_form import prefilled

    secret_id = swarm.file_add("secret", "db-pass")
    swarm.file_add("secret", "api-token")
    _uses(swarm, WEB, [_reference(secret_id, "db-pass", target="pw", mode=0o400)])
    url = reverse("services:update", args=[swarm.service_id(WEB)])
    form = panel_client.get(url).context["form"]
    assert form["secrets"].value() == "source=db-pass,target=pw,mode=0400"

    panel_client.post(url, {**prefilled(form), "env": "A=1"})
    job = Job.objects.get()
    assert "secrets" not in job.params["groups"]

    panel_client.post(url, {**prefilled(form), "secrets": "source=db-pass,target=pw,mode=0400\napi-token"})
    job = Job.objects.latest("id")
    assert list(job.params["groups"]) == ["secrets"]
    _run(job)
    secrets = swarm.raw_service(WEB)["Spec"]["TaskTemplate"]["ContainerSpec"]["Secrets"]
    assert [(s["SecretName"], s["File"]["Name"], s["File"]["Mode"]) for s in secrets] == [
        ("db-pass", "pw", 0o400),
        ("api-token", "api-token", 0o444),
    ]


def test_a_variable_that_looks_secret_gets_the_hint_to_use_a_secret(panel_client, swarm):
    html = panel_client.post(
        reverse("services:create"), {"name": "", "image": "busybox", "env": "DB_PASSWORD=x\nMODE=y"}
    ).content.decode()

    assert "env-secret-hint" in html and "DB_PASSWORD: a password or key" in html
    assert "MODE:" not in html
    assert "env-secret-hint" not in panel_client.get(reverse("services:create")).content.decode()


def test_the_handoff_carries_the_value_and_nothing_else_does(swarm):
    job = runners.job_create_request(kind="secret", name="db-pass", data=VALUE.encode())
    handoff_put(job_id=job.id + 1000, name=runners.CONTENT, value=b"another job's")

    assert handoff_peek(job_id=job.id, name=runners.CONTENT) == VALUE.encode()
    assert VALUE not in _database_dump()
    assert VALUE.encode() not in b"".join(
        swarm_value for key in _redis().scan_iter() if (swarm_value := _redis().get(key)) is not None
    )
