"""Who may call what (issue 12): every API endpoint of Flask's url_map against every caller,
anonymous and each role the demo seeds, through real requests with bearer tokens; and every
unsafe endpoint refused to a browser session that sends no CSRF token.

The table :data:`ACCESS` is the contract, one row per endpoint. An endpoint added without a row,
or a row whose endpoint is gone, fails :func:`test_the_table_names_every_api_endpoint`. The
matrix runs on SQLite only (authorization is decided before any SQL that differs);
tests/web/test_isolation.py runs the tenant checks on both databases.
"""

from __future__ import annotations

import re
import uuid

import pytest
import sqlalchemy as sa

from cli.demo import DEMO_PEOPLE
from fleet.db.identity import issue_token
from fleet.db.tables import users
from fleet.identity import Role
from tests.web.test_bookings import login
from tests.web.test_browser_session import page_token, sign_in

RIDER, COURIER, MERCHANT = Role.RIDER, Role.COURIER, Role.MERCHANT
ADMIN, EMPLOYEE = Role.COMPANY_ADMIN, Role.EMPLOYEE
MANAGER, CREW, CITY = Role.MANAGER, Role.CREW, Role.CITY
GATEWAY = Role.GATEWAY

#: Anyone, signed in or not.
PUBLIC = "public"
#: Only a browser signed in at /login (a bearer token is no session: 401).
SESSION = "session"
#: Any signed-in user, whatever the role.
SIGNED_IN = frozenset(Role)

