"""Jobs on the real stack: the form, a real Celery worker over Redis, the real engine."""

import signal

import docker
import pytest
from django.urls import reverse

import engine
from jobs.models import Job
from jobs.runner import job_run
from services import runners, specs

from .conftest import TEST_LABEL, running_tasks, wait_until
from .test_service_form import GOOD

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
SECOND = 1_000_000_000


def _finished(job_id: int, timeout: float = 120) -> Job:
    if not wait_until(lambda: Job.objects.get(id=job_id).finished, timeout=timeout, fail=False):
        job = Job.objects.get(id=job_id)
        pytest.fail(f"job {job_id} did not finish: {job.state} {job.update_state} {job.steps[-4:]}")
    return Job.objects.get(id=job_id)


def _codes(job: Job) -> list[str]:
    return [step["code"] for step in job.steps]


@pytest.fixture
def created(docker_client):
    """Remove services the panel created (they carry the test label given in the form)."""
    yield
    for service in docker_client.services.list(filters={"label": TEST_LABEL}):
        service.remove()


def test_create_from_the_form_sets_every_field_in_the_engine(stack, panel_client, docker_client, created):
    # One replica: a host-mode published port can be bound once per node.
    form = {**GOOD, "name": "form-made", "replicas": "1", "labels": f"{TEST_LABEL}=1\ntier=front", "allow_mounts": "on"}
    form["mounts"] = "type=volume,source=swarmdeck-test-data,target=/data"
    form.update(reserve_cpus="0.1", reserve_memory="16M")

    response = panel_client.post(reverse("services:create"), form)
    job = _finished(Job.objects.get().id)

    assert response["Location"] == reverse("jobs:detail", args=[job.id])
    assert job.state == "succeeded", (job.error_code, job.error)
    spec = docker_client.services.get("form-made").attrs["Spec"]
    container = spec["TaskTemplate"]["ContainerSpec"]
    assert container["Image"].startswith("swarmdeck-test/busybox:1")
    assert container["Args"] == ["httpd", "-f", "-p", "8080", "-h", "/www"]
    assert container["Env"] == ["A=1", "B=two words"]
    assert container["Mounts"] == [{"Type": "volume", "Source": "swarmdeck-test-data", "Target": "/data"}]
    assert container["Healthcheck"] == {
        "Test": ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8080/"],
        "Interval": 2 * SECOND,
        "Timeout": SECOND,
        "StartPeriod": SECOND,
        "Retries": 3,
    }
    assert spec["Mode"] == {"Replicated": {"Replicas": 1}}
    assert spec["Labels"] == {TEST_LABEL: "1", "tier": "front", "swarmdeck.job": str(job.id)}
    assert spec["TaskTemplate"]["Placement"]["Constraints"] == ["node.role==manager"]
    assert spec["TaskTemplate"]["RestartPolicy"] == {
        "Condition": "on-failure",
        "Delay": SECOND,
        "MaxAttempts": 5,
        "Window": 60 * SECOND,
    }
    assert spec["TaskTemplate"]["Resources"] == {
        "Limits": {"NanoCPUs": 500_000_000, "MemoryBytes": 64 * 1024**2},
        "Reservations": {"NanoCPUs": 100_000_000, "MemoryBytes": 16 * 1024**2},
    }
    assert spec["UpdateConfig"] == {
        "Parallelism": 1,
        "Delay": SECOND,
        "FailureAction": "rollback",
        "Monitor": 5 * SECOND,
        "MaxFailureRatio": 0,
        "Order": "start-first",
    }
    assert spec["RollbackConfig"]["FailureAction"] == "pause"
    assert spec["EndpointSpec"]["Ports"] == [
        {"Protocol": "tcp", "TargetPort": 8080, "PublishedPort": 18080, "PublishMode": "host"}
    ]


def _service(make_service, **kwargs):
    kwargs.setdefault("mode", docker.types.ServiceMode("replicated", replicas=2))
    kwargs.setdefault("update_config", docker.types.UpdateConfig(parallelism=1, delay=SECOND, monitor=2 * SECOND))
    service = make_service(**kwargs)
    wait_until(lambda: running_tasks(service) == service.attrs["Spec"]["Mode"]["Replicated"]["Replicas"], timeout=60)
    return service


