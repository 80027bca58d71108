"""``GET /api/v1/health``: the database and Redis answer, a worker and the scheduler beat, the
queue's depth, and (under ``fleetops run``) every process is up. 503 names what is down.
``routing`` says which road networks the answering web worker has loaded (``warm`` when all:
gunicorn's workers warm up before their first request, see ``web.wsgi``)."""

from __future__ import annotations

from typing import Any

from apiflask import Schema, fields

from routing.modes import Mode
from web.api import api
from web.context import ctx


class RoutingOut(Schema):
    warm = fields.Boolean(metadata={"description": "every road network is loaded"})
    loaded = fields.List(fields.String(), metadata={"description": "the modes loaded"})


class HealthOut(Schema):
    status = fields.String(metadata={"enum": ["ok", "degraded"]})
    down = fields.List(fields.String(), metadata={"description": "what is down, by name"})
    city = fields.String()
    routing = fields.Nested(RoutingOut)
    checks = fields.Dict(metadata={"description": "each check's answer, by name"})
    time = fields.String(metadata={"description": "ISO 8601 in the city's time zone"})


#: The 503 answers with the same body as the 200 (not the error shape): it says what is down.
DOWN = {
    "description": "something is down: `down` names it",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HealthOut"}}},
}


@api.get("/health")
@api.output(HealthOut)
@api.doc(
    summary="Health of the database, Redis, worker, scheduler, queue and processes",
    responses={503: DOWN},
)
def health() -> tuple[dict[str, Any], int]:
    app = ctx()
    checks = {name: probe() for name, probe in app.probes.items()}
    failed = {name for name, check in checks.items() if not check["ok"]}
    healthy = not failed
    if "redis" in failed:  # heartbeats and depths live in Redis: name the cause, not its echoes
        failed -= {n for n in failed if str(checks[n].get("message", "")).startswith("Redis:")}
    # The processes check names the children of `fleetops run` that are down.
    children = checks.get("processes", {}).get("children") or {}
    down = sorted(
        (failed - {"processes"} if children else failed)
        | {name for name, child in children.items() if child.get("state") != "up"}
    )
    loaded = [str(mode) for mode in Mode if mode in app.routers.loaded()]
    body = {
        "status": "ok" if healthy else "degraded",
        "down": down,
        "city": app.city.name,
        "routing": {"warm": set(loaded) == set(Mode), "loaded": loaded},
        "checks": checks,
        "time": app.clock.now().astimezone(app.zone).isoformat(),
    }
    return body, 200 if healthy else 503
