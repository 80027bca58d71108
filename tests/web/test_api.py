"""The API frame: health, tokens, vehicles, roles, operators, errors, idempotency, OpenAPI."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from fleet.db.tables import metadata
from fleet.identity import Role
from tests.conftest import PASSWORD

IN_A = {"lat": 37.55, "lon": 126.955}
IN_B = {"lat": 37.51, "lon": 126.955}


def new_vehicle(**over):
    return {"code": "K-0100", "vehicle_class": "e_kickboard", **IN_A, "soc_pct": 80.0, **over}


def snapshot(engine):
    with engine.connect() as conn:
        return {
            t.name: sorted(map(repr, conn.execute(sa.select(t)).all()))
            for t in metadata.sorted_tables
            if t.name != "api_tokens"
        }


def assert_error(response, status, code=None):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"status", "code", "message", "detail"}
    assert body["error"]["status"] == status and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]


def test_health_names_the_worker_and_scheduler_until_they_beat(app, client, redis_url):
    from rq import Worker

    from dispatch.queue.connection import QUEUES, connect, queue
    from dispatch.queue.health import SCHEDULER_KEY, scheduler_beat

    connection = connect(redis_url)
    connection.delete(SCHEDULER_KEY)  # an earlier test's beat
    response = client.get("/api/v1/health")
    body = response.get_json()
    assert response.status_code == 503 and body["down"] == ["scheduler", "worker"]
    assert body["checks"]["database"]["ok"] and body["checks"]["redis"]["ok"]
    assert body["checks"]["queue"]["depth"] == dict.fromkeys(QUEUES, 0)
    assert body["time"].endswith("+09:00")  # the city's zone (synthetic city: Asia/Seoul)

    worker = Worker([queue(connection, name) for name in QUEUES], connection=connection)
    worker.register_birth()  # a worker says it is alive as `fleetops worker` does
    worker.heartbeat()
    scheduler_beat(connection)
    try:
        body = client.get("/api/v1/health").get_json()
        assert body["status"] == "ok" and body["down"] == []
        assert body["checks"]["worker"]["workers"] == 1
        connection.delete("rq:workers")  # a Redis that lost rq's set of workers (no persistence)
        assert client.get("/api/v1/health").get_json()["checks"]["worker"]["workers"] == 1
    finally:
        worker.register_death()
        connection.delete(SCHEDULER_KEY)


def test_health_is_degraded_when_redis_is_down(settings, world):
    from cli.redis_server import free_port
    from web import create_app

    dead = settings.with_overrides(redis_url=f"redis://127.0.0.1:{free_port()}/0")
    app = create_app(dead, engine=world.engine, clock=world.clock)
    response = app.test_client().get("/api/v1/health")
    assert response.status_code == 503
    assert response.get_json()["checks"]["redis"]["ok"] is False


def test_sign_in_gives_a_token_that_works_until_signed_out(client, world):
    response = client.post(
        "/api/v1/auth/token", json={"username": "a-manager", "password": PASSWORD}
    )
    assert response.status_code == 201
    token = response.get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).get_json()["role"] == "manager"
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert_error(client.get("/api/v1/me", headers=headers), 401, "unauthorized")


def test_wrong_password_is_401(client):
    response = client.post("/api/v1/auth/token", json={"username": "a-manager", "password": "x"})
    assert_error(response, 401, "bad_credentials")


def test_public_vehicles_show_only_available_ones(client, auth):
    h = auth(Role.MANAGER)
    ids = {}
    for code, cls in (
        ("K-1", "e_kickboard"),
        ("B-1", "e_bike"),
        ("M-1", "e_moped"),
        ("EV-1", "work_ev"),
    ):
        ids[code] = client.post(
            "/api/v1/fleet/vehicles", headers=h, json=new_vehicle(code=code, vehicle_class=cls)
        ).get_json()["id"]
    client.patch(f"/api/v1/fleet/vehicles/{ids['B-1']}", headers=h, json={"status": "maintenance"})
    body = client.get("/api/v1/vehicles").get_json()
    assert {v["code"] for v in body["data"]} == {"K-1", "M-1"}  # work EVs are not riders'
    kick = next(v for v in body["data"] if v["code"] == "K-1")
    assert set(kick) == {
        "id",
        "operator_id",
        "code",
        "plate",
        "model",
        "vehicle_class",
        "lat",
        "lon",
        "soc_pct",
        "range_m",
    }
    assert kick["range_m"] == int(551 * 1000 // 14 * 0.8)
    only_evs = client.get("/api/v1/vehicles?vehicle_class=work_ev")
    assert "through your company" in assert_error(only_evs, 422, "invalid_value")["message"]
    assert_error(client.get("/api/v1/vehicles?vehicle_class=tank"), 422, "unknown_vehicle_class")


def test_pagination(client, auth):
    h = auth(Role.MANAGER)
    for n in range(5):
        client.post("/api/v1/fleet/vehicles", headers=h, json=new_vehicle(code=f"K-{n}"))
    page2 = client.get("/api/v1/vehicles?per_page=2&page=2").get_json()
    assert [v["code"] for v in page2["data"]] == ["K-2", "K-3"]
    assert page2["pagination"] == {"page": 2, "per_page": 2, "total": 5, "pages": 3}
    too_many = client.get("/api/v1/vehicles?per_page=100000")
    assert_error(too_many, 422)
    assert too_many.get_json()["error"]["detail"] == {
        "query": {"per_page": ["per_page must be at most 500"]}
    }
    assert_error(client.get("/api/v1/vehicles?page=0"), 422, "validation_error")
    # digits of other scripts are no page number a client means (int() reads them)
    for odd in ("page=\uff12", "per_page=\u0663", "page=\u00b2"):
        assert_error(client.get(f"/api/v1/vehicles?{odd}"), 422, "validation_error")


# Role × endpoint: who may call what (None: no token).
FLEET_READ = {Role.MANAGER, Role.CREW}
FLEET_WRITE = {Role.MANAGER}


@pytest.mark.parametrize("role", [None, *Role])
def test_roles_on_fleet_endpoints(client, auth, world, role):
    manager = auth(Role.MANAGER)
    vid = client.post("/api/v1/fleet/vehicles", headers=manager, json=new_vehicle()).get_json()[
        "id"
    ]
    h = auth(role) if role is not None else {}
    calls = {
        "list": (client.get("/api/v1/fleet/vehicles", headers=h), FLEET_READ, 200),
        "get": (client.get(f"/api/v1/fleet/vehicles/{vid}", headers=h), FLEET_READ, 200),
        "patch": (
            client.patch(f"/api/v1/fleet/vehicles/{vid}", headers=h, json={"soc_pct": 55.0}),
            FLEET_READ,
            200,
        ),
        "create": (
            client.post("/api/v1/fleet/vehicles", headers=h, json=new_vehicle(code="K-0200")),
            FLEET_WRITE,
            201,
        ),
        "me": (client.get("/api/v1/me", headers=h), set(Role), 200),
    }
    for name, (response, allowed, ok) in calls.items():
        if role is None:
            assert_error(response, 401, "unauthorized")
        elif role in allowed:
            assert response.status_code == ok, (name, response.get_data(as_text=True))
        else:
            assert_error(response, 403, "forbidden")
    assert client.get("/api/v1/vehicles", headers=h).status_code == 200  # public


def test_operators_are_isolated(client, auth, world):
    vid = client.post(
        "/api/v1/fleet/vehicles", headers=auth(Role.MANAGER), json=new_vehicle()
    ).get_json()["id"]
    other = auth(world.other_manager)
    assert client.get("/api/v1/fleet/vehicles", headers=other).get_json()["data"] == []
    assert_error(client.get(f"/api/v1/fleet/vehicles/{vid}", headers=other), 404, "not_found")
    before = snapshot(world.engine)
    assert_error(
        client.patch(f"/api/v1/fleet/vehicles/{vid}", headers=other, json={"status": "offline"}),
        404,
    )
    assert snapshot(world.engine) == before
    # B registers in its own area only: A's area is outside B's service area
    assert_error(
        client.post("/api/v1/fleet/vehicles", headers=other, json=new_vehicle()),
        422,
        "outside_service_area",
    )
    ok = client.post("/api/v1/fleet/vehicles", headers=other, json=new_vehicle(**IN_B))
    assert ok.status_code == 201 and ok.get_json()["operator_id"] == world.b.id


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (new_vehicle(soc_pct=101), 422, "invalid_value"),
        (new_vehicle(soc_pct=-3), 422, "invalid_value"),
        (new_vehicle(vehicle_class="hoverboard"), 422, "unknown_vehicle_class"),
        (new_vehicle(**IN_B), 422, "outside_service_area"),
        (new_vehicle(lat=123.0), 422, "invalid_value"),
        (new_vehicle(soc_pct="lots"), 422, "validation_error"),
        (new_vehicle(status="flying"), 422, "invalid_value"),
        ({"code": "K-1"}, 422, "validation_error"),
    ],
)
def test_bad_vehicle_input_is_a_clear_error_and_stores_nothing(
    client, auth, world, body, status, code
):
    h = auth(Role.MANAGER)
    before = snapshot(world.engine)
    error = assert_error(client.post("/api/v1/fleet/vehicles", headers=h, json=body), status, code)
    assert snapshot(world.engine) == before
    if code == "invalid_value" and "soc_pct" in body and body["soc_pct"] in (101, -3):
        assert "between 0 and 100" in error["message"]


def test_bad_changes_are_refused_and_leave_the_vehicle_as_it_was(client, auth, world):
    h = auth(Role.MANAGER)
    vid = client.post("/api/v1/fleet/vehicles", headers=h, json=new_vehicle()).get_json()["id"]
    before = snapshot(world.engine)
    assert_error(
        client.patch(f"/api/v1/fleet/vehicles/{vid}", headers=h, json={"soc_pct": 250}),
        422,
        "invalid_value",
    )
    client.patch(f"/api/v1/fleet/vehicles/{vid}", headers=h, json={"status": "maintenance"})
    before = snapshot(world.engine)
    assert_error(
        client.patch(f"/api/v1/fleet/vehicles/{vid}", headers=h, json={"status": "in_use"}),
        409,
        "illegal_transition",
    )
    assert_error(
        client.patch(f"/api/v1/fleet/vehicles/{vid}", headers=h, json={**IN_B}),
        422,
        "outside_service_area",
    )
    assert_error(
        client.patch(f"/api/v1/fleet/vehicles/{vid}", headers=h, json={"lat": 37.55}),
        422,
        "invalid_value",
    )
    assert snapshot(world.engine) == before


def test_idempotency_key_replays_the_first_answer(client, auth, world):
    h = {**auth(Role.MANAGER), "Idempotency-Key": "create-k100"}
    first = client.post("/api/v1/fleet/vehicles", headers=h, json=new_vehicle())
    again = client.post("/api/v1/fleet/vehicles", headers=h, json=new_vehicle())
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    listing = client.get("/api/v1/fleet/vehicles", headers=h).get_json()
    assert listing["pagination"]["total"] == 1
    assert_error(
        client.post("/api/v1/fleet/vehicles", headers=h, json=new_vehicle(code="K-2")),
        422,
        "idempotency_key_reused",
    )
    # a refused request is replayed too, and another key is a new request
    bad = {**h, "Idempotency-Key": "bad-one"}
    assert_error(
        client.post("/api/v1/fleet/vehicles", headers=bad, json=new_vehicle(soc_pct=300)), 422
    )
    assert_error(
        client.post("/api/v1/fleet/vehicles", headers=bad, json=new_vehicle(soc_pct=300)), 422
    )
    # keys belong to a user: the same key from another manager is independent
    other = {**auth(world.other_manager), "Idempotency-Key": "create-k100"}
    assert (
        client.post("/api/v1/fleet/vehicles", headers=other, json=new_vehicle(**IN_B)).status_code
        == 201
    )


def test_unknown_routes_and_methods_use_the_error_shape(client):
    assert_error(client.get("/api/v1/nope"), 404, "not_found")
    assert_error(client.put("/api/v1/vehicles"), 405, "method_not_allowed")
    assert_error(
        client.post("/api/v1/auth/token", data="{not json", content_type="application/json"), 400
    )


def test_openapi_document_and_docs_page(client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    for path in (
        "/api/v1/health",
        "/api/v1/vehicles",
        "/api/v1/fleet/vehicles",
        "/api/v1/fleet/vehicles/{vehicle_id}",
        "/api/v1/auth/token",
        "/api/v1/me",
    ):
        assert path in paths
    assert paths["/api/v1/fleet/vehicles"]["post"]["security"]
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/api/v1/fleet/vehicles" in html and "VehicleIn" in html
    assert "<script" not in html and 'src="http' not in html and "<link" in html  # no CDN
    assert "OpenStreetMap contributors" in html  # ODbL credit on every page


def test_the_app_starts_and_documents_itself_without_a_warning(settings, world):
    import warnings

    from web import create_app

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        app = create_app(settings, engine=world.engine, clock=world.clock)
        assert app.test_client().get("/api/openapi.json").status_code == 200
    assert [str(w.message) for w in seen] == []  # e.g. no schema registered twice


def test_a_body_that_is_not_json_is_told_what_is_wrong(client, auth):
    h = auth(Role.MANAGER)
    broken = client.post(
        "/api/v1/fleet/vehicles",
        headers={**h, "Content-Type": "application/json"},
        data='{"code": "K-9",',
    )
    error = assert_error(broken, 400, "invalid_json")
    assert "not valid JSON" in error["message"]
    untyped = client.post("/api/v1/fleet/vehicles", headers=h, data='{"code": "K-9"}')
    error = assert_error(untyped, 415, "unsupported_media_type")
    assert "Content-Type: application/json" in error["message"]
    not_an_object = client.post("/api/v1/fleet/vehicles", headers=h, json=[1, 2])
    assert not_an_object.status_code in (400, 422)
    assert "object" in not_an_object.get_json()["error"]["message"]
