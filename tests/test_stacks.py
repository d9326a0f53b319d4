"""Stacks, fast: the compose file checked before anything reaches the engine (each bad input an
error in words, no deploy recorded, no job, the CLI never run), the deploy → Job → runner → CLI
path with the CLI faked at its subprocess (what it is given: the file on stdin, the variables and
nothing else of the panel's environment, the uploaded files in its private folder), the runner's
idempotency, the diff between deploys, the rollback and the removal."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

import engine
from engine import stacks as engine_stacks
from jobs.handoff import HandoffLost, _redis, handoff_peek
from jobs.models import Job
from jobs.runner import job_run
from stacks import compose
from stacks.models import StackDeploy
from stacks.selectors import compose_diff

from .fake_engine import MOUNTS

GOOD = """\
version: "3.8"
services:
  web:
    image: swarmdeck-test/busybox:${TAG:-1}
    command: ["httpd", "-f", "-p", "8080"]
    networks: [back]
    secrets: [db_password]
  client:
    image: swarmdeck-test/busybox:1
    command: ["sleep", "3600"]
    networks: [back]
networks:
  back:
    driver: overlay
secrets:
  db_password:
    file: ./db_password.txt
"""
SECRET_VALUE = b"hunter2-stack-secret"


class FakeCli:
    """subprocess.run of engine.stacks: what each CLI run was given, and a failure to answer with."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.fail_next: list[tuple[int, str]] = []

    def __call__(self, args, *, input, cwd, env, **kwargs):  # noqa: A002 - subprocess.run's name
        folder = Path(cwd)
        files = {
            str(path.relative_to(folder)): path.read_bytes()
            for path in folder.rglob("*")
            if path.is_file() and ".docker" not in path.parts
        }
        self.calls.append(
            {
                "args": list(args),
                "stdin": input.decode(),
                "env": dict(env),
                "files": files,
                "mode": folder.stat().st_mode,
            }
        )
        if self.fail_next:
            code, stderr = self.fail_next.pop(0)
            return subprocess.CompletedProcess(args, code, b"", stderr.encode())
        return subprocess.CompletedProcess(args, 0, b"Creating service x\n", b"")


@pytest.fixture
def cli(monkeypatch) -> FakeCli:
    fake = FakeCli()
    monkeypatch.setattr(engine_stacks.subprocess, "run", fake)
    return fake


@pytest.fixture
def stack_env(fake_engine, db, memory_channel_layer, no_enqueue, cli, settings):
    settings.SWARMDECK_JOB_ENGINE_RETRY_SECONDS = 0
    settings.SWARMDECK_ROLLOUT_TIMEOUT = 5
    return fake_engine


@pytest.fixture
def handoff_redis(redis_server):
    _redis.cache_clear()
    yield _redis()
    _redis.cache_clear()


def _deploy_post(client, *, name="shop", text=GOOD, variables="", files=(), upload=None):
    data = {"name": name, "compose_text": text, "variables": variables}
    if files:
        data["files"] = list(files)
    if upload is not None:
        data["compose_file"] = upload
    return client.post(reverse("stacks:deploy"), data)


def _secret_file() -> SimpleUploadedFile:
    return SimpleUploadedFile("db_password.txt", SECRET_VALUE)


# --- bad input: an error in words, nothing recorded, no job, the CLI never run ---------------------

