"""The road-surface index (``routing.surface``) on synthetic rides over the synthetic city's bike
graph: 1 Hz, GPS noise σ 8 m, silences; a few roads broken (more vibration). Issue 17,
acceptance 1."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fleet.city import OsmSource, SyntheticSpec
from fleet.exceptions import InvalidValue
from routing import traces
from routing.matching import match
from routing.modes import Mode
from routing.surface import (
    Confidence,
    SurfaceParams,
    readings,
    road_of,
    surface_index,
)

#: Broken roads vibrate this many times more than sound ones.
BAD_FACTOR = 2.5


@pytest.fixture(scope="module")
def bike(networks):
    return networks(OsmSource(synthetic=SyntheticSpec()), Mode.BIKE)


def city_rides(net, *, seed: int, n_rides: int, bad_share: float):
    """Matched readings of ``n_rides`` rides, and the broken roads."""
    rng = np.random.default_rng(seed)
    roads = sorted({road_of(e, net.twin) for e in range(net.n_edges)})
    bad = set(rng.choice(roads, int(len(roads) * bad_share), replace=False).tolist())

    def roughness(edge: int) -> float:
        return BAD_FACTOR if road_of(edge, net.twin) in bad else 1.0

    found = []
    for _ in range(n_rides):
        trace = traces.ride(net, rng, sigma_m=8.0, roughness=roughness)
        matched = match(net, trace.samples)
        speed = [16.0] * len(trace.samples)
        found += readings(matched, trace.vibration_ms2.tolist(), speed)
    return found, bad


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_broken_roads_land_in_the_worst_decile(bike, seed):
    found, bad = city_rides(bike, seed=seed, n_rides=90, bad_share=0.08)
    index = surface_index(found, bike.twin)
    ranked = {r.road: r for r in index.roads if r.percentile is not None}
    bad_ranked = [r for r in bad if r in ranked]
    assert len(bad_ranked) >= 10, "the rides cover enough broken roads to judge"
    share = sum(ranked[r].worst for r in bad_ranked) / len(bad_ranked)
    assert share >= 0.8, f"only {share:.0%} of the broken roads are in the worst decile"
    worst = [r for r in ranked.values() if r.worst]
    assert len(worst) == math.ceil(len(ranked) * 0.1)
    # sound roads are not penalised; most broken ones are, and both directions alike
    penalties = index.penalties()
    sound_penalised = [r for r in ranked if r not in bad and r in penalties]
    assert len(sound_penalised) <= 0.02 * len(ranked), sound_penalised
    assert sum(r in penalties for r in bad_ranked) >= 0.8 * len(bad_ranked)
    assert all(penalties.get(r.twin) == penalties.get(r.road) for r in worst if r.twin >= 0)


def test_roads_with_few_samples_are_low_confidence_not_ranked(bike):
    found, _ = city_rides(bike, seed=21, n_rides=40, bad_share=0.08)
    index = surface_index(found, bike.twin)
    few = [r for r in index.roads if r.samples <= 2]
    assert few, "some roads get two samples or fewer (edges glimpsed at a corner)"
    for r in few:
        assert r.confidence is Confidence.LOW
        assert r.percentile is None and not r.worst and r.penalty == 1.0
    assert all(r.confidence is not Confidence.LOW for r in index.roads if r.samples >= 3)


def test_the_interval_narrows_with_more_samples():
    twin = np.array([-1, -1])
    rng = np.random.default_rng(3)
    few = [(0, float(v), 15.0) for v in rng.normal(1.0, 0.3, 5)]
    many = [(1, float(v), 15.0) for v in rng.normal(1.0, 0.3, 500)]
    index = surface_index(few + many, twin).by_road()
    width = {road: index[road].high_ms2 - index[road].low_ms2 for road in (0, 1)}
    assert width[1] < width[0] / 5
    assert index[1].confidence is Confidence.HIGH
    assert index[0].low_ms2 <= index[0].roughness_ms2 <= index[0].high_ms2


def test_a_few_wild_readings_do_not_move_the_median():
    twin = np.array([1, 0])
    calm = [(0, 1.0 + 0.01 * i, 15.0) for i in range(20)]
    wild = [(1, 40.0, 15.0), (1, 55.0, 15.0)]  # a kerb jumped, the other direction
    road = surface_index(calm + wild, twin).roads[0]
    assert road.road == 0 and road.twin == 1 and road.samples == 22
    assert road.roughness_ms2 < 1.2


def test_slow_samples_say_nothing_of_the_surface():
    twin = np.array([-1])
    index = surface_index([(0, 9.0, 1.0), (0, 9.0, 2.0), (0, 9.0, 3.5)], twin)
    assert index.roads == () and index.median_ms2 is None


def test_penalties_grow_with_roughness_and_are_capped():
    twin = np.full(12, -1)
    values = [1.0] * 9 + [2.5, 5.0, 100.0]
    data = [(e, v, 15.0) for e, v in enumerate(values) for _ in range(5)]
    index = surface_index(data, twin, SurfaceParams(max_penalty=3.0)).by_road()
    assert [index[e].penalty for e in range(9)] == [1.0] * 9
    assert index[9].penalty == pytest.approx(index[9].low_ms2 / 1.25)
    assert 1.5 < index[9].penalty <= 2.0
    assert index[10].penalty == 3.0 and index[11].penalty == 3.0


def test_readings_of_another_network_are_refused():
    with pytest.raises(InvalidValue, match="re-match"):
        surface_index([(5, 1.0, 15.0)], np.array([-1, -1]))
    with pytest.raises(InvalidValue, match="finite"):
        surface_index([(0, float("nan"), 15.0)], np.array([-1]))
    with pytest.raises(InvalidValue):
        SurfaceParams(worst_share=1.5)


def _shaken(road: int, surface: float, speed_kph: float, n: int, rng) -> list:
    """``n`` readings of a road ridden at ``speed_kph``: a frame shakes in proportion to its
    speed here (any growth with speed would do), times the surface, with a 10 % spread."""
    level = surface * speed_kph / 16.0
    return [(road, float(v), speed_kph) for v in rng.normal(level, 0.1 * level, n)]


def test_a_road_is_judged_at_the_citys_typical_speed_not_at_its_riders():
    """Riders slow down on broken roads and speed on smooth ones: raw vibration would call a
    broken road ridden slowly as smooth as a sound one ridden fast. Brought to the typical
    speed of its band, each road shows its surface."""
    rng = np.random.default_rng(5)
    data = []
    for road in range(40):  # sound roads at a usual 16 km/h ...
        data += _shaken(road, 1.0, 16.0, 5, rng)
    for road in range(40, 60):  # ... and sound roads ridden slowly (a climb, a crowd)
        data += _shaken(road, 1.0, 8.0, 5, rng)
    data += _shaken(60, 2.5, 8.0, 12, rng)  # broken, ridden slowly
    data += _shaken(61, 1.0, 22.0, 12, rng)  # sound, ridden fast (its band has too few)
    twin = np.full(62, -1)
    index = surface_index(data, twin).by_road()
    assert index[60].worst and index[60].penalty > 1.5
    assert index[60].roughness_ms2 == pytest.approx(2.5, rel=0.1)
    sound_slow = [index[r].roughness_ms2 for r in range(40, 60)]
    # within 10 %: the broken road's samples are an eighth of their band and lift its median
    assert np.median(sound_slow) == pytest.approx(1.0, rel=0.1)
    assert all(index[r].penalty == 1.0 for r in range(62) if r != 60)
    # the 22 km/h band holds 12 samples, fewer than min_band_samples: left as measured
    assert index[61].roughness_ms2 == pytest.approx(22.0 / 16.0, rel=0.1)
    raw = surface_index(data, twin, SurfaceParams(min_band_samples=10**9)).by_road()
    # what the raw values said: the broken road costs nothing, the slow sound roads look
    # twice as smooth as the rest
    assert raw[60].penalty == 1.0 and raw[60].roughness_ms2 < 1.3
    assert np.median([raw[r].roughness_ms2 for r in range(40, 60)]) < 0.55


def test_one_speed_band_leaves_the_values_as_measured():
    data = [(0, 1.0, 15.0), (0, 2.0, 15.5), (0, 3.0, 14.1)] * 20
    index = surface_index(data, np.array([-1]))
    assert index.roads[0].roughness_ms2 == 2.0
    with pytest.raises(InvalidValue, match="speed_band_kph"):
        SurfaceParams(speed_band_kph=0)
