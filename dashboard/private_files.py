"""The panel's private files: the data directory and the secrets generated into it.

Whoever reads the database holds every session, and whoever reaches Redis can enqueue jobs: both
control the Docker socket. So the data directory is the panel's user's alone (0700, and the
processes the panel starts create files 0600 under umask 077), and the local Redis asks for a
password generated on first start and kept beside the secret key. Plain Python, no Django: bin/run
and the container's entrypoint use it before Django starts.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

UMASK = 0o077


def private_dir(path: Path) -> Path:
    """Create ``path`` for the panel's user alone, or take the others' access to an existing one."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def private_files_tighten(data_dir: Path) -> None:
    """The panel's own files written by a release before umask 077 (the database and its WAL, the
    keys, Redis's dump) become 0600. Only those: other folders under a development ``var/`` (a
    sandbox engine's data-root) keep the modes their owners gave them, behind the 0700 directory."""
    paths = [entry for entry in data_dir.iterdir() if entry.is_file()]
    if (data_dir / "redis").is_dir():
        paths += [data_dir / "redis", *(data_dir / "redis").iterdir()]
    for path in paths:
        mode = path.lstat().st_mode
        if not path.is_symlink() and mode & 0o077:
            path.chmod(mode & 0o700)


def secret_file(path: Path, nbytes: int = 32) -> str:
    """The secret stored in ``path``, generated (0600) the first time."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_urlsafe(nbytes))
    return path.read_text(encoding="utf-8").strip()


def local_redis_url(data_dir: Path, port: int | str) -> str:
    """The URL of the panel's own Redis on the loopback, with its generated password."""
    password = secret_file(data_dir / "redis_password")
    return f"redis://:{password}@127.0.0.1:{port}/0"


def local_redis_config(data_dir: Path, port: int | str) -> Path:
    """A redis.conf (0600) for the panel's own Redis: its password stays off the command line,
    which every local user can read in ``ps``."""
    redis_dir = private_dir(data_dir / "redis")
    password = secret_file(data_dir / "redis_password")
    config = redis_dir / "redis.conf"
    fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(
            f"bind 127.0.0.1\nport {port}\ndir {redis_dir}\nrequirepass {password}\n"
            # No start-up banner, only what needs a look; the dump every minute after a change.
            'save "60 1"\nloglevel warning\n'
        )
    return config