#: Who may call each API endpoint: PUBLIC, SESSION, or the roles admitted. Anyone else gets
#: 401 (no or a bad token) or 403 (a role not admitted); "admitted" means any other answer.
ACCESS: dict[str, str | frozenset[Role]] = {
    "GET /api/docs": PUBLIC,
    "GET /api/openapi.json": PUBLIC,
    "GET /api/v1/health": PUBLIC,
    "GET /api/v1/vehicles": PUBLIC,
    "GET /api/v1/zones": PUBLIC,
    "GET /api/v1/map/roads": PUBLIC,
    "GET /api/v1/map/closed-roads": PUBLIC,
    "GET /api/v1/track/<token>": PUBLIC,
    "POST /api/v1/auth/token": PUBLIC,
    "GET /api/v1/auth/csrf": SESSION,
    "DELETE /api/v1/auth/token": SIGNED_IN,
    "GET /api/v1/me": SIGNED_IN,
    "GET /api/v1/hubs": SIGNED_IN,
    # riders
    "POST /api/v1/bookings": frozenset({RIDER}),
    "GET /api/v1/bookings": frozenset({RIDER}),
    "GET /api/v1/bookings/<booking_id>": frozenset({RIDER, MANAGER, CREW}),
    "POST /api/v1/bookings/<booking_id>/unlock": frozenset({RIDER}),
    "POST /api/v1/bookings/<booking_id>/cancel": frozenset({RIDER}),
    "POST /api/v1/bookings/<booking_id>/end": frozenset({RIDER}),
    # fleet staff
    "GET /api/v1/fleet/vehicles": frozenset({MANAGER, CREW}),
    "POST /api/v1/fleet/vehicles": frozenset({MANAGER}),
    "GET /api/v1/fleet/vehicles/<vehicle_id>": frozenset({MANAGER, CREW}),
    "PATCH /api/v1/fleet/vehicles/<vehicle_id>": frozenset({MANAGER, CREW}),
    "GET /api/v1/ops/forecast": frozenset({MANAGER}),
    # the managers' dashboard (issue 15)
    "GET /api/v1/ops/kpis": frozenset({MANAGER}),
    "GET /api/v1/ops/stations": frozenset({MANAGER}),
    "GET /api/v1/ops/crews": frozenset({MANAGER}),
    "GET /api/v1/ops/routes": frozenset({MANAGER}),
    # CO2 avoided per day (issue 16)
    "GET /api/v1/ops/carbon": frozenset({MANAGER, CITY}),
    "GET /api/v1/ops/carbon.csv": frozenset({MANAGER, CITY}),
    "GET /api/v1/ops/road-surface": frozenset({MANAGER, CITY}),
    "GET /api/v1/ops/road-surface.geojson": frozenset({MANAGER, CITY}),
    "POST /api/v1/ops/road-surface/refresh": frozenset({MANAGER}),
    "GET /api/v1/ops/road-surface/refresh/<job_id>": frozenset({MANAGER}),
    "POST /api/v1/ops/tasks/<ops_task_id>/cancel": frozenset({MANAGER}),
    "GET /api/v1/ops/fleet": frozenset({MANAGER, CREW}),
    # crew plans: managers request, read and decide them; crews carry out their tasks
    "POST /api/v1/ops/plans": frozenset({MANAGER}),
    "GET /api/v1/ops/plans": frozenset({MANAGER}),
    "GET /api/v1/ops/plans/<plan_id>": frozenset({MANAGER}),
    "POST /api/v1/ops/plans/<plan_id>/approve": frozenset({MANAGER}),
    "POST /api/v1/ops/plans/<plan_id>/reject": frozenset({MANAGER}),
    "GET /api/v1/ops/jobs/<plan_job_id>": frozenset({MANAGER}),
    "GET /api/v1/crews/me/tasks": frozenset({CREW}),
    "POST /api/v1/crews/me/tasks/<task_id>/start": frozenset({CREW}),
    "POST /api/v1/crews/me/tasks/<task_id>/complete": frozenset({CREW}),
    "POST /api/v1/crews/me/tasks/<task_id>/fail": frozenset({CREW}),
    "GET /api/v1/ops/closures": frozenset({MANAGER}),
    "POST /api/v1/ops/closures": frozenset({MANAGER}),
    "PATCH /api/v1/ops/closures/<closure_id>": frozenset({MANAGER}),
    "POST /api/v1/ops/closures/<closure_id>/end": frozenset({MANAGER}),
    # merchants and their jobs
    "POST /api/v1/delivery-jobs": frozenset({MERCHANT}),
    "GET /api/v1/delivery-jobs": frozenset({MERCHANT, MANAGER}),
    "GET /api/v1/delivery-jobs/<job_id>": frozenset({MERCHANT, MANAGER}),
    "POST /api/v1/delivery-jobs/<job_id>/proof-code": frozenset({MERCHANT, MANAGER}),
    "POST /api/v1/delivery-jobs/<job_id>/cancel": frozenset({MERCHANT, MANAGER}),
    # courier shifts: managers plan them, couriers start and end theirs
    "GET /api/v1/courier-shifts": frozenset({MANAGER}),
    "POST /api/v1/courier-shifts": frozenset({MANAGER}),
    "PATCH /api/v1/courier-shifts/<shift_id>": frozenset({MANAGER}),
    "POST /api/v1/couriers/me/shift/start": frozenset({COURIER}),
    "POST /api/v1/couriers/me/shift/end": frozenset({COURIER}),
    # couriers on their route
    "GET /api/v1/couriers/me/route": frozenset({COURIER}),
    "POST /api/v1/couriers/me/jobs/<job_id>/picked-up": frozenset({COURIER}),
    "POST /api/v1/couriers/me/jobs/<job_id>/pickup-failed": frozenset({COURIER}),
    "POST /api/v1/couriers/me/jobs/<job_id>/delivered": frozenset({COURIER}),
    "POST /api/v1/couriers/me/jobs/<job_id>/failed": frozenset({COURIER}),
    "POST /api/v1/couriers/me/jobs/<job_id>/returned": frozenset({COURIER}),
    "POST /api/v1/couriers/me/swaps/<stop_id>": frozenset({COURIER}),
    # work EVs
    "POST /api/v1/staff": frozenset({ADMIN}),
    "GET /api/v1/hubs/<hub_id>/availability": frozenset({EMPLOYEE, ADMIN, MANAGER}),
    "POST /api/v1/reservations": frozenset({EMPLOYEE}),
    "GET /api/v1/reservations": frozenset({EMPLOYEE, ADMIN, MANAGER}),
    "POST /api/v1/reservations/<reservation_id>/pickup": frozenset({EMPLOYEE}),
    "POST /api/v1/reservations/<reservation_id>/return": frozenset({EMPLOYEE}),
    "POST /api/v1/reservations/<reservation_id>/cancel": frozenset({EMPLOYEE, ADMIN, MANAGER}),
    "POST /api/v1/reservations/<reservation_id>/reassign": frozenset({ADMIN, MANAGER}),
    # the operators' vehicle-data gateways, and routes around broken roads (issue 17)
    "POST /api/v1/telemetry": frozenset({GATEWAY}),
    # the ids and codes a gateway names vehicles by; fleet staff read the whole fleet anyway
    "GET /api/v1/telemetry/vehicles": frozenset({GATEWAY, MANAGER, CREW}),
    "GET /api/v1/ride-route": frozenset({RIDER, MANAGER}),
}

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
ONE_DATABASE = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


