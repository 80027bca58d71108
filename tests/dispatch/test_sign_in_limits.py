"""The sign-in failure counters: in Redis (shared by web workers) and in memory, alike."""

from __future__ import annotations

import pytest
import redis

from dispatch.exceptions import TooManySignIns
from dispatch.queue.attempts import RedisAttempts
from dispatch.sign_in_limits import MemoryAttempts, SignInLimits, record, refuse_if_limited
from fleet.identity import Role, User

LIMITS = SignInLimits(per_username=2, per_address=3, window_s=600)
SOMEONE = User("u1", "op", "someone", "Someone", Role.RIDER)


@pytest.fixture(params=["redis", "memory"])
def attempts(request, redis_url):
    if request.param == "memory":
        return MemoryAttempts()
    connection = redis.Redis.from_url(redis_url)
    for key in connection.scan_iter(match="fleetops:sign-in:*"):
        connection.delete(key)
    return RedisAttempts(connection)


def test_a_username_is_refused_after_its_failures_until_the_window_ends(attempts):
    for _ in range(LIMITS.per_username):
        refuse_if_limited(attempts, LIMITS, "someone", "10.0.0.1")
        record(attempts, LIMITS, "someone", "10.0.0.1", None)
    with pytest.raises(TooManySignIns) as refused:
        refuse_if_limited(attempts, LIMITS, "someone", "10.0.0.2")
    assert 0 < refused.value.retry_after_s <= LIMITS.window_s
    assert refused.value.minutes == 10
    refuse_if_limited(attempts, LIMITS, "someone-else", "10.0.0.1")


def test_an_address_is_refused_after_its_failures_whatever_the_usernames(attempts):
    for n in range(LIMITS.per_address):
        record(attempts, LIMITS, f"user-{n}", "10.0.0.9", None)
    with pytest.raises(TooManySignIns):
        refuse_if_limited(attempts, LIMITS, "fresh-name", "10.0.0.9")
    refuse_if_limited(attempts, LIMITS, "fresh-name", "10.0.0.10")


def test_success_forgets_the_username_but_not_the_address(attempts):
    record(attempts, LIMITS, "someone", "10.0.0.5", None)
    record(attempts, LIMITS, "someone", "10.0.0.5", None)
    record(attempts, LIMITS, "someone", "10.0.0.5", SOMEONE)
    refuse_if_limited(attempts, LIMITS, "someone", "10.0.0.6")
    record(attempts, LIMITS, "other", "10.0.0.5", None)
    with pytest.raises(TooManySignIns):
        refuse_if_limited(attempts, LIMITS, "someone", "10.0.0.5")
