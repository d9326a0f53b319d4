"""Fernet keys derived from SECRET_KEY, one per purpose: a value sealed with the current key or
any of SECRET_KEY_FALLBACKS still opens, so rotating the key loses nothing in flight."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.utils.crypto import salted_hmac


def fernet(*, salt: str, purpose: str) -> MultiFernet:
    def key(secret: str) -> Fernet:
        digest = salted_hmac(salt, purpose, secret=secret, algorithm="sha256").digest()
        return Fernet(base64.urlsafe_b64encode(digest))

    return MultiFernet([key(settings.SECRET_KEY), *(key(old) for old in settings.SECRET_KEY_FALLBACKS)])
