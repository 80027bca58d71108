"""The NGSI-LD export of the seeded demo (SQLite, PostgreSQL): normalized form, the documented ids
and types, GeoJSON geometries, relationships that resolve, and JSON-LD that expands to the IRIs
docs/ngsi-ld.md names, with our context served by the app itself. Then who may read it."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from pyld import jsonld
from shapely.geometry import shape

from dispatch.opendata.ngsi_context import (
    ENTITY_TYPES,
    OWN_TERMS,
    OWN_TYPES,
    SDM,
    SDM_COMMON_TERMS,
    SDM_TRANSPORT,
    SDM_TRANSPORT_TERMS,
    SDM_TYPES,
)
from dispatch.opendata.ngsi_export import MAX_LIMIT
from tests.opendata.ngsi_core import CORE_STAND_IN, NGSI_LD
from tests.web.conftest import demo  # noqa: F401  (the seeded demo city and its app)
from tests.web.test_bookings import login

CORE = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"
OWN = "http://localhost/ngsi-ld/context.jsonld"
URN = re.compile(r"^urn:ngsi-ld:(?P<type>[A-Za-z]+):(?P<id>[0-9a-f-]{36})$")
#: A road segment's id: the city, the mode, its OSM nodes and key (see test_ngsi_roads.py).
ROAD_URN = re.compile(
    r"^urn:ngsi-ld:(?P<type>RoadSegment):(?P<id>[A-Za-z0-9_-]+-bike-\d+-\d+-\d+)$"
)
#: Attributes the core context defines (everything else must be ours or smart-data-models').
CORE_ATTRIBUTES = {"location"}
ATTRIBUTE_TYPES = {"Property", "GeoProperty", "Relationship"}


def entities_of(client, who: str = "city", query: str = "") -> list[dict[str, Any]]:
    answer = client.get(f"/ngsi-ld/v1/entities{query}", headers=login(client, who))
    assert answer.status_code == 200, answer.get_json()
    assert answer.mimetype == "application/ld+json"
    return json.loads(answer.get_data())


@pytest.fixture
def exported(demo):  # noqa: F811
    app, summary, _prepared = demo
    client = app.test_client()
    return client, summary, entities_of(client, query=f"?limit={MAX_LIMIT}")


def _check_geometry(geometry: dict[str, Any]) -> None:
    assert geometry["type"] in ("Point", "LineString", "Polygon", "MultiPolygon")
    if geometry["type"] == "Point":
        lon, lat = geometry["coordinates"]
        assert -180 <= lon <= 180 and -90 <= lat <= 90
    elif geometry["type"] == "LineString":
        assert len(geometry["coordinates"]) >= 2
        for lon, lat in geometry["coordinates"]:
            assert -180 <= lon <= 180 and -90 <= lat <= 90
    else:
        rings = geometry["coordinates"]
        polygons = rings if geometry["type"] == "MultiPolygon" else [rings]
        for polygon in polygons:
            for ring in polygon:
                assert len(ring) >= 4 and ring[0] == ring[-1]  # RFC 7946: closed rings
    assert shape(geometry).is_valid


def _check_attribute(name: str, attribute: dict[str, Any], ids: set[str]) -> None:
    assert attribute["type"] in ATTRIBUTE_TYPES, name
    if attribute["type"] == "Relationship":
        assert set(attribute) == {"type", "object"}
        assert attribute["object"] in ids, f"{name} points outside the export"
        return
    assert set(attribute) <= {"type", "value", "observedAt", "unitCode"}, name
    assert attribute["value"] is not None, name
    if "observedAt" in attribute:
        assert attribute["observedAt"].endswith("Z")
    if attribute["type"] == "GeoProperty":
        _check_geometry(attribute["value"])


def test_every_entity_is_normalized_with_documented_ids_and_types(exported):
    _client, summary, entities = exported
    ids = {e["id"] for e in entities}
    assert len(ids) == len(entities)
    known = set(SDM_TRANSPORT_TERMS + SDM_COMMON_TERMS + OWN_TERMS) | CORE_ATTRIBUTES
    for entity in entities:
        match = URN.match(entity["id"]) or ROAD_URN.match(entity["id"])
        assert match and match["type"] == entity["type"] in ENTITY_TYPES
        assert entity["@context"] == [CORE, OWN]
        for name, attribute in entity.items():
            if name in ("id", "type", "@context"):
                continue
            assert name in known, f"{name} is in no context"
            _check_attribute(name, attribute, ids)
    counts = {t: sum(e["type"] == t for e in entities) for t in ENTITY_TYPES}
    assert counts["Vehicle"] == sum(summary.vehicles.values())
    assert counts["Operator"] == 1
    assert counts["BikeHireDockingStation"] and counts["BatterySwapStation"]
    assert counts["GeofencingZone"]


def test_vehicles_follow_the_smart_data_model(exported):
    _client, _summary, entities = exported
    vehicles = [e for e in entities if e["type"] == "Vehicle"]
    for vehicle in vehicles:
        assert {"vehicleType", "category", "battery", "serviceStatus", "owner"} <= set(vehicle)
        assert 0 <= vehicle["battery"]["value"] <= 1  # the model's fraction, not percent
        assert vehicle["battery"]["unitCode"] == "C62"
        assert vehicle["serviceStatus"]["value"] in {"parked", "onRoute", "broken", "outOfService"}
        moving = vehicle["vehicleStatus"]["value"] in ("in_use", "in_transit")
        assert ("location" in vehicle) != moving  # a rider's trip is not published
    parked = [v for v in vehicles if "refDockingStation" in v]
    assert parked, "the demo parks some vehicles at stations"
    stations = {e["id"]: e for e in entities if e["type"] == "BikeHireDockingStation"}
    for station in stations.values():
        at = [v for v in parked if v["refDockingStation"]["object"] == station["id"]]
        assert station["freeSlotNumber"]["value"] == max(
            0, station["totalSlotNumber"]["value"] - len(at)
        )


def test_zones_carry_their_rules(exported):
    _client, _summary, entities = exported
    zones = [e for e in entities if e["type"] == "GeofencingZone"]
    kinds = {z["zoneKind"]["value"] for z in zones}
    assert "service_area" in kinds
    for zone in zones:
        assert zone["location"]["value"]["type"] in ("Polygon", "MultiPolygon")
        assert ("maximumAllowedSpeed" in zone) == (zone["zoneKind"]["value"] == "slow")
        if zone["zoneKind"]["value"] == "no_parking":
            assert zone["parkingAllowed"]["value"] is False
        if "validFrom" in zone:
            assert zone["validFrom"]["value"]["@type"] == "DateTime"


def _loader(client):
    """Documents by URL: our context from the app, the core's stand-in (the ETSI server cannot
    be reached offline); anything else fails the test, naming the URL."""

    def load(url: str, _options: dict[str, Any]) -> dict[str, Any]:
        if url == OWN:
            answer = client.get("/ngsi-ld/context.jsonld")
            assert answer.mimetype == "application/ld+json"
            document = json.loads(answer.get_data())
        elif url == CORE:
            document = CORE_STAND_IN
        else:
            pytest.fail(f"the export names a context the test cannot serve: {url}")
        return {"contextUrl": None, "documentUrl": url, "document": document}

    return load


def _iri(name: str) -> str:
    if name in SDM_TRANSPORT_TERMS or name in SDM_TYPES:
        return SDM_TRANSPORT + name
    if name in SDM_COMMON_TERMS:
        return SDM + name
    if name in OWN_TERMS or name in OWN_TYPES:
        return "http://localhost/ngsi-ld/vocab#" + name
    return NGSI_LD + name


def test_the_export_expands_as_json_ld_to_the_documented_iris(exported):
    client, _summary, entities = exported
    expanded = jsonld.expand(entities, {"documentLoader": _loader(client)})
    assert len(expanded) == len(entities)
    for node, entity in zip(expanded, entities, strict=True):
        assert node["@id"] == entity["id"]
        assert node["@type"] == [_iri(entity["type"])]
        names = [k for k in entity if k not in ("id", "type", "@context")]
        assert sorted(k for k in node if not k.startswith("@")) == sorted(map(_iri, names))
        for name in names:
            (attribute,) = node[_iri(name)]
            kind = entity[name]["type"]
            assert attribute["@type"] == [NGSI_LD + kind]
            held = NGSI_LD + ("hasObject" if kind == "Relationship" else "hasValue")
            assert held in attribute, f"{name} lost its value in expansion"


def test_the_context_document_is_public_and_json_ld(demo):  # noqa: F811
    client = demo[0].test_client()
    answer = client.get("/ngsi-ld/context.jsonld")
    assert answer.status_code == 200 and answer.mimetype == "application/ld+json"
    assert "max-age" in answer.headers["Cache-Control"]
    terms = json.loads(answer.get_data())["@context"]
    assert terms["fleetops"] == "http://localhost/ngsi-ld/vocab#"
    assert not set(terms) & set(CORE_STAND_IN["@context"]) - {"@version"}


def test_type_narrows_the_export_and_an_unknown_one_is_named(demo):  # noqa: F811
    client = demo[0].test_client()
    only = entities_of(client, "manager", "?type=BatterySwapStation,GeofencingZone")
    assert only and {e["type"] for e in only} == {"BatterySwapStation", "GeofencingZone"}
    answer = client.get("/ngsi-ld/v1/entities?type=Bus", headers=login(client, "city"))
    assert answer.status_code == 400
    error = answer.get_json()["error"]
    assert error["code"] == "unknown_entity_type" and "Bus" in error["message"]
    assert "Vehicle" in error["message"]


def test_paging_filters_and_options_are_refused_not_ignored(demo):  # noqa: F811
    """A broker's filters and options would get every entity back, looking like a filtered
    answer: each is a 400 that names it (paging is taken: tests/opendata/test_ngsi_paging.py)."""
    client = demo[0].test_client()
    headers = login(client, "city")
    for query, named in (("limit=2&id=urn:x&attrs=name", ["attrs", "id"]), ("q=battery<0.2", ["q"]),
                         ("type=Vehicle&options=keyValues", ["options"])):  # fmt: skip
        answer = client.get(f"/ngsi-ld/v1/entities?{query}", headers=headers)
        assert answer.status_code == 400, query
        error = answer.get_json()["error"]
        assert error["code"] == "unsupported_parameter" and error["detail"]["parameters"] == named
        assert all(name in error["message"] for name in named)


def test_plain_json_moves_the_context_to_a_link_header(demo):  # noqa: F811
    client = demo[0].test_client()
    headers = {**login(client, "city"), "Accept": "application/json"}
    answer = client.get("/ngsi-ld/v1/entities?type=Operator", headers=headers)
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    (operator,) = answer.get_json()
    assert "@context" not in operator and operator["type"] == "Operator"
    assert answer.headers["Link"] == (
        f'<{OWN}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
    )


HOSTILE = ["?type=%00", "?type=" + "x" * 5000, "?type=,,,", "?type=%F0", "?type=Vehicle&type=%2C"]


def test_hostile_queries_get_no_500(demo):  # noqa: F811
    client = demo[0].test_client()
    headers = login(client, "city")
    for query in HOSTILE:
        answer = client.get(f"/ngsi-ld/v1/entities{query}", headers=headers)
        assert answer.status_code in (200, 400), (query, answer.get_data()[:200])


def test_only_the_city_and_managers_read_the_entities(demo):  # noqa: F811
    client = demo[0].test_client()
    for who, status in ((None, 401), ("rider1", 403), ("crew1", 403), ("courier1", 403)):
        headers = login(client, who) if who else {}
        answer = client.get("/ngsi-ld/v1/entities", headers=headers)
        assert answer.status_code == status, who
        assert answer.get_json()["error"]["status"] == status
    bad = client.get("/ngsi-ld/v1/entities", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    for who in ("city", "manager"):
        assert client.get("/ngsi-ld/v1/entities", headers=login(client, who)).status_code == 200
