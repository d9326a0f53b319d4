#!/usr/bin/env python
"""The container's entry point: one image, several roles.

    all       web, worker (with beat), watcher and an embedded Redis, supervised (ncp style)
    web       the ASGI server (migrates first, under a lock)
    worker    the Celery worker (a thread per running job, up to SWARMDECK_WORKER_THREADS)
    beat      the Celery beat (update checks, stale-job reaper, retention): run exactly one
    watcher   the event watcher
    update-helper JOB   swaps a plain container for a new image and back if it is not healthy
    health    the HEALTHCHECK command, for whichever role this container runs
    manage COMMAND...   a manage.py command as the panel's user, e.g. from `docker exec`:
              docker exec CONTAINER /app/docker/entrypoint.py manage reset_admin_password
    anything else is run as given, as the panel's user (e.g. python manage.py reset_admin_password)

It starts as root only to make /data usable and to learn the Docker socket's group, then drops to
an unprivileged user for good: the owner of /data when that is not root (any host folder works and
keeps its owner), else the image's swarmdeck user (10001), to whom a root-owned /data is given.
"""

from __future__ import annotations

import os
import pwd
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

APP = Path("/app")
DATA = Path(os.environ.get("SWARMDECK_DATA_DIR", "/data"))
ROLE_FILE = Path("/tmp/swarmdeck-role")  # noqa: S108 - read by the health command in the same container
APP_USER = "swarmdeck"
PORT = os.environ.get("SWARMDECK_PORT", "8000")
REDIS_PORT = "6379"
ROLES = ("all", "web", "worker", "beat", "watcher", "update-helper", "health")


def say(message: str) -> None:
    print(f"swarmdeck: {message}", flush=True)


def docker_socket() -> Path | None:
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if not host.startswith("unix://"):
        return None
    path = Path(host.removeprefix("unix://"))
    return path if path.is_socket() else None


def _chown_tree(path: Path, uid: int, gid: int) -> None:
    for root, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            os.lchown(os.path.join(root, name), uid, gid)
    os.chown(path, uid, gid)


def drop_privileges() -> None:
    """As root: choose the user, give it /data and the socket's group, then become it."""
    if os.getuid() != 0:
        return
    DATA.mkdir(parents=True, exist_ok=True)
    user = pwd.getpwnam(APP_USER)
    info = DATA.stat()
    if info.st_uid != 0:
        uid, gid = info.st_uid, info.st_gid
        say(f"running as uid {uid}, the owner of {DATA}")
    else:
        uid, gid = user.pw_uid, user.pw_gid
        # A fresh volume, or data written by an image that ran as root: hand it to our user.
        _chown_tree(DATA, uid, gid)
    groups = {gid}
    sock = docker_socket()
    if sock is not None:
        groups.add(sock.stat().st_gid)
    else:
        say("no Docker socket at DOCKER_HOST: mount /var/run/docker.sock to manage the swarm")
    os.setgroups(sorted(groups))
    os.setgid(gid)
    os.setuid(uid)
    os.environ["HOME"] = user.pw_dir if uid == user.pw_uid else "/tmp"  # noqa: S108
    if not os.access(DATA, os.W_OK):
        sys.exit(f"swarmdeck: {DATA} is not writable by uid {uid}")


def manage(*args: str) -> list[str]:
    return [sys.executable, str(APP / "manage.py"), *args]


def celery(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "celery"), "-A", "dashboard", *args]


def serve() -> list[str]:
    return manage("serve", "--bind", "0.0.0.0", "--port", PORT)  # noqa: S104 - the container's own interface


def migrate() -> None:
    subprocess.run(manage("migrate_locked"), check=True)


def run_all() -> int:
    from dashboard.supervisor import Program, Supervisor

    env = dict(os.environ)
    # This container's own watcher is the one its health check asks about.
    env.setdefault("SWARMDECK_WATCHER_NAME", socket.gethostname())
    env.setdefault("SWARMDECK_HEALTH_WATCHER", env["SWARMDECK_WATCHER_NAME"])
    programs = []
    if embedded_redis(env):
        from dashboard.private_files import local_redis_config

        # The settings name it, with the password generated beside the secret key.
        env["SWARMDECK_REDIS_PORT"] = REDIS_PORT
        config = local_redis_config(DATA, REDIS_PORT)
        programs.append(Program("redis", ["redis-server", str(config)], ready=lambda: wait_for_redis(int(REDIS_PORT))))
    os.environ.update(env)
    migrate()
    # Ready criteria: the activation link is printed last, once all three are up (dashboard/supervisor.py).
    # The worker's pool (threads) and its size come from the settings, as for the worker role.
    worker = celery("--quiet", "worker", "-l", "INFO", "-B", "-s", str(DATA / "celerybeat-schedule"))
    programs += [
        Program("worker", worker, ready_line=r"celery@\S+ ready\."),
        Program("watcher", manage("watch_swarm"), ready_line="following Swarm events"),
        Program("web", serve(), ready_check=web_answers),
    ]
    return Supervisor(programs, env=env, cwd=str(APP)).run()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the redirect itself is the answer


def web_answers() -> bool:
    """Any HTTP answer from our own server: / redirects to the activation or login page, logging nothing."""
    try:
        with urllib.request.build_opener(_NoRedirect).open(f"http://127.0.0.1:{PORT}/", timeout=1):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def embedded_redis(env: dict[str, str]) -> bool:
    """All-in-one without an external Redis: the container runs its own."""
    return not env.get("REDIS_URL") and not env.get("REDIS_URL_FILE")


def wait_for_redis(port: int) -> None:
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    say("the embedded Redis did not start")


def health() -> int:
    """Exit 0 when this container's role works: the web roles answer /healthz with 200."""
    role = ROLE_FILE.read_text().strip() if ROLE_FILE.exists() else "all"
    if role not in ("all", "web"):
        return 0  # worker, beat, watcher: alive while their process is (it is PID 1)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=4) as response:  # noqa: S310
            return 0 if response.status == 200 else 1
    except urllib.error.HTTPError as exc:
        print(exc.read().decode(errors="replace")[:500])
        return 1
    except OSError as exc:
        print(exc)
        return 1


def main(argv: list[str]) -> int:
    role = argv[0] if argv else "all"
    if role == "health":
        return health()
    if role in ROLES:
        ROLE_FILE.write_text(role)
    elif ROLE_FILE.exists() and ROLE_FILE.read_text() == "all" and embedded_redis(dict(os.environ)):
        # `docker exec` into the all-in-one container: jobs go to the container's own Redis.
        os.environ["SWARMDECK_REDIS_PORT"] = REDIS_PORT
    os.umask(0o077)  # the database, the secret key and Redis's dump are for the panel's user alone
    drop_privileges()
    os.chdir(APP)
    sys.path.insert(0, str(APP))
    if DATA.is_dir() and DATA.stat().st_uid == os.getuid():
        from dashboard.private_files import private_dir, private_files_tighten

        private_files_tighten(private_dir(DATA))
    if role == "all":
        return run_all()
    commands = {
        "web": serve(),
        "worker": celery("worker", "-l", "INFO"),
        # Beat's own bookkeeping, rebuilt at start; the schedule itself lives in the code and the database.
        "beat": celery("beat", "-l", "INFO", "-s", "/tmp/celerybeat-schedule"),  # noqa: S108
        "watcher": manage("watch_swarm"),
        "update-helper": manage("panel_swap", *argv[1:]),
        "manage": manage(*argv[1:]),
    }
    if role == "web":
        migrate()
    command = commands.get(role, argv)
    os.execvp(command[0], command)
    return 0  # not reached: exec replaced this process


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