def _edit(panel_client, service, **changes):
    initial = specs.values_from_spec(engine.service_detail(service_id=service.id).spec)
    data = {key: "" if value is None else value for key, value in initial.items()}
    data.update(changes)
    response = panel_client.post(reverse("services:update", args=[service.id]), data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    return Job.objects.latest("id")


def test_update_reports_per_task_progress_and_succeeds(stack, panel_client, make_service):
    service = _service(make_service)

    job = _finished(_edit(panel_client, service, entrypoint="sleep 200000", env="VERSION=2").id)

    assert job.state == "succeeded", (job.error_code, job.error)
    progress = [s["params"] for s in job.steps if s["code"] == "progress"]
    assert {"done": 1, "total": 2} in progress
    assert progress[-1] == {"done": 2, "total": 2}
    assert "completed" in [s["params"].get("state") for s in job.steps if s["code"] == "update_state"]
    service.reload()
    assert service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"] == ["VERSION=2"]
    assert service.attrs["Spec"]["Labels"][TEST_LABEL] == "1"  # untouched by the change


def test_an_update_that_fails_its_health_check_ends_rolled_back(stack, panel_client, make_service):
    service = _service(
        make_service,
        healthcheck=docker.types.Healthcheck(test=["CMD-SHELL", "true"], interval=SECOND, retries=1),
        update_config=docker.types.UpdateConfig(
            parallelism=1, delay=SECOND, monitor=5 * SECOND, failure_action="rollback"
        ),
    )

    job = _finished(_edit(panel_client, service, health_cmd="exit 1").id, timeout=180)

    assert job.state == "rolled_back", (job.error_code, job.error)
    assert job.error_code == "rolled_back"
    service.reload()
    assert service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Healthcheck"]["Test"] == ["CMD-SHELL", "true"]
    assert service.attrs["UpdateStatus"]["State"] == "rollback_completed"


def test_rollback_from_the_ui_restores_the_previous_spec(stack, panel_client, make_service):
    service = _service(make_service, env=["VERSION=1"])
    _finished(_edit(panel_client, service, env="VERSION=2").id)

    confirm = panel_client.get(reverse("services:rollback", args=[service.id])).content.decode()
    assert "VERSION=2" in confirm and "VERSION=1" in confirm
    panel_client.post(reverse("services:rollback", args=[service.id]))
    job = _finished(Job.objects.latest("id").id)

    assert (job.kind, job.state) == ("rollback", "succeeded"), (job.error_code, job.error)
    service.reload()
    assert service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"] == ["VERSION=1"]


def _race_once(service):
    """Change the service behind the job's back, between its read and its write."""
    real = specs.spec_apply
    raced = []

    def apply(base, groups):
        if len(raced) < race_times[0]:
            raced.append(1)
            service.reload()
            service.update(labels={**service.attrs["Spec"]["Labels"], f"other{len(raced)}": "x"})
        return real(base, groups)

    race_times = [1]
    return apply, race_times


def test_a_stale_version_is_retried_and_keeps_both_changes(stack, make_service, monkeypatch, no_enqueue):
    # no_enqueue: the job runs here, where the race is staged, not on the worker
    service = _service(make_service)
    apply, _times = _race_once(service)
    monkeypatch.setattr(specs, "spec_apply", apply)
    job = runners.job_update_request(
        service=engine.service_get(service_id=service.id), groups={"env": {"env": {"MINE": "1"}}}
    )

    job_run(job_id=job.id)

    job.refresh_from_db()
    assert job.state == "succeeded", (job.error_code, job.error)
    assert "conflict_retry" in _codes(job)
    service.reload()
    assert service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"] == ["MINE=1"]
    assert service.attrs["Spec"]["Labels"]["other1"] == "x"


def test_a_stale_version_fails_with_the_conflict_message_when_retries_run_out(
    stack, make_service, monkeypatch, settings, panel_client, no_enqueue
):
    settings.SWARMDECK_JOB_CONFLICT_RETRIES = 1
    service = _service(make_service)
    apply, times = _race_once(service)
    times[0] = 10
    monkeypatch.setattr(specs, "spec_apply", apply)
    job = runners.job_update_request(
        service=engine.service_get(service_id=service.id), groups={"env": {"env": {"MINE": "1"}}}
    )

    job_run(job_id=job.id)

    job.refresh_from_db()
    assert (job.state, job.error_code) == ("failed", "conflict")
    assert "update out of sequence" in panel_client.get(reverse("jobs:detail", args=[job.id])).content.decode()
    service.reload()
    assert "MINE=1" not in service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"].get("Env", [])


def test_a_worker_killed_mid_job_is_resumed_and_the_change_applied_once(stack, panel_client, make_service):
    service = _service(
        make_service,
        mode=docker.types.ServiceMode("replicated", replicas=3),
        update_config=docker.types.UpdateConfig(parallelism=1, delay=3 * SECOND),
    )
    force_before = service.attrs["Spec"]["TaskTemplate"].get("ForceUpdate", 0)

    panel_client.post(reverse("services:redeploy", args=[service.id]), {"confirm": "1"})
    job = Job.objects.latest("id")
    wait_until(lambda: "redeployed" in _codes(Job.objects.get(id=job.id)), timeout=30)
    stack.stop("worker", signal.SIGKILL)
    stack.start("worker")
    job = _finished(job.id, timeout=180)

    assert job.state == "succeeded", (job.error_code, job.error)
    assert job.attempts == 2
    assert "resumed" in _codes(job)
    assert _codes(job).count("redeployed") == 1
    service.reload()
    assert service.attrs["Spec"]["TaskTemplate"]["ForceUpdate"] == force_before + 1


def test_jobs_run_side_by_side_instead_of_queueing_behind_each_others_rollouts(stack, make_service):
    # Each task stays "starting" until its health check passes, a few seconds after it starts: every
    # scale job follows a rollout that takes that long. A worker that ran only two jobs at once
    # would claim the third only once one of the first two had finished.
    slow_start = docker.types.Healthcheck(
        test=["CMD-SHELL", "test -f /tmp/ready"], interval=SECOND, retries=1, start_period=60 * SECOND
    )
    services = [
        make_service(
            command=("sh", "-c", "sleep 6; touch /tmp/ready; exec sleep 100000"),
            mode=docker.types.ServiceMode("replicated", replicas=0),
            healthcheck=slow_start,
        )
        for _ in range(6)
    ]

    ids = [runners.job_scale_request(service=engine.service_get(service_id=s.id), replicas=1).id for s in services]
    jobs = [_finished(job_id) for job_id in ids]

    assert [job.state for job in jobs] == ["succeeded"] * 6, [(job.error_code, job.error) for job in jobs]
    # Every job was claimed before any of them saw its rollout converge...
    assert max(job.started_at for job in jobs) < min(job.finished_at for job in jobs)
    # ...and each one did follow a rollout that was still under way when it looked first.
    for job in jobs:
        first = next(step["params"] for step in job.steps if step["code"] == "converged")
        assert first == {"running": 0, "desired": 1}, job.steps
    for service in services:
        assert running_tasks(service) == 1


def test_engine_refusals_end_the_job_failed_with_the_engine_reason(stack, panel_client, make_service, created):
    existing = _service(make_service, mode=docker.types.ServiceMode("replicated", replicas=0))

    panel_client.post(reverse("services:create"), {**GOOD, "name": existing.name, "ports": ""})
    duplicate = _finished(Job.objects.latest("id").id)
    panel_client.post(
        reverse("services:create"),
        {**GOOD, "name": "bad-port", "ports": "0:8080/tcp host", "replicas": "0", "labels": f"{TEST_LABEL}=1"},
    )
    gone_job = runners.job_scale_request(service=engine.service_get(service_id=existing.id), replicas=2)
    existing.remove()
    scaled = _finished(gone_job.id)

    assert (duplicate.state, duplicate.error_code) == ("failed", "engine")
    assert "already exists" in duplicate.error or "conflicts" in duplicate.error
    assert (scaled.state, scaled.error_code) == ("failed", "not_found")
