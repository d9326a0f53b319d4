"""Configs: the engine adapter, the pages (a config's content shown, escaped), create and remove as
jobs. They share the secrets' forms and runners (tests/test_secrets.py covers those in depth)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

import engine
from jobs.handoff import _redis
from jobs.models import Job
from jobs.runner import job_run

from .fake_engine import WEB


@pytest.fixture
def swarm(fake_engine, db, memory_channel_layer, no_enqueue, redis_server):
    _redis.cache_clear()
    client = _redis()
    for key in client.scan_iter(match="swarmdeck:handoff:*"):
        client.delete(key)
    yield fake_engine
    _redis.cache_clear()


@pytest.fixture
def post(panel_client, django_capture_on_commit_callbacks):
    def send(url: str, data: dict):
        with django_capture_on_commit_callbacks(execute=True):
            return panel_client.post(url, data)

    return send


def _uses(fake, config_id: str, name: str) -> None:
    def change(spec: dict) -> None:
        spec["TaskTemplate"]["ContainerSpec"]["Configs"] = [
            {
                "File": {"Name": "/etc/app.conf", "UID": "0", "GID": "0", "Mode": 0o444},
                "ConfigID": config_id,
                "ConfigName": name,
            }
        ]

    fake.spec_change(WEB, change)


def _run(response, no_enqueue) -> Job:
    job = Job.objects.get()
    assert response["Location"] == reverse("jobs:detail", args=[job.id])
    assert no_enqueue == [job.id]
    job_run(job_id=job.id)
    job.refresh_from_db()
    return job


def test_configs_are_read_with_their_data_and_users(swarm):
    config_id = swarm.file_add("config", "app-conf", data=b"port=80\n")
    _uses(swarm, config_id, "app-conf")

    (config,) = engine.config_list()
    users = engine.config_users()

    assert (config.name, config.data) == ("app-conf", b"port=80\n")
    assert [(use.service_name, use.path) for use in users[config_id]] == [(WEB, "/etc/app.conf")]
    with pytest.raises(engine.ConfigNotFound):
        engine.config_get(config_id="nope")


def test_the_pages_list_configs_and_show_the_content_escaped(panel_client, swarm):
    config_id = swarm.file_add("config", "app-conf", data=b"<script>alert(1)</script>\n")
    swarm.file_add("config", "blob", data=b"\xff\xfe\x00")
    _uses(swarm, config_id, "app-conf")

    listing = panel_client.get(reverse("configs:list")).content.decode()
    assert reverse("configs:detail", args=[config_id]) in listing
    assert reverse("services:detail", args=[swarm.service_id(WEB)]) in listing
    page = panel_client.get(reverse("configs:detail", args=[config_id])).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    blob = engine.config_find(name="blob")
    assert "Binary content" in panel_client.get(reverse("configs:detail", args=[blob.id])).content.decode()


def test_bad_input_asks_nothing(panel_client, swarm, no_enqueue):
    swarm.file_add("config", "taken")
    for data, words in (
        ({"name": "taken", "content": "x"}, "Another config already has this name"),
        ({"name": "a b", "content": "x"}, "starting and ending with a letter or digit"),
        ({"name": "ok", "content": ""}, "Docker keeps no empty one"),
    ):
        response = panel_client.post(reverse("configs:create"), data)
        assert words in response.content.decode()
    assert Job.objects.count() == 0 and no_enqueue == [] and swarm.writes == []


def test_create_from_a_file_and_remove(post, swarm, no_enqueue):
    upload = SimpleUploadedFile("nginx.conf", b"server {}\n")

    job = _run(post(reverse("configs:create"), {"name": "nginx", "upload": upload}), no_enqueue)

    assert (job.kind, job.state) == (Job.Kind.CONFIG_CREATE, Job.State.SUCCEEDED)
    config = engine.config_find(name="nginx")
    assert config.data == b"server {}\n" and job.target_id == config.id
    no_enqueue.clear()
    Job.objects.all().delete()

    job = _run(post(reverse("configs:remove", args=[config.id]), {"confirm_name": "nginx"}), no_enqueue)

    assert (job.kind, job.state) == (Job.Kind.CONFIG_REMOVE, Job.State.SUCCEEDED)
    assert engine.config_find(name="nginx") is None


def test_removing_a_config_in_use_is_refused_in_the_engines_words(panel_client, post, swarm, no_enqueue):
    config_id = swarm.file_add("config", "app-conf", data=b"x")
    _uses(swarm, config_id, "app-conf")
    url = reverse("configs:remove", args=[config_id])
    assert "Docker refuses to remove it" in panel_client.get(url).content.decode()

    job = _run(post(url, {"confirm_name": "app-conf"}), no_enqueue)

    assert (job.state, job.error_code) == (Job.State.FAILED, "config_in_use")
    assert "config 'app-conf' is in use by the following service: rec-web" in job.error
