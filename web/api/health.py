"""``GET /api/v1/health``: is the database reachable, is Redis reachable."""

from __future__ import annotations

from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from fleet.db.migrate import current_revision, head_revision
from web.api import api
from web.context import ctx


@api.get("/health")
@api.doc(summary="Health of the database and Redis", responses={503: "a dependency is down"})
def health() -> tuple[dict[str, Any], int]:
    app = ctx()
    checks: dict[str, dict[str, Any]] = {}
    try:
        with app.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        revision = current_revision(app.engine)
        ok = revision == head_revision()
        checks["database"] = {
            "ok": ok,
            "backend": app.engine.dialect.name,
            "revision": revision,
            **({} if ok else {"message": "not migrated: run fleetops init-db"}),
        }
    except SQLAlchemyError as exc:
        checks["database"] = {"ok": False, "message": type(exc).__name__}
    if app.redis is None:
        checks["redis"] = {"ok": False, "message": "REDIS_URL is not set"}
    else:
        try:
            checks["redis"] = {"ok": bool(app.redis.ping())}
        except RedisError as exc:
            checks["redis"] = {"ok": False, "message": type(exc).__name__}
    healthy = all(c["ok"] for c in checks.values())
    body = {
        "status": "ok" if healthy else "degraded",
        "city": app.city.name,
        "checks": checks,
        "time": app.clock.now().astimezone(app.zone).isoformat(),
    }
    return body, 200 if healthy else 503
