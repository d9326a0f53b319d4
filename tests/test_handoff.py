"""A job's hand-off of values no table may hold: sealed in a real Redis, taken once, gone after."""

import pytest
from django.test import override_settings

from jobs.handoff import HandoffLost, _key, _redis, handoff_drop, handoff_peek, handoff_put, handoff_take

VALUE = b"s3cr3t-\x00-value"


@pytest.fixture
def handoff_redis(redis_server):
    _redis.cache_clear()
    yield _redis()
    _redis.cache_clear()


def test_a_value_is_sealed_in_redis_and_taken_once(handoff_redis):
    handoff_put(job_id=7, name="password", value=VALUE)

    stored = handoff_redis.get(_key(7, "password"))
    assert VALUE not in stored and b"s3cr3t" not in stored
    assert 0 < handoff_redis.ttl(_key(7, "password")) <= 3600
    assert handoff_peek(job_id=7, name="password") == VALUE
    assert handoff_take(job_id=7, name="password") == VALUE
    with pytest.raises(HandoffLost):
        handoff_take(job_id=7, name="password")


def test_drop_removes_every_value_of_the_job_only(handoff_redis):
    handoff_put(job_id=8, name="a", value=b"1")
    handoff_put(job_id=8, name="b", value=b"2")
    handoff_put(job_id=81, name="a", value=b"3")

    handoff_drop(job_id=8)

    for name in ("a", "b"):
        with pytest.raises(HandoffLost):
            handoff_peek(job_id=8, name=name)
    assert handoff_take(job_id=81, name="a") == b"3"


def test_a_value_sealed_with_another_key_is_lost_and_a_fallback_key_opens(handoff_redis, settings):
    with override_settings(SECRET_KEY="the-key-before-rotation" * 2):
        handoff_put(job_id=9, name="old", value=b"kept")
        handoff_put(job_id=9, name="gone", value=b"x")
    settings.SECRET_KEY_FALLBACKS = ["the-key-before-rotation" * 2]
    assert handoff_take(job_id=9, name="old") == b"kept"
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(HandoffLost):
        handoff_take(job_id=9, name="gone")
