"""Sign-in failure counters in Redis, shared by every web worker (``dispatch.sign_in_limits``).

A counter is a Redis integer whose expiry is set by the failure that creates it: a fixed
window, which ``Retry-After`` can name exactly. When Redis does not answer, sign-in goes on
unlimited and the log says so: locking every person out because Redis is down would be worse.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RedisAttempts:
    """:class:`dispatch.sign_in_limits.Attempts` on a Redis connection."""

    connection: redis.Redis

    def count(self, key: str) -> tuple[int, int]:
        try:
            pipe = self.connection.pipeline(transaction=False)
            pipe.get(key)
            pipe.ttl(key)
            raw, ttl = pipe.execute()
        except RedisError as exc:
            log.warning("sign-in limits unchecked: Redis did not answer (%s)", exc)
            return 0, 0
        if raw is None or ttl is None or ttl <= 0:
            return 0, 0
        return int(raw), int(ttl)

    def add(self, key: str, window_s: int) -> None:
        try:
            pipe = self.connection.pipeline(transaction=True)
            pipe.set(key, 0, ex=window_s, nx=True)  # the first failure opens the window
            pipe.incr(key)  # INCR keeps the key's expiry
            pipe.execute()
        except RedisError as exc:
            log.warning("sign-in failure not counted: Redis did not answer (%s)", exc)

    def clear(self, key: str) -> None:
        try:
            self.connection.delete(key)
        except RedisError as exc:
            log.warning("sign-in failures not cleared: Redis did not answer (%s)", exc)