BAD_INPUTS = [
    ("syntax", {"text": "services:\n  web:\n\timage: busybox\n"}, "not valid YAML (line 3, column 1)"),
    ("unknown top-level key", {"text": GOOD + "services_extra: {}\n"}, "Unknown top-level key 'services_extra'"),
    (
        "unknown service key",
        {
            "text": GOOD.replace(
                "    networks: [back]\n    secrets", "    bogus_key: 1\n    networks: [back]\n    secrets"
            )
        },
        "services.web: unknown key 'bogus_key'",
    ),
    (
        "privileged",
        {"text": GOOD.replace('    command: ["sleep"', '    privileged: true\n    command: ["sleep"')},
        "services.client.privileged: refused",
    ),
    (
        "bind of /",
        {
            "text": GOOD.replace(
                "    networks: [back]\nnetworks", '    networks: [back]\n    volumes: ["/:/host"]\nnetworks'
            )
        },
        "mounting / would give the stack the host",
    ),
    (
        "bind of the Docker socket",
        {
            "text": GOOD.replace(
                "    networks: [back]\nnetworks",
                "    networks: [back]\n    volumes:\n      - type: bind\n        source: /var/run/docker.sock\n"
                "        target: /var/run/docker.sock\nnetworks",
            )
        },
        "mounting /var/run/docker.sock would give the stack the host",
    ),
    ("bad name", {"name": "bad name"}, "no spaces"),
    ("name starting with _", {"name": "_deploy"}, "starts with a letter or digit"),
    (
        "missing variable",
        {"text": GOOD.replace("${TAG:-1}", "${TAG}")},
        "These variables have no value and no default: TAG",
    ),
    (
        "host network through a variable",
        {
            "text": GOOD.replace('    command: ["sleep"', '    network_mode: ${MODE}\n    command: ["sleep"').replace(
                "    networks: [back]\nnetworks", "\nnetworks"
            ),
            "variables": "MODE=host",
        },
        "services.client.network_mode: 'host' is refused",
    ),
    ("file secret not uploaded", {"files": ()}, "upload the file db_password.txt"),
    (
        "file secret from the server",
        {"text": GOOD.replace("./db_password.txt", "/etc/shadow")},
        "'/etc/shadow' is a path on the panel's server",
    ),
    (
        "env_file",
        {"text": GOOD.replace('    command: ["sleep"', '    env_file: /etc/passwd\n    command: ["sleep"')},
        "services.client.env_file: refused",
    ),
    (
        "the host network as an external one",
        {"text": GOOD.replace("    driver: overlay\n", "    external: true\n    name: host\n")},
        "networks.back: the host's network is refused",
    ),
    (
        "variable of the CLI",
        {"variables": "DOCKER_HOST=tcp://elsewhere:2375"},
        "DOCKER_HOST is the Docker client's own",
    ),
]


@pytest.mark.parametrize(("case", "change", "words"), BAD_INPUTS, ids=[case[0] for case in BAD_INPUTS])
def test_a_bad_deploy_is_a_form_error_and_asks_no_job(panel_client, stack_env, cli, case, change, words):
    change = dict(change)
    files = change.pop("files", (_secret_file(),))
    response = _deploy_post(panel_client, files=files, **change)

    assert response.status_code == 200
    text = response.content.decode()
    assert "nothing was sent to Docker" in text
    assert words in text.replace("&#x27;", "'"), text
    assert not StackDeploy.objects.exists()
    assert not Job.objects.exists()
    assert cli.calls == []


def test_a_5_mb_compose_file_is_refused(panel_client, stack_env, cli):
    big = GOOD + "# " + "x" * (5 * 1024 * 1024) + "\n"
    upload = SimpleUploadedFile("compose.yml", big.encode())
    response = _deploy_post(panel_client, text="", upload=upload, files=(_secret_file(),))

    assert "The compose file is larger than 1 MiB" in response.content.decode()
    assert not Job.objects.exists() and cli.calls == []


def test_bind_mounts_of_host_paths_need_the_setting_and_protected_paths_stay_refused(settings):
    data = GOOD.replace(
        "    networks: [back]\nnetworks", '    networks: [back]\n    volumes: ["HOSTPATH:/data"]\nnetworks'
    )

    def errors(path: str) -> list[str]:
        try:
            compose.compose_check(
                name="shop", text=data.replace("HOSTPATH", path), variables={}, uploads={"db_password.txt"}
            )
        except compose.ValidationError as exc:
            return exc.messages
        return []

    settings.SWARMDECK_ALLOW_BIND_MOUNTS = False
    assert "SWARMDECK_ALLOW_BIND_MOUNTS=true" in " ".join(errors("/srv/data"))
    assert errors("named_volume") == []
    settings.SWARMDECK_ALLOW_BIND_MOUNTS = True
    assert errors("/srv/data") == []
    for path in ("/", "/var/run/docker.sock", "/etc", "/run", "//etc/./ssl/.."):
        assert any("would give the stack the host" in message for message in errors(path)), path


