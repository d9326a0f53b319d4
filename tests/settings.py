"""Test settings: the sandbox engine and a private Redis, never the user's own."""

import os

from dashboard.settings import *  # noqa: F403
from dashboard.settings import BASE_DIR, CHANNEL_LAYERS

# Only an explicit variable may point the tests at another engine; DOCKER_HOST is ignored on purpose.
DOCKER_HOST = os.environ.get("SWARMDECK_TEST_DOCKER_HOST") or f"unix://{BASE_DIR}/var/test/docker.sock"
TEST_REDIS_PORT = int(os.environ.get("SWARMDECK_TEST_REDIS_PORT", "6391"))
REDIS_URL = f"redis://127.0.0.1:{TEST_REDIS_PORT}/0"
CHANNEL_LAYERS = {"default": {**CHANNEL_LAYERS["default"], "CONFIG": {"hosts": [REDIS_URL]}}}
CELERY_BROKER_URL = REDIS_URL
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
