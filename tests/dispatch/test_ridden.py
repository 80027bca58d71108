"""The distance ridden, pure (``dispatch.riders.ridden``): synthetic rides out and back on the
synthetic city's bike roads (``routing.traces``) measure within 5 % of the true path, however
near start and end are; a GPS jump, off the map or onto a far road, adds nothing; with too few
samples the distance is the road from start to end; matched points lie where the samples were
placed."""

from __future__ import annotations

import numpy as np
import pytest

from dispatch.riders.ridden import DistanceMethod, Ridden, distance_ridden
from fleet.city import OsmSource, SyntheticSpec
from fleet.exceptions import InvalidValue
from fleet.geo import Position
from routing import traces
from routing.engine import Router
from routing.load import load_network
from routing.matching import match, point_of
from routing.modes import Mode

#: Metres per degree of latitude, to place a jump 5 km north.
M_PER_DEG_LAT = 111_320.0


@pytest.fixture(scope="module")
def bike(cache_dir) -> Router:
    """The bike router of the default synthetic city (14 × 14 blocks of 110 m)."""
    return Router(load_network(OsmSource(synthetic=SyntheticSpec()), Mode.BIKE, cache_dir))


def out_and_back(net, seed: int):
    """A synthetic ride from an intersection and back the same way (two-way streets only), its
    start and its true length; ``None`` if the seed's path has a one-way street."""
    trace = traces.ride(net, np.random.default_rng(seed))
    if any(net.twin[e] < 0 for e in trace.edges):
        return None
    turn = trace.samples[-1][2] + 3
    samples = trace.samples + [(la, lo, 2 * turn - t) for la, lo, t in reversed(trace.samples)]
    first = int(net.tail[trace.edges[0]])
    return samples, Position(float(net.lat[first]), float(net.lon[first])), 2 * trace.length_m


@pytest.fixture(scope="module")
def loops(bike):
    """Six rides out and back: the first seeds whose paths have no one-way street."""
    rides = (out_and_back(bike.network, seed) for seed in range(1, 100))
    return [ride for ride in rides if ride is not None][:6]


@pytest.mark.parametrize("k", range(6))
def test_a_ride_out_and_back_measures_its_path_not_start_to_end(bike, loops, k):
    samples, start, true_m = loops[k]
    measured = distance_ridden(bike, start, start, samples)
    assert measured.method is DistanceMethod.MATCHED
    assert measured.matched == measured.samples == len(samples)
    assert abs(measured.distance_m - true_m) <= 0.05 * true_m, (measured, true_m)
    matched_m = match(bike, samples).length_m
    assert abs(measured.distance_m - matched_m) <= 0.05 * matched_m


def _one_way_there(bike):
    """A ride there (not back): samples, start and end nodes, true length."""
    net = bike.network
    trace = traces.ride(net, np.random.default_rng(2), gaps=0)
    first, last = int(net.tail[trace.edges[0]]), int(net.head[trace.edges[-1]])
    start = Position(float(net.lat[first]), float(net.lon[first]))
    end = Position(float(net.lat[last]), float(net.lon[last]))
    return trace.samples, start, end, trace.length_m


@pytest.mark.parametrize("north_m", [5000.0, 0.0])
def test_a_gps_jump_adds_nothing(bike, north_m):
    """A fix 5 km away (no road near it), or one on the city's farthest road (a break the
    matcher cannot bridge in time), and a jump of two fixes: the distance stays as without."""
    samples, start, end, true_m = _one_way_there(bike)
    clean = distance_ridden(bike, start, end, samples).distance_m
    net = bike.network
    far_node = int(np.argmax(np.hypot(net.lat - start.lat, net.lon - start.lon)))
    far = (float(net.lat[far_node]), float(net.lon[far_node]))
    if north_m:
        far = (samples[0][0] + north_m / M_PER_DEG_LAT, samples[0][1])
    i = len(samples) // 2
    t = samples[i][2]
    for jump in ([(*far, t - 0.5)], [(*far, t - 0.6), (*far, t - 0.3)]):
        jumped = distance_ridden(bike, start, end, [*samples[:i], *jump, *samples[i:]])
        assert jumped.method is DistanceMethod.MATCHED
        assert jumped.matched == len(samples)
        assert abs(jumped.distance_m - clean) <= 0.01 * clean, (jumped, clean)
        assert abs(jumped.distance_m - true_m) <= 0.05 * true_m


def test_too_few_samples_count_the_road_from_start_to_end(bike):
    samples, start, end, _true_m = _one_way_there(bike)
    road_m = int(bike.matrix([start], [end]).distance_m[0, 0])
    for few in ([], samples[:2], [(start.lat + 0.2, start.lon, float(t)) for t in range(9)]):
        measured = distance_ridden(bike, start, end, few)
        assert measured == Ridden(road_m, DistanceMethod.START_TO_END, len(few), 0)


def test_a_matched_point_lies_where_it_was_placed(bike):
    samples, _start, _end, _true_m = _one_way_there(bike)
    found = match(bike, samples)
    for (lat, lon, _t), point in zip(samples, found.samples, strict=True):
        assert point is not None
        here = Position(*point_of(bike, point))
        assert abs(here.distance_m(Position(lat, lon)) - point.error_m) < 1.0


def test_a_ridden_distance_is_not_negative():
    with pytest.raises(InvalidValue):
        Ridden(-1, DistanceMethod.MATCHED)
    with pytest.raises(InvalidValue):
        Ridden(10, DistanceMethod.MATCHED, samples=2, matched=3)
