"""Values past what a column holds are refused by name, never answered 500; and the OpenAPI
document states the bounds the API enforces, so a client (and schemathesis) can keep to them
(issue 12). On SQLite and PostgreSQL: PostgreSQL is the one whose integers are 32 bits."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qsl, urlsplit

import pytest
from openapi_schema_validator import OAS31Validator

from fleet.db import sites as sites_db
from fleet.db.engine import writing
from fleet.geo import Position
from fleet.identity import Role
from fleet.sites import Site, SiteKind
from tests.web.test_api import assert_error, new_vehicle, snapshot

INT32_MAX = 2**31 - 1


@pytest.mark.parametrize("page", [2**63, 10**20])
def test_a_page_past_any_listing_is_refused_by_name(client, page):
    error = assert_error(client.get(f"/api/v1/vehicles?page={page}"), 422, "validation_error")
    assert "page" in error["detail"]["query"]


@pytest.mark.parametrize(
    "field, value", [("odometer_m", INT32_MAX + 1), ("battery_serial", "B" * 65)]
)
def test_a_vehicle_value_past_its_column_is_refused_and_stores_nothing(
    client, auth, world, field, value
):
    h = auth(Role.MANAGER)
    before = snapshot(world.engine)
    response = client.post("/api/v1/fleet/vehicles", headers=h, json=new_vehicle(**{field: value}))
    error = assert_error(response, 422, "validation_error")
    assert field in error["detail"]["json"]
    assert snapshot(world.engine) == before


def test_an_odometer_reading_past_its_column_is_refused_and_the_largest_kept(client, auth):
    h = auth(Role.MANAGER)
    body = new_vehicle(battery_serial="B" * 64)  # the longest serial the column holds
    created = client.post("/api/v1/fleet/vehicles", headers=h, json=body)
    assert created.status_code == 201, created.get_json()
    url = f"/api/v1/fleet/vehicles/{created.get_json()['id']}"
    error = assert_error(client.patch(url, headers=h, json={"odometer_m": INT32_MAX + 1}), 422)
    assert "odometer_m" in error["detail"]["json"]
    kept = client.patch(url, headers=h, json={"odometer_m": INT32_MAX})
    assert kept.status_code == 200 and kept.get_json()["odometer_m"] == INT32_MAX


#: (who, method, url, JSON body or None): a value the API refuses with 422 that the document
#: must not allow either. ``{vehicle}`` and ``{hub}`` are filled in by the test.
REFUSED = [
    (None, "get", "/api/v1/vehicles?vehicle_class=hoverboard", None),
    (None, "get", "/api/v1/vehicles?per_page=501", None),
    (None, "get", "/api/v1/zones?kind=volcano", None),
    (Role.MANAGER, "get", "/api/v1/fleet/vehicles?status=flying", None),
    (Role.MANAGER, "get", "/api/v1/fleet/vehicles?vehicle_class=hoverboard", None),
    (Role.MANAGER, "get", "/api/v1/courier-shifts?status=dreaming", None),
    (Role.RIDER, "get", "/api/v1/bookings?status=dreaming", None),
    (Role.MERCHANT, "get", "/api/v1/delivery-jobs?status=dreaming", None),
    (Role.EMPLOYEE, "get", "/api/v1/reservations?status=dreaming", None),
    (Role.EMPLOYEE, "get", "/api/v1/hubs/{hub}/availability?slot_minutes=45", None),
    (Role.MANAGER, "post", "/api/v1/fleet/vehicles", new_vehicle(soc_pct=101)),
    (Role.MANAGER, "post", "/api/v1/fleet/vehicles", new_vehicle(lat=123.0)),
    (Role.MANAGER, "post", "/api/v1/fleet/vehicles", new_vehicle(status="flying")),
    (Role.MANAGER, "post", "/api/v1/fleet/vehicles", new_vehicle(vehicle_class="hoverboard")),
    (Role.MANAGER, "patch", "/api/v1/fleet/vehicles/{vehicle}", {"soc_pct": 250}),
    (Role.MANAGER, "patch", "/api/v1/fleet/vehicles/{vehicle}", {"status": "flying"}),
    (
        Role.RIDER,
        "post",
        "/api/v1/bookings",
        {"lat": 37.55, "lon": 126.955, "vehicle_classes": ["x"]},
    ),
    (
        Role.COMPANY_ADMIN,
        "post",
        "/api/v1/staff",
        {"username": "Not A Name", "display_name": "N", "password": "long-enough-secret"},
    ),
]


def _parameter_schema(document, method, path, name, location):
    operation = document["paths"][path][method]
    for parameter in operation.get("parameters", []):
        if parameter["name"] == name and parameter["in"] == location:
            return parameter["schema"]
    pytest.fail(f"{method.upper()} {path} documents no {location} parameter {name}")


def _body_schema(document, method, path):
    """The body's schema, carrying the components so that its nested $refs resolve."""
    body = document["paths"][path][method]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return {**schema, "components": document["components"]}


def _allowed(schema, value) -> bool:
    return OAS31Validator(schema).is_valid(value)


def test_the_document_refuses_what_the_api_refuses(client, auth, world):
    document = client.get("/api/openapi.json").get_json()
    manager = auth(Role.MANAGER)
    vehicle = client.post("/api/v1/fleet/vehicles", headers=manager, json=new_vehicle()).get_json()
    hub = Site(
        str(uuid.uuid4()),
        world.a.id,
        SiteKind.EV_HUB,
        "Hub",
        Position(37.55, 126.955),
        4,
        0,
        2,
        7.0,
    )
    with writing(world.engine) as conn:
        sites_db.insert_site(conn, hub, world.clock)
    allowed_anyway = []
    for who, method, url, body in REFUSED:
        url = url.format(vehicle=vehicle["id"], hub=hub.id)
        headers = auth(who) if who is not None else {}
        response = getattr(client, method)(url, headers=headers, json=body)
        assert response.status_code == 422, (url, body, response.get_json())
        parts = urlsplit(url)
        path = _template(document, method, parts.path)
        if body is None:
            for name, value in parse_qsl(parts.query):
                schema = _parameter_schema(document, method, path, name, "query")
                item = schema.get("items", schema)
                typed = int(value) if item.get("type") == "integer" else value
                if _allowed(item, typed):
                    allowed_anyway.append(f"{method.upper()} {url}")
        elif _allowed(_body_schema(document, method, path), body):
            allowed_anyway.append(f"{method.upper()} {url} {body}")
    assert not allowed_anyway, "the document allows what the API refuses:\n" + "\n".join(
        allowed_anyway
    )


def _template(document, method, path):
    """The document's path template that ``path`` is an instance of."""
    wanted = path.strip("/").split("/")
    for template, item in document["paths"].items():
        parts = template.strip("/").split("/")
        if method not in item or len(parts) != len(wanted):
            continue
        if all(p == w or p.startswith("{") for p, w in zip(parts, wanted, strict=True)):
            return template
    pytest.fail(f"no documented path for {method.upper()} {path}")
