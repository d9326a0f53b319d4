"""Dependencies: a short list of direct ones, compiled into pins with hashes that pip insists on."""

import re
import tomllib

from .conftest import ROOT

NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?")


def _direct(path: str) -> set[str]:
    names = set()
    for line in (ROOT / path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(_normal(line))
    return names


def _normal(requirement: str) -> str:
    match = NAME.match(requirement)
    return re.sub(r"[-_.]+", "-", match[1]).lower() + (match[2] or "")


def test_pyproject_names_the_direct_dependencies_of_the_in_files():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    assert {_normal(r) for r in project["dependencies"]} == _direct("requirements.in")
    assert {_normal(r) for r in project["optional-dependencies"]["dev"]} == _direct("requirements-dev.in")


def test_every_compiled_pin_is_exact_and_hashed():
    for path in ("requirements.txt", "requirements-dev.txt"):
        text = (ROOT / path).read_text()
        pins = re.findall(
            r"^(\S+)==(\S+)(?: ;[^\\\n]*)? \\\n((?:    --hash=sha256:[0-9a-f]{64}(?: \\\n)?)+)", text, re.M
        )
        requirements = [line for line in text.splitlines() if line and not line[0].isspace() and line[0] != "#"]
        assert pins and len(pins) == len(requirements), path


def test_every_direct_dependency_is_pinned():
    for source, compiled in (("requirements.in", "requirements.txt"), ("requirements-dev.in", "requirements-dev.txt")):
        pinned = {_normal(name) for name in re.findall(r"^(\S+)==", (ROOT / compiled).read_text(), re.M)}
        direct = {name.split("[")[0] for name in _direct(source)}
        assert direct <= pinned, compiled
