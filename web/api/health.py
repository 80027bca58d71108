"""``GET /api/v1/health``: is the database reachable, is Redis reachable."""

from __future__ import annotations

from typing import Any

from web.api import api
from web.context import ctx


@api.get("/health")
@api.doc(summary="Health of the database and Redis", responses={503: "a dependency is down"})
def health() -> tuple[dict[str, Any], int]:
    app = ctx()
    checks = {name: probe() for name, probe in app.probes.items()}
    healthy = all(c["ok"] for c in checks.values())
    body = {
        "status": "ok" if healthy else "degraded",
        "city": app.city.name,
        "checks": checks,
        "time": app.clock.now().astimezone(app.zone).isoformat(),
    }
    return body, 200 if healthy else 503
