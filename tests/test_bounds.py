"""What the engine cannot hold is a form error, mount options are read strictly, and host paths are
mounted only where the panel allows it (SWARMDECK_ALLOW_BIND_MOUNTS), protected ones with the
user's password again."""

import pytest
from django.urls import reverse

import engine
from jobs.models import Job
from services import specs
from services.forms import ServiceForm

from .conftest import service_summary
from .test_service_form import GOOD, prefilled

INT64_MAX = 2**63 - 1


def _errors(panel_client, **fields) -> dict:
    response = panel_client.post(reverse("services:create"), {**GOOD, **fields})
    assert response.status_code == 200, "the form was accepted"
    assert not Job.objects.exists()
    return {name: " ".join(errors) for name, errors in response.context["form"].errors.items()}


# --- durations and sizes: int64 at most -------------------------------------------------------


@pytest.mark.parametrize(
    "field", ["health_interval", "restart_delay", "restart_window", "update_monitor", "rollback_delay"]
)
def test_a_duration_beyond_int64_nanoseconds_is_a_form_error(panel_client, no_enqueue, field):
    errors = _errors(panel_client, **{field: "9" * 38 + "h"})

    assert "longer than Docker can keep" in errors[field]


def test_the_longest_duration_is_go_s():
    assert specs.go_duration_parse("2562047h") < INT64_MAX
    assert specs.go_duration_parse("2562047h47m16.854775807s") == INT64_MAX
    with pytest.raises(specs.TooLarge):
        specs.go_duration_parse("2562047h47m16.854775808s")
    assert specs.go_duration_parse("1.1s") == 1_100_000_000  # exact, not through a float


@pytest.mark.parametrize("field", ["limit_memory", "reserve_memory"])
def test_a_size_beyond_int64_bytes_is_a_form_error(panel_client, no_enqueue, field):
    errors = _errors(panel_client, **{field: "8388608T"})

    assert "more than Docker can keep" in errors[field]
    assert specs.parse_memory("8388607T") <= INT64_MAX


def test_a_tmpfs_size_beyond_int64_is_a_form_error(panel_client, no_enqueue):
    errors = _errors(panel_client, mounts="type=tmpfs,target=/tmp,tmpfs-size=99999999999T")

    assert "tmpfs-size" in errors["mounts"] and "more than Docker can keep" in errors["mounts"]


def test_a_health_check_duration_under_a_millisecond_is_refused(panel_client, no_enqueue):
    errors = _errors(panel_client, health_interval="500us", health_timeout="0s")

    assert "at least 1ms" in errors["health_interval"]
    assert "health_timeout" not in errors


# --- mount options: read as the CLI reads them, or refused by name ----------------------------