def api_endpoints(app) -> set[str]:
    """``"METHOD /rule"`` of every API route of the app's url_map (HEAD and OPTIONS aside)."""
    return {
        f"{method} {rule.rule}"
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def concrete(endpoint: str) -> tuple[str, str]:
    """The method and a path of ``endpoint`` with a fresh random id in each ``<part>``."""
    method, rule = endpoint.split(" ", 1)
    return method, re.sub(r"<[^>]+>", lambda _m: str(uuid.uuid4()), rule)


def call(client, endpoint: str, headers: dict[str, str]):
    method, path = concrete(endpoint)
    body = {"json": {}} if method in UNSAFE else {}
    return client.open(path, method=method, headers=headers, **body)


def expected(access: str | frozenset[Role], caller: Role | None) -> int | None:
    """The status ``caller`` must get: 401, 403, or ``None`` for admitted."""
    if access == PUBLIC:
        return None
    if access == SESSION or caller is None:
        return 401
    assert isinstance(access, frozenset)
    return None if caller in access else 403


def demo_user(role: Role) -> str:
    """The username of the first demo user with ``role``."""
    return next(name for name, _display, r, _company in DEMO_PEOPLE if r is role)


@pytest.fixture
def client(demo):
    return demo[0].test_client()


@ONE_DATABASE
def test_the_table_names_every_api_endpoint(demo):
    routes = api_endpoints(demo[0])
    assert sorted(routes - ACCESS.keys()) == [], "API endpoints without a row in ACCESS"
    assert sorted(ACCESS.keys() - routes) == [], "rows of ACCESS naming no endpoint"


def test_the_demo_seeds_a_user_of_every_role():
    assert {role for _name, _display, role, _company in DEMO_PEOPLE} == set(Role)


@ONE_DATABASE
def test_every_caller_gets_what_the_table_says(client, demo, clock):
    """Anonymous, forged, expired, revoked and a deactivated user's tokens, and each role,
    against every endpoint: 401, 403 or admitted (any answer but 401 and 403, and never a server
    error)."""
    tokens = {role: login(client, demo_user(role)) for role in Role}
    revoked = login(client, "rider2", fresh=True)
    assert client.delete("/api/v1/auth/token", headers=revoked).status_code == 204
    deactivated = login(client, "crew2", fresh=True)
    engine = demo[0].extensions["fleetops"].engine
    with engine.begin() as conn:
        conn.execute(sa.update(users).where(users.c.username == "crew2").values(active=False))
        manager = conn.execute(sa.select(users.c.id).where(users.c.username == "manager")).one()
        expired = {"Authorization": f"Bearer {issue_token(conn, manager.id, 60, clock)}"}
    assert client.get("/api/v1/me", headers=expired).status_code == 200
    clock.advance(61)  # the others live 30 days
    callers: list[tuple[str, Role | None, dict[str, str]]] = [
        ("anonymous", None, {}),
        ("forged token", None, {"Authorization": "Bearer not-a-token"}),
        ("basic auth", None, {"Authorization": "Basic bWFuYWdlcjpmbGVldG9wcy1kZW1v"}),
        ("expired token", None, expired),
        ("revoked token", None, revoked),
        ("deactivated user", None, deactivated),
        *((str(role), role, tokens[role]) for role in Role),
    ]
    wrong = []
    for endpoint, access in ACCESS.items():
        for name, role, headers in callers:
            if endpoint == "DELETE /api/v1/auth/token" and role is not None:
                # it revokes the token it is sent
                headers = login(client, demo_user(role), fresh=True)
            response = call(client, endpoint, headers)
            want, got = expected(access, role), response.status_code
            if want is None:
                ok = got not in (401, 403) and got != 500
            else:
                codes = {401: "unauthorized", 403: "forbidden"}
                ok = got == want and response.get_json()["error"]["code"] == codes[want]
            if not ok:
                wrong.append(f"{endpoint} as {name}: {got}, want {want or 'admitted'}")
    assert not wrong, "\n".join(wrong)


@ONE_DATABASE
def test_a_session_without_its_csrf_token_changes_nothing_anywhere(client, demo):
    """Every unsafe endpoint that needs a caller refuses a signed-in browser session that sends
    no CSRF token (403 csrf_failed), whatever the role may do; with the token the session is
    admitted (or refused by role, as by token)."""
    sign_in(client, "manager")
    unsafe = [e for e, access in ACCESS.items() if e.split()[0] in UNSAFE and access != PUBLIC]
    assert len(unsafe) > 25
    wrong = []
    for endpoint in unsafe:
        response = call(client, endpoint, {})
        error = (response.get_json() or {}).get("error", {})
        if response.status_code != 403 or error.get("code") != "csrf_failed":
            wrong.append(f"{endpoint}: {response.status_code} {error.get('code')}")
    assert not wrong, "\n".join(wrong)
    token = {"X-CSRF-Token": page_token(client)}
    for endpoint in unsafe:
        if endpoint == "DELETE /api/v1/auth/token":
            continue  # it would end the session
        want = expected(ACCESS[endpoint], MANAGER)
        got = call(client, endpoint, token).status_code
        assert got == want if want else got not in (401, 403, 500), (endpoint, got)
    assert client.get("/api/v1/auth/csrf").status_code == 200  # SESSION: the session is admitted
