"""Fixtures shared by every test: the static files, the panel's administrator and a logged-in client.

The rest lives in two plugin modules: tests/fixtures_stack.py (the real stack: sandbox swarm,
Redis, the panel's processes, chromium, registry) and tests/fixtures_fake.py (the engine faked at
its client with recorded JSON, an in-memory channel layer, factories). Their names are imported
here too, so ``from .conftest import X`` keeps working in the test modules.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

# Imported below before pytest loads them as plugins: their asserts must still be rewritten.
pytest.register_assert_rewrite("tests.fixtures_fake", "tests.fixtures_stack", "tests.fake_engine", "tests.support")

from .fixtures_fake import NOW, service_summary, task_snapshot  # noqa: E402
from .fixtures_stack import REGISTRY, docker_cli, running_tasks  # noqa: E402
from .support import ARTIFACTS, ROOT, TEST_IMAGE, TEST_LABEL, wait_until  # noqa: E402

pytest_plugins = ["tests.fixtures_stack", "tests.fixtures_fake"]

__all__ = [
    "ARTIFACTS",
    "NOW",
    "REGISTRY",
    "ROOT",
    "TEST_IMAGE",
    "TEST_LABEL",
    "Login",
    "browser_login",
    "docker_cli",
    "running_tasks",
    "service_summary",
    "task_snapshot",
    "wait_until",
    "ws_headers",
]


# --- static files -------------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _static_collected() -> None:
    """Pages name their static files through collectstatic's manifest (bin/test collects first).
    A run of pytest alone collects again when a source file is newer than the manifest or not in it."""
    import json

    from django.contrib.staticfiles import finders
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.core.management import call_command

    manifest = Path(settings.STATIC_ROOT) / staticfiles_storage.manifest_name
    sources = {
        path: os.path.getmtime(storage.path(path))
        for finder in finders.get_finders()
        for path, storage in finder.list(["CVS", ".*", "*~"])
    }
    if manifest.exists():
        known = json.loads(manifest.read_text()).get("paths", {})
        if set(sources) <= set(known) and max(sources.values(), default=0) <= manifest.stat().st_mtime:
            return
    call_command("collectstatic", "--no-input", "-v0")


# --- users -------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _activation_forgotten():
    """The access gate remembers an activation per process; each test starts from its own database."""
    from accounts.access import activation_forget

    activation_forget()
    yield
    activation_forget()


@dataclass
class Login:
    username: str
    password: str


@pytest.fixture
def admin_login(db) -> Login:
    """An activated panel with its administrator, whose password the test knows."""
    from django.contrib.auth import get_user_model

    from accounts.activation import password_generate
    from accounts.models import Installation, Profile

    password = password_generate()
    user = get_user_model().objects.create_user("admin", password=password, is_staff=True, is_superuser=True)
    Installation.objects.create(admin=user, wizard_done_at=user.date_joined)
    Profile.objects.create(user=user, role="admin")
    return Login("admin", password)


@pytest.fixture
def make_user(admin_login):
    """Another user of the activated panel, with the role given (viewer, operator or admin)."""
    from django.contrib.auth import get_user_model

    from accounts.activation import password_generate
    from accounts.models import Profile

    def make(username: str, role: str) -> Login:
        password = password_generate()
        user = get_user_model().objects.create_user(username, password=password)
        Profile.objects.create(user=user, role=role)
        return Login(username, password)

    return make


@pytest.fixture
def role_client(client, make_user):
    """A Django test client logged in as a new user of the role given: ``role_client("viewer")``."""
    from django.contrib.auth import get_user_model

    def login(role: str):
        make_user(role, role)
        client.force_login(get_user_model().objects.get(username=role))
        return client

    return login


@pytest.fixture
def panel_client(client, admin_login):
    """A Django test client logged in as the administrator."""
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username=admin_login.username))
    return client


def ws_headers(client=None, origin: str = "http://127.0.0.1") -> list[tuple[bytes, bytes]]:
    """Headers for a WebsocketCommunicator: Origin, plus the session cookie of a logged-in client."""
    headers = [(b"origin", origin.encode())]
    if client is not None and "sessionid" in client.cookies:
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    return headers


def browser_login(page, url: str, login: Login) -> None:
    page.goto(f"{url}/login/")
    page.fill("#id_username", login.username)
    page.fill("#id_password", login.password)
    page.click("button[type=submit].primary")
    page.wait_for_url(lambda current: "/login/" not in current)