@pytest.mark.parametrize(
    ("options", "readonly"),
    [
        ("readonly", True),
        ("readonly=true", True),
        ("ro", True),
        ("ro=1", True),
        ("readonly=false", False),
        ("ro=0", False),
        ("readonly=FALSE", False),
        ("ro=t", True),  # Go's short forms, as the CLI reads them
        ("readonly=f", False),
        ("", False),
    ],
)
def test_readonly_takes_gos_booleans(options, readonly):
    line = "type=volume,source=data,target=/data" + (f",{options}" if options else "")
    assert specs.parse_mount(line)["readonly"] is readonly
    written = specs.spec_apply({}, {"mounts": {"mounts": [specs.parse_mount(line)]}})
    assert written["TaskTemplate"]["ContainerSpec"]["Mounts"][0].get("ReadOnly", False) is readonly


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ("type=volume,target=/a,foo=bar", "“foo” is not a mount option"),
        ("type=volume,target=/a,consistency=cached", "“consistency” is not a mount option"),
        ("type=volume,target=/a,readonly=maybe", "readonly takes true or false (1 or 0), not “maybe”"),
        ("type=volume,target=/a,readonly=", "readonly takes true or false (1 or 0), not “”"),
        ("type=volume,target=/a,volume-nocopy=2", "volume-nocopy takes true or false"),
        ("type=bind,source=/a,target=/b,bind-propagation=sideways", "“sideways” is not a valid bind-propagation"),
        ("type=tmpfs,target=/a,tmpfs-mode=9", "“9” is not a valid tmpfs-mode"),
        ("type=tmpfs,target=/a,tmpfs-mode=0o777", "“0o777” is not a valid tmpfs-mode"),
        ("type=tmpfs,target=/a,tmpfs-mode=77777777777", "“77777777777” is not a valid tmpfs-mode"),
        ("type=tmpfs,target=/a,tmpfs-size=lots", "“lots” is not a valid tmpfs-size"),
        ("type=volume,target=/a,volume-opt=novalue", "“novalue” is not a valid volume-opt"),
        ("type=volume,target=/a,volume-label==x", "“=x” is not a valid volume-label"),
        ("type=volume,target=/a,volume-driver=", "“” is not a valid volume-driver"),
        ("type=floppy,target=/a", "“floppy” is not a valid type"),
        ("type=volume,source,target=/a", "write source=VALUE"),
        ("type=bind,source=/a,target=/b,tmpfs-size=1M", "tmpfs-size does not apply to a bind mount"),
        ("type=tmpfs,target=/a,volume-nocopy", "volume-nocopy does not apply to a tmpfs mount"),
        ("type=volume,target=relative", "the target must be an absolute path"),
        ("type=bind,source=relative,target=/a", "a bind mount's source must be an absolute path on the host"),
        ("type=tmpfs,source=x,target=/a", "a tmpfs mount has no source"),
    ],
)
def test_a_mount_option_that_cannot_be_read_is_named_in_the_error(panel_client, no_enqueue, line, named):
    errors = _errors(panel_client, mounts=f"type=tmpfs,target=/ok\n{line}")

    assert f"Line 2: {named}" in errors["mounts"]


def test_every_option_the_form_writes_reads_back():
    line = "type=volume,source=v,target=/v,readonly,volume-nocopy,volume-driver=local,volume-label=a=b,volume-opt=o=x"
    mount = specs.parse_mount(line)

    written = specs.spec_apply({}, {"mounts": {"mounts": [mount]}})
    assert specs.parse_mount(specs.format_mount(engine.ServiceConfig.from_json(written).mounts[0])) == mount
    assert specs.parse_mount("type=tmpfs,target=/t,tmpfs-mode=37777777777")["tmpfs_mode"] == 2**32 - 1


# --- host paths -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/var/run/docker.sock",
        "/run/docker.sock",
        "/run",  # holds the socket
        "/var",
        "/etc",
        "/etc/ssl/private",
        "/var/lib/docker",
        "/var/lib/docker/volumes/x/_data",
        "//etc",
        "/srv/../etc",
        "/etc/",
        "/proc/1/root",
    ],
)
def test_protected_host_paths(path):
    assert specs.host_path_protected(path)


@pytest.mark.parametrize("path", ["/srv", "/srv/data", "/etcetera", "/var/lib/dockerd", "/home/app", "/tmp"])
def test_ordinary_host_paths(path, settings):
    # The panel's own engine socket is protected too: keep it where a deployment has it (the tests'
    # sandbox socket may live under /tmp, in a fresh clone).
    settings.DOCKER_HOST = "unix:///var/run/docker.sock"

    assert not specs.host_path_protected(path)


def test_the_panels_own_engine_socket_is_protected(settings):
    settings.DOCKER_HOST = "unix:///srv/engine/docker.sock"

    assert specs.host_path_protected("/srv/engine")
    assert not specs.host_path_protected("/srv/other")


@pytest.mark.parametrize(
    "line",
    [
        "type=bind,source=/srv,target=/srv",
        # The local driver mounts the device it is given: a host path like a bind mount.
        "type=volume,source=v,target=/v,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=/srv",
    ],
)
def test_a_host_path_mount_is_refused_by_default(panel_client, no_enqueue, line):
    errors = _errors(panel_client, mounts=line)

    assert "SWARMDECK_ALLOW_BIND_MOUNTS=true" in errors["mounts"]


def test_volumes_stay_allowed(panel_client, no_enqueue):
    mounts = "type=volume,source=data,target=/data\ntype=volume,source=nfs,target=/nfs,volume-opt=device=:/export"
    response = panel_client.post(reverse("services:create"), {**GOOD, "mounts": mounts})

    assert response.status_code == 302, response.context["form"].errors
    assert Job.objects.count() == 1


