"""Reading a closure's GeoJSON strictly: what is accepted, and each fault named with its place."""

from __future__ import annotations

import pytest

from dispatch.ops.closure_area import MAX_RINGS, MAX_VERTICES, closure_area
from fleet.exceptions import InvalidValue


def ring(x: float, y: float, d: float = 0.01) -> list[list[float]]:
    """A closed square ring of side ``d`` from its lower left corner."""
    return [[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]


def test_polygons_with_holes_multipolygons_and_altitudes_are_read():
    holed = closure_area(
        {"type": "Polygon", "coordinates": [ring(0, 0), ring(0.004, 0.004, 0.002)]}
    )
    assert holed.geometry.area == pytest.approx(0.0001 - 0.000004)
    two = closure_area({"type": "MultiPolygon", "coordinates": [[ring(0, 0)], [ring(1, 1)]]})
    assert two.geometry.geom_type == "MultiPolygon" and len(two.geometry.geoms) == 2
    high = [[*p, 12.5] for p in ring(0, 0)]
    assert closure_area({"type": "Polygon", "coordinates": [high]}).geometry.area > 0


@pytest.mark.parametrize(
    "geometry, words",
    [
        (None, "a GeoJSON object"),
        ([ring(0, 0)], "a GeoJSON object"),
        ({"type": "LineString", "coordinates": ring(0, 0)}, "got 'LineString'"),
        ({"type": "Polygon"}, "geometry.coordinates must be an array, got NoneType"),
        ({"type": "Polygon", "coordinates": []}, "needs an outer ring"),
        ({"type": "Polygon", "coordinates": [ring(0, 0)[:3]]}, "has 3 positions"),
        ({"type": "Polygon", "coordinates": [[*ring(0, 0)[:-1], [5, 5]]]}, "not closed"),
        ({"type": "Polygon", "coordinates": [[[0, 0, 0, 0]] * 4]}, "[0][0] must be [lon, lat]"),
        ({"type": "Polygon", "coordinates": [[[True, 0]] * 4]}, "must be [lon, lat]"),
        ({"type": "Polygon", "coordinates": [[[0, 91]] * 4]}, "[0][0]: latitude"),
        ({"type": "Polygon", "coordinates": [[[-181, 0]] * 4]}, "[0][0]: longitude"),
        ({"type": "Polygon", "coordinates": [[[float("inf"), 0]] * 4]}, "got inf"),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
            "Self-intersection",
        ),
        (
            {"type": "MultiPolygon", "coordinates": [[ring(0, 0)], [ring(0.005, 0.005)]]},
            "not a valid polygon",
        ),
        (
            {"type": "MultiPolygon", "coordinates": [[ring(0, 0)], "x"]},
            "geometry.coordinates[1] must be an array",
        ),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [2, 0], [0, 0]]]}, "valid"),
        (
            {"type": "Polygon", "coordinates": [[[0, 0]] * (MAX_VERTICES + 1)]},
            f"more than {MAX_VERTICES} vertices",
        ),
        (
            {"type": "Polygon", "coordinates": [ring(0, 0)] * (MAX_RINGS + 1)},
            f"more than {MAX_RINGS} rings",
        ),
    ],
)
def test_faults_are_named_with_their_place(geometry, words):
    with pytest.raises(InvalidValue) as refused:
        closure_area(geometry)
    assert words in str(refused.value)