def test_a_yaml_alias_bomb_stops_at_the_limit():
    bomb = "x-a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
    for level in "bcdefgh":
        previous = chr(ord(level) - 1)
        bomb += f"x-{level}: &{level} [" + ", ".join([f"*{previous}"] * 10) + "]\n"
    bomb += "services:\n  web:\n    image: busybox\n"
    with pytest.raises(compose.ValidationError, match="more than"):
        compose.compose_check(name="shop", text=bomb, variables={}, uploads=())


# --- a deploy: the job, the CLI's call, the runner's idempotency -----------------------------------


def _stack_of(fake, name: str, services: list[str]) -> None:
    """Label recorded services as the stack's, as the CLI's deploy would have made them."""
    for service_name in services:
        fake.spec_change(service_name, lambda spec: spec.setdefault("Labels", {}).update({engine.STACK_LABEL: name}))


@pytest.fixture
def stack_listing(monkeypatch, stack_env):
    """The engine's networks (the fake has services, secrets and configs): none, as a fresh swarm."""
    if not hasattr(type(stack_env), "networks"):
        monkeypatch.setattr(stack_env, "networks", lambda filters=None: [], raising=False)
    return stack_env


def test_a_deploy_runs_the_cli_with_the_file_the_variables_and_the_uploaded_secret_only(
    panel_client, stack_listing, cli, handoff_redis, django_capture_on_commit_callbacks, no_enqueue, monkeypatch
):
    monkeypatch.setenv("SWARMDECK_SOMETHING_OF_THE_PANEL", "panel-only")
    with django_capture_on_commit_callbacks(execute=True):
        response = _deploy_post(panel_client, variables="TAG=1\nGREETING=hello", files=(_secret_file(),))

    deploy = StackDeploy.objects.get()
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("jobs:detail", args=[job.id])
    assert no_enqueue == [job.id]
    assert (job.kind, job.target_name, deploy.job_id) == (Job.Kind.STACK_DEPLOY, "shop", job.id)
    assert job.params == {"deploy_id": deploy.id, "files": {"db_password.txt": "db_password.txt"}}
    assert deploy.file_names == ["db_password.txt"] and deploy.variables == {"TAG": "1", "GREETING": "hello"}
    assert handoff_peek(job_id=job.id, name="db_password.txt") == SECRET_VALUE

    _stack_of(stack_listing, "shop", [MOUNTS])  # converged: 1 of 1
    job_run(job_id=job.id)

    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.steps
    (call,) = cli.calls
    assert call["args"] == [
        "/usr/bin/docker",
        "stack",
        "deploy",
        "--compose-file",
        "-",
        "--resolve-image",
        "never",
        "--prune",
        "shop",
    ]
    assert call["stdin"] == GOOD
    assert call["files"] == {"db_password.txt": SECRET_VALUE}
    assert call["mode"] & 0o777 == 0o700
    assert set(call["env"]) == {"TAG", "GREETING", "PATH", "HOME", "DOCKER_HOST", "DOCKER_CONFIG"}
    assert call["env"]["DOCKER_CONFIG"].startswith(call["env"]["HOME"])
    codes = [step["code"] for step in job.steps]
    assert codes[-4:] == ["stack_sent", "stack_service_running", "stack_converged", "succeeded"]
    assert (job.progress_done, job.progress_total) == (1, 1)
    with pytest.raises(HandoffLost):  # used, then dropped
        handoff_peek(job_id=job.id, name="db_password.txt")
    # The secret's value is nowhere in the job's row or the deploy's.
    assert SECRET_VALUE.decode() not in repr(Job.objects.values().get()) + repr(StackDeploy.objects.values().get())