def test_with_the_setting_an_ordinary_host_path_needs_no_password(panel_client, no_enqueue, settings):
    settings.SWARMDECK_ALLOW_BIND_MOUNTS = True
    response = panel_client.post(reverse("services:create"), {**GOOD, "mounts": "type=bind,source=/srv,target=/srv"})

    assert response.status_code == 302, response.context["form"].errors
    assert Job.objects.get().params["values"]["mounts"][0]["source"] == "/srv"


def test_a_protected_path_needs_the_right_password(panel_client, no_enqueue, settings, admin_login):
    settings.SWARMDECK_ALLOW_BIND_MOUNTS = True
    form = {**GOOD, "mounts": "type=bind,source=/var/run/docker.sock,target=/var/run/docker.sock"}

    asked = _errors(panel_client, **form)
    assert "Enter your password to confirm" in asked["confirm_password"]
    wrong = _errors(panel_client, **form, confirm_password="not-" + admin_login.password)
    assert "not your password" in wrong["confirm_password"]

    response = panel_client.post(reverse("services:create"), {**form, "confirm_password": admin_login.password})
    assert response.status_code == 302
    job = Job.objects.get()
    assert admin_login.password not in str(job.params)


def test_the_confirmation_cannot_be_used_to_guess_the_password(panel_client, no_enqueue, settings, admin_login):
    settings.SWARMDECK_ALLOW_BIND_MOUNTS = True
    form = {**GOOD, "mounts": "type=bind,source=/etc,target=/host-etc"}
    # A stolen session's guesses count as failed logins of its address, and lock it like them.
    for number in range(settings.AXES_FAILURE_LIMIT):
        panel_client.post(reverse("services:create"), {**form, "confirm_password": f"guess-{number}"})

    locked = panel_client.post(reverse("services:create"), {**form, "confirm_password": admin_login.password})

    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert not Job.objects.exists()


SOCKET_SPEC = {
    "Name": "swarmdeck",
    "TaskTemplate": {
        "ContainerSpec": {
            "Image": "swarmdeck:latest",
            "Env": ["A=1"],
            "Mounts": [{"Type": "bind", "Source": "/var/run/docker.sock", "Target": "/var/run/docker.sock"}],
        }
    },
}


@pytest.fixture
def socket_service(monkeypatch):
    """The panel's own service: it mounts the Docker socket."""
    detail = engine.ServiceDetail(
        summary=service_summary(spec=SOCKET_SPEC), spec=SOCKET_SPEC, previous_spec=None, update_status=None
    )
    monkeypatch.setattr(engine, "service_detail", lambda service_id: detail)


@pytest.mark.parametrize(
    "change",
    [
        {"env": "A=2"},
        {"mounts": "type=bind,source=/var/run/docker.sock,target=/var/run/docker.sock\ntype=tmpfs,target=/tmp"},
    ],
    ids=["env", "another-mount"],
)
def test_an_unchanged_socket_mount_is_not_judged_again(panel_client, socket_service, no_enqueue, change):
    url = reverse("services:update", args=["svc1"])
    data = {**prefilled(ServiceForm(initial=specs.values_from_spec(SOCKET_SPEC), updating=True)), **change}

    response = panel_client.post(url, data)

    assert response.status_code == 302, response.context["form"].errors
    groups = Job.objects.get().params["groups"]
    written = specs.spec_apply(SOCKET_SPEC, groups)["TaskTemplate"]["ContainerSpec"]["Mounts"]
    assert written[0] == SOCKET_SPEC["TaskTemplate"]["ContainerSpec"]["Mounts"][0]


def test_a_changed_socket_mount_is_judged(panel_client, socket_service, no_enqueue):
    url = reverse("services:update", args=["svc1"])
    data = prefilled(ServiceForm(initial=specs.values_from_spec(SOCKET_SPEC), updating=True))
    data["mounts"] += ",readonly"

    response = panel_client.post(url, data)

    assert "SWARMDECK_ALLOW_BIND_MOUNTS=true" in " ".join(response.context["form"].errors["mounts"])
