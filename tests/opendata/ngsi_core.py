"""A stand-in for the ETSI NGSI-LD core context, which the tests cannot fetch (no network).

It defines only the core terms the export relies on, with the IRIs ETSI GS CIM 009 (Annex B)
gives them, and is ``@protected`` as the core is: a context of ours that redefined one of them
(``location``, ``status``, ``description``) would fail to expand here as it would at a broker.
Whatever else the real core defines is not checked by the expansion; the structural checks of
tests/opendata/test_ngsi_export.py cover the normalized form itself.
"""

from __future__ import annotations

from typing import Any

NGSI_LD = "https://uri.etsi.org/ngsi-ld/"

CORE_STAND_IN: dict[str, Any] = {
    "@context": {
        "@version": 1.1,
        "@protected": True,
        "ngsi-ld": NGSI_LD,
        "geojson": "https://purl.org/geojson/vocab#",
        "id": "@id",
        "type": "@type",
        "Property": "ngsi-ld:Property",
        "GeoProperty": "ngsi-ld:GeoProperty",
        "Relationship": "ngsi-ld:Relationship",
        "DateTime": "ngsi-ld:DateTime",
        "Point": "geojson:Point",
        "LineString": "geojson:LineString",
        "Polygon": "geojson:Polygon",
        "MultiPolygon": "geojson:MultiPolygon",
        "coordinates": {"@container": "@list", "@id": "geojson:coordinates"},
        "value": "ngsi-ld:hasValue",
        "object": {"@id": "ngsi-ld:hasObject", "@type": "@id"},
        "observedAt": {"@id": "ngsi-ld:observedAt", "@type": "DateTime"},
        "unitCode": "ngsi-ld:unitCode",
        "location": "ngsi-ld:location",
        "status": "ngsi-ld:status",
        "description": "http://purl.org/dc/terms/description",
        "title": "http://purl.org/dc/terms/title",
        "@vocab": "https://uri.etsi.org/ngsi-ld/default-context/",
    }
}