def test_a_transient_cli_failure_is_retried_with_the_files_and_a_resumed_job_never_deploys_twice(
    panel_client, stack_listing, cli, handoff_redis, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _deploy_post(panel_client, files=(_secret_file(),))
    job = Job.objects.get()
    _stack_of(stack_listing, "shop", [MOUNTS])
    cli.fail_next = [(1, "Cannot connect to the Docker daemon at unix:///x. Is the docker daemon running?")]

    job_run(job_id=job.id)

    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED
    assert [call["files"] for call in cli.calls] == [{"db_password.txt": SECRET_VALUE}] * 2
    assert "engine_retry" in [step["code"] for step in job.steps]

    # A worker that died after the CLI returned: the job runs again, and only follows.
    Job.objects.filter(id=job.id).update(state=Job.State.QUEUED)
    job_run(job_id=job.id)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED and len(cli.calls) == 2
    assert "stack_already_sent" in [step["code"] for step in job.steps]


def test_the_clis_refusal_fails_the_job_with_its_words(
    panel_client, stack_listing, cli, handoff_redis, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _deploy_post(panel_client, files=(_secret_file(),))
    job = Job.objects.get()
    refusal = "failed to update secret shop_db_password: rpc error: secret shop_db_password is in use by service"
    cli.fail_next = [(1, refusal)]

    job_run(job_id=job.id)

    job.refresh_from_db()
    assert (job.state, job.error_code) == (Job.State.FAILED, "stack_in_use")
    assert refusal in job.error
    with pytest.raises(HandoffLost):
        handoff_peek(job_id=job.id, name="db_password.txt")


# --- the stack's page: services, deploys, diff; rollback; removal -----------------------------------


def _deploys(user, *texts: str) -> list[StackDeploy]:
    return [StackDeploy.objects.create(stack_name="shop", compose=text, requested_by=user) for text in texts]


def test_compose_diff_marks_the_changed_lines():
    diff = compose_diff("a: 1\nb: 2\n", "a: 1\nb: 3\n")
    assert [(line.kind, line.text) for line in diff if line.kind in ("add", "remove")] == [
        ("remove", "-b: 2"),
        ("add", "+b: 3"),
    ]


def test_the_stack_page_shows_its_services_and_the_escaped_diff_between_deploys(panel_client, stack_listing):
    user = panel_client.get(reverse("stacks:list")).wsgi_request.user
    _stack_of(stack_listing, "shop", [MOUNTS])
    first = GOOD.replace("TAG:-1", "TAG:-1}  # <b>one</b>${X:-")
    _deploys(user, first, GOOD.replace("client:", "client2:"))

    page = panel_client.get(reverse("stacks:detail", args=["shop"])).content.decode()
    listing = panel_client.get(reverse("stacks:list")).content.decode()

    assert MOUNTS in page and 'data-replicas="1/1"' in page
    assert "-  client:" in page and "+  client2:" in page
    assert "<b>one</b>" not in page and "&lt;b&gt;one&lt;/b&gt;" in page
    assert "Roll back to this deploy" in page
    assert 'data-stack="shop"' in listing and 'data-services="1"' in listing


def test_the_services_list_names_each_services_stack_filters_and_groups_by_it(panel_client, stack_listing):
    _stack_of(stack_listing, "shop", [MOUNTS])
    page = panel_client.get(reverse("services:list") + "?q=stack:shop").content.decode()
    assert MOUNTS in page and "rec-web" not in page
    assert f'class="stack-chip" href="{reverse("stacks:detail", args=["shop"])}"' in page
    grouped = panel_client.get(reverse("services:list") + "?sort=stack").content.decode()
    names = re.findall(r'<td class="name"><a href="\w+/">([\w-]+)</a>', grouped)
    assert names[-1] == MOUNTS  # the services outside any stack first, then the stack's


def test_a_rollback_asks_a_deploy_of_the_earlier_file_pointing_back(
    panel_client, stack_listing, handoff_redis, django_capture_on_commit_callbacks, no_enqueue
):
    user = panel_client.get(reverse("stacks:list")).wsgi_request.user
    older, newer = _deploys(user, GOOD, GOOD.replace("${TAG:-1}", "2"))
    older.variables, older.file_names = {"TAG": "1"}, ["db_password.txt"]
    older.save()

    form = panel_client.get(reverse("stacks:rollback", args=["shop", older.id])).content.decode()
    assert "db_password.txt" in form and "+    image: swarmdeck-test/busybox:${TAG:-1}" in form

    # Without the secret's file again: refused, no job.
    response = panel_client.post(reverse("stacks:rollback", args=["shop", older.id]), {})
    assert response.status_code == 200 and not Job.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = panel_client.post(reverse("stacks:rollback", args=["shop", older.id]), {"files": [_secret_file()]})
    rollback = StackDeploy.objects.first()
    job = Job.objects.get()
    assert response["Location"] == reverse("jobs:detail", args=[job.id])
    assert (rollback.rollback_of_id, rollback.compose, rollback.variables) == (older.id, GOOD, {"TAG": "1"})
    assert (job.kind, job.params["deploy_id"]) == (Job.Kind.STACK_ROLLBACK, rollback.id)
    assert handoff_peek(job_id=job.id, name="db_password.txt") == SECRET_VALUE


def test_the_update_form_is_filled_with_the_last_deploy(panel_client, stack_listing):
    user = panel_client.get(reverse("stacks:list")).wsgi_request.user
    deploy = _deploys(user, GOOD)[0]
    deploy.variables = {"TAG": "7"}
    deploy.save()
    page = panel_client.get(reverse("stacks:update", args=["shop"])).content.decode()
    assert "TAG=7" in page and "db_password.txt" in page and 'value="shop"' in page


def test_removal_needs_the_typed_name_and_waits_until_nothing_is_left(
    panel_client, stack_listing, cli, monkeypatch, django_capture_on_commit_callbacks
):
    _stack_of(stack_listing, "shop", [MOUNTS])
    response = panel_client.post(reverse("stacks:remove", args=["shop"]), {"confirm": "shop2"})
    assert "Type shop exactly" in response.content.decode() and not Job.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = panel_client.post(reverse("stacks:remove", args=["shop"]), {"confirm": "shop"})
    job = Job.objects.get()
    assert (job.kind, job.target_name) == (Job.Kind.STACK_REMOVE, "shop")

    # The CLI returns at once; the network goes only once the tasks are gone (a second run).
    left = [
        engine.StackSummary("shop", ("s1",), ("shop_web",), ("shop_back",), (), ()),
        engine.StackSummary("shop", (), (), ("shop_back",), (), ()),
        engine.StackSummary("shop", (), (), (), (), ()),
    ]
    monkeypatch.setattr(engine, "stack_get", lambda name: left.pop(0) if len(left) > 1 else left[0])
    cli.fail_next = [
        (1, "Failed to remove network shop_back: network has active endpoints"),
        # The network being removed is still listed, and gone: the CLI says so, and is asked again.
        (1, "Failed to remove network 6me3: Error response from daemon: network 6me3 not found"),
    ]
    job_run(job_id=job.id)

    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.steps
    assert [call["args"][1:] for call in cli.calls] == [["stack", "rm", "shop"]] * 2
    assert [step["code"] for step in job.steps][-2:] == ["stack_removed", "succeeded"]
    assert (job.progress_done, job.progress_total) == (2, 2)


def test_the_cli_gets_nothing_of_the_panels_environment(monkeypatch, cli, settings):
    monkeypatch.setenv("SECRET_KEY", "panel-secret")
    engine.stack_remove(name="shop")
    (call,) = cli.calls
    assert "SECRET_KEY" not in call["env"] and call["env"]["DOCKER_HOST"] == settings.DOCKER_HOST
    assert call["env"]["PATH"] == os.environ["PATH"]


def test_a_removal_refused_for_good_fails_with_the_engines_words(
    panel_client, stack_listing, cli, monkeypatch, django_capture_on_commit_callbacks
):
    _stack_of(stack_listing, "shop", [MOUNTS])
    with django_capture_on_commit_callbacks(execute=True):
        panel_client.post(reverse("stacks:remove", args=["shop"]), {"confirm": "shop"})
    job = Job.objects.get()
    monkeypatch.setattr("stacks.runners.REFUSED_SECONDS", 0.5)
    monkeypatch.setattr(engine, "stack_get", lambda name: engine.StackSummary("shop", (), (), (), ("shop_pw",), ()))
    refusal = "Failed to remove secret shop_pw: secret 'shop_pw' is in use by the following service: other"
    cli.fail_next = [(1, refusal)] * 20

    job_run(job_id=job.id)

    job.refresh_from_db()
    assert (job.state, job.error_code) == (Job.State.FAILED, "stack_in_use")
    assert refusal in job.error
