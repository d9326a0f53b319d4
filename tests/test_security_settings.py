"""Production refuses unsafe settings; no fixed password exists anywhere in the code."""

import os
import re
import stat
import subprocess
import sys

import pytest

from .conftest import ROOT


def _manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "dashboard.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def production(tmp_path):
    return {
        "SWARMDECK_PRODUCTION": "true",
        "SWARMDECK_DATA_DIR": str(tmp_path),
        "SECRET_KEY": "k" * 20 + os.urandom(24).hex(),
        "ALLOWED_HOSTS": "panel.example.org",
    }


def test_check_deploy_is_clean_in_production(production):
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=production)

    assert result.returncode == 0, result.stderr + result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without(production, missing):
    del production[missing]

    result = _manage("check", env=production)

    assert result.returncode != 0
    assert f"{missing}" in result.stderr
    assert "required in production" in result.stderr


def test_production_refuses_debug(production):
    result = _manage("check", env={**production, "DEBUG": "true"})

    assert result.returncode != 0
    assert "DEBUG must be off in production mode" in result.stderr


def _hsts(env) -> str:
    show = "from django.conf import settings as s; print(s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD)"
    return _manage("shell", "--no-imports", "-c", show, env=env).stdout.strip()


def test_hsts_binds_no_subdomain_and_asks_no_preload_unless_told(production):
    assert _hsts(production) == "False False"
    opted_in = {"SWARMDECK_HSTS_INCLUDE_SUBDOMAINS": "true", "SWARMDECK_HSTS_PRELOAD": "true"}
    assert _hsts({**production, **opted_in}) == "True True"


def test_secret_key_file_is_used(production, tmp_path):
    del production["SECRET_KEY"]
    key_file = tmp_path / "key"
    key_file.write_text("from-a-docker-secret-" + os.urandom(24).hex())

    result = _manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.SECRET_KEY)",
        env={**production, "SECRET_KEY_FILE": str(key_file)},
    )

    assert result.stdout.strip() == key_file.read_text()


def test_development_generates_a_private_secret_key_once(tmp_path):
    env = {"SWARMDECK_DATA_DIR": str(tmp_path)}
    show = ("shell", "--no-imports", "-c", "from django.conf import settings; print(settings.SECRET_KEY)")

    first = _manage(*show, env=env).stdout.strip()
    second = _manage(*show, env=env).stdout.strip()

    key_file = tmp_path / "secret_key"
    assert len(first) >= 50
    assert first == second == key_file.read_text().strip()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def _tracked_files():
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for name in listed.splitlines():
        path = ROOT / name
        if path.suffix in {".png", ".mo"} or name.startswith("tests/") or not path.is_file():
            continue
        yield name, path.read_text(errors="replace")


def test_no_default_or_fixed_password_in_the_code():
    forbidden = ["admin/" + "admin", "change" + "me", "pass" + "word123", "s3cr" + "et"]
    assignment = re.compile(r"(?i)\b(password|passwd|secret_key)\s*[:=]\s*['\"][^'\"{}$%<]{4,}['\"]")
    found = []
    for name, text in _tracked_files():
        lowered = text.lower()
        found += [f"{name}: {word}" for word in forbidden if word in lowered]
        found += [f"{name}: {match.group(0)}" for match in assignment.finditer(text)]
    assert found == []
