"""The queue's health for ``/api/v1/health``: can Redis be reached."""

from __future__ import annotations

from typing import Any

import redis
from redis.exceptions import RedisError


def redis_check(connection: redis.Redis) -> dict[str, Any]:
    """``{"ok": True}`` when Redis answers a ping, else the error's name."""
    try:
        return {"ok": bool(connection.ping())}
    except RedisError as exc:
        return {"ok": False, "message": type(exc).__name__}


def no_redis() -> dict[str, Any]:
    """The check when no Redis is configured."""
    return {"ok": False, "message": "REDIS_URL is not set"}
