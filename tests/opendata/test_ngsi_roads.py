"""The road-surface index in the NGSI-LD export (issue 17), on SQLite and PostgreSQL: after the
refresh of rides posted by the gateway (tests/web/test_road_surface.py ``ridden``), every road
of the index is a normalized ``RoadSegment`` whose values are the index's, with a stable id,
that expands as JSON-LD to the documented IRIs; before a refresh, or with an index of another
network, there is none."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import sqlalchemy as sa
from pyld import jsonld

from dispatch.opendata.ngsi_context import OWN_TERMS, SDM_COMMON_TERMS, SDM_TRANSPORT_TERMS
from dispatch.opendata.ngsi_export import MAX_LIMIT
from dispatch.opendata.ngsi_roads import road_entity, road_id
from dispatch.ops import surface
from dispatch.ops.surface_map import SurfaceMap, SurfaceRoad
from fleet.db.tables import road_surface_networks
from routing.surface import Confidence
from tests.opendata.ngsi_core import NGSI_LD
from tests.opendata.test_ngsi_export import (
    CORE,
    CORE_ATTRIBUTES,
    OWN,
    ROAD_URN,
    _check_attribute,
    _iri,
    _loader,
    entities_of,
)
from tests.web.conftest import demo  # noqa: F401  (the seeded demo city and its app)
from tests.web.test_bookings import login
from tests.web.test_road_surface import ridden  # noqa: F401

ROADS = f"?type=RoadSegment&limit={MAX_LIMIT}"
KNOWN = set(SDM_TRANSPORT_TERMS + SDM_COMMON_TERMS + OWN_TERMS) | CORE_ATTRIBUTES


def _utc(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(UTC).isoformat().replace("+00:00", "Z")


def test_every_road_of_the_index_is_a_road_segment_with_its_values(ridden):  # noqa: F811
    app, platform, _, bad = ridden
    client = app.test_client()
    assert entities_of(client, query=ROADS) == []  # no index yet
    surface.refresh(platform.engine, platform.clock, platform.routers)
    collection = client.get("/api/v1/ops/road-surface", headers=login(client, "city")).get_json()
    features = {  # by the OSM nodes of the road's ends, in the order of the entity's id
        tuple(sorted((f["properties"]["osm_from"], f["properties"]["osm_to"]))): f
        for f in collection["features"]
    }
    segments = entities_of(client, query=ROADS)
    assert len(segments) == len(features) > 0
    ids = {e["id"] for e in segments}
    assert len(ids) == len(segments)
    seen = set()
    for entity in segments:
        assert ROAD_URN.match(entity["id"]) and entity["type"] == "RoadSegment"
        assert entity["@context"] == [CORE, OWN]
        for name, attribute in entity.items():
            if name not in ("id", "type", "@context"):
                assert name in KNOWN, f"{name} is in no context"
                _check_attribute(name, attribute, ids)
        key = tuple(int(n) for n in entity["id"].rsplit("-bike-", 1)[1].split("-")[:2])
        props = features[key]["properties"]
        ends = (props["osm_from"], props["osm_to"])
        assert entity["name"]["value"] == (props["name"] or "OSM {}–{}".format(*ends))
        seen.add(props["road"])
        line = features[key]["geometry"]["coordinates"]
        assert entity["location"]["value"] == {"type": "LineString", "coordinates": line}
        assert entity["startPoint"]["value"]["coordinates"] == line[0]
        assert entity["endPoint"]["value"]["coordinates"] == line[-1]
        assert entity["length"] == {
            "type": "Property",
            "value": round(props["length_m"] / 1000, 3),
            "unitCode": "KMT",
        }
        roughness = entity["roughness"]
        assert roughness["value"] == props["roughness_ms2"] and roughness["unitCode"] == "MSK"
        assert roughness["observedAt"] == _utc(collection["computed_at"])
        assert entity["roughnessLow"]["value"] == props["low_ms2"]
        assert entity.get("roughnessHigh", {}).get("value") == props["high_ms2"]
        assert entity["confidence"]["value"] == props["confidence"]
        assert entity["samples"]["value"] == props["samples"]
        assert entity["worst"]["value"] is props["worst"]
        assert entity["routingPenalty"]["value"] == props["penalty"]
        assert entity.get("percentile", {}).get("value") == props["percentile"]
        assert ("percentile" in entity) == (props["confidence"] != "low")
    assert bad in seen
    # the whole export holds them beside the fleet, for managers as for the city
    everything = entities_of(client, "manager", f"?limit={MAX_LIMIT}")
    assert {e["id"] for e in everything} >= ids and any(e["type"] == "Vehicle" for e in everything)
    # and they expand to the documented IRIs
    expanded = jsonld.expand(segments, {"documentLoader": _loader(client)})
    for node, entity in zip(expanded, segments, strict=True):
        assert node["@type"] == [_iri("RoadSegment")]
        names = [k for k in entity if k not in ("id", "type", "@context")]
        assert sorted(k for k in node if not k.startswith("@")) == sorted(map(_iri, names))
        for name in names:
            (attribute,) = node[_iri(name)]
            assert NGSI_LD + "hasValue" in attribute, f"{name} lost its value in expansion"
    # an index made on another network is not exported (its road numbers mean nothing here)
    with platform.engine.begin() as conn:
        conn.execute(sa.update(road_surface_networks).values(network_key="another-network"))
    assert entities_of(client, query=ROADS) == []


def _road(**changes) -> SurfaceRoad:
    road = SurfaceRoad(
        road=12, osm_from=300, osm_to=200, osm_key=0, length_m=150,
        coordinates=((127.0, 37.5), (127.001, 37.5)), samples=40, roughness_ms2=1.5,
        low_ms2=1.3, high_ms2=1.7, confidence=Confidence.HIGH, percentile=0.95, worst=True,
        penalty=1.2,
    )  # fmt: skip
    return replace(road, **changes)


def test_a_road_keeps_its_id_when_the_network_is_numbered_again():
    road = _road()
    assert road_id("Seoul Mapo", road) == "urn:ngsi-ld:RoadSegment:Seoul-Mapo-bike-200-300-0"
    assert road_id("Seoul Mapo", _road(road=40)) == road_id("Seoul Mapo", road)
    # its lower edge may be the other direction after a rebuild: the same road, the same id
    assert road_id("Seoul Mapo", _road(osm_from=200, osm_to=300)) == road_id("Seoul Mapo", road)
    assert road_id("Seoul Mapo", _road(osm_key=1)) != road_id("Seoul Mapo", road)
    assert road_id("x/../y", road).startswith("urn:ngsi-ld:RoadSegment:x-y-bike-")


def test_an_unranked_road_has_no_percentile_and_an_unbounded_one_no_high_end():
    found = SurfaceMap(datetime(2026, 3, 2, tzinfo=UTC), 1.0, 100, ())
    low = road_entity(
        "c", _road(confidence=Confidence.LOW, percentile=None, worst=False, high_ms2=None), found
    )
    assert "percentile" not in low and "roughnessHigh" not in low
    assert low["confidence"]["value"] == "low" and low["worst"]["value"] is False
    ranked = road_entity("c", _road(), found)
    assert ranked["percentile"] == {
        "type": "Property",
        "value": 0.95,
        "observedAt": "2026-03-02T00:00:00Z",
        "unitCode": "C62",
    }
