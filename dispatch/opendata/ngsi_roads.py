"""The road-surface index (issue 17, docs/road-surface.md) as NGSI-LD entities in normalized
form: each road of the index a smart-data-models ``RoadSegment`` with our surface attributes.
Pure functions of plain data.

Road numbers change when the network is rebuilt, so an entity's id is made of what does not:
the city, the network's mode and the OpenStreetMap nodes at the road's ends (lower id first)
with the edge's key among parallel ways, ``urn:ngsi-ld:RoadSegment:<city>-bike-<a>-<b>-<key>``.
"""

from __future__ import annotations

import re
from typing import Any

from dispatch.opendata.ngsi_context import Contexts
from dispatch.opendata.ngsi_entities import UNIT_KM, UNIT_RATIO, geo, point, prop, urn
from dispatch.ops.surface import MODE
from dispatch.ops.surface_map import SurfaceMap, SurfaceRoad

TYPE = "RoadSegment"
#: UN/CEFACT common code of metre per second squared.
UNIT_MS2 = "MSK"
#: smart-data-models' ``allowedVehicleType`` of the bike network (DATEX II has no kickboard).
ALLOWED = ["bicycle"]
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def road_id(city: str, road: SurfaceRoad) -> str:
    """The road's stable NGSI-LD id (see the module docstring)."""
    low, high = sorted((road.osm_from, road.osm_to))
    place = _UNSAFE.sub("-", city).strip("-") or "city"
    return urn(TYPE, f"{place}-{MODE.value}-{low}-{high}-{road.osm_key}")


def road_entity(city: str, road: SurfaceRoad, found: SurfaceMap) -> dict[str, Any]:
    """A road of the index: where it lies, its length, and how rough it is as of the
    refresh that made the index (``observedAt``); a road with too few readings to rank has no
    ``percentile`` (NGSI-LD has no null values)."""
    at = found.computed_at
    first, last = road.coordinates[0], road.coordinates[-1]
    entity: dict[str, Any] = {
        "id": road_id(city, road),
        "type": TYPE,
        "name": prop(road.name or f"OSM {road.osm_from}–{road.osm_to}"),
        "location": geo({"type": "LineString", "coordinates": [list(c) for c in road.coordinates]}),
        "startPoint": geo(point(first[1], first[0])),
        "endPoint": geo(point(last[1], last[0])),
        "length": prop(round(road.length_m / 1000, 3), unit=UNIT_KM),
        "allowedVehicleType": prop(list(ALLOWED)),
        "roughness": prop(road.roughness_ms2, observed_at=at, unit=UNIT_MS2),
        "roughnessLow": prop(road.low_ms2, observed_at=at, unit=UNIT_MS2),
        "confidence": prop(road.confidence.value, observed_at=at),
        "worst": prop(road.worst, observed_at=at),
        "samples": prop(road.samples, observed_at=at),
        "routingPenalty": prop(road.penalty, observed_at=at),
    }
    if road.high_ms2 is not None:
        entity["roughnessHigh"] = prop(road.high_ms2, observed_at=at, unit=UNIT_MS2)
    if road.percentile is not None:
        entity["percentile"] = prop(road.percentile, observed_at=at, unit=UNIT_RATIO)
    return entity


def road_entities(city: str, found: SurfaceMap, contexts: Contexts) -> list[dict[str, Any]]:
    """Every road of ``found``, each with its ``@context``."""
    context = contexts.entity_context()
    return [{**road_entity(city, r, found), "@context": context} for r in found.roads]
