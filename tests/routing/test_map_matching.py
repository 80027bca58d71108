"""Map matching on the synthetic city's bike graph: rides generated along true shortest paths,
sampled at 1 Hz with GPS noise and gaps, matched back (``routing.matching``)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fleet.city import OsmSource, SyntheticSpec
from fleet.exceptions import InvalidValue
from routing import traces
from routing.exceptions import SamplesOutOfOrder
from routing.matching import Match, MatchParams, match, nearest_edge_snap
from routing.modes import Mode

_M_PER_DEG_LAT = 111_320.0
SEEDS = [1, 2, 3, 4, 5, 6]


@pytest.fixture(scope="module")
def bike(networks):
    """The default synthetic city's bike network (14 × 14 blocks of 110 m)."""
    return networks(OsmSource(synthetic=SyntheticSpec()), Mode.BIKE)


def ride(net, seed, **kwargs):
    """A synthetic ride (``routing.traces.ride``): samples, true edge per sample, true path."""
    trace = traces.ride(net, np.random.default_rng(seed), **kwargs)
    return trace.samples, trace.truth, trace.edges


def recovered(net, result: Match, edges) -> float:
    """Share of the true path's length whose edges are on the matched paths."""
    found = {e for p in result.paths for e in p.edges}
    true_length = net.length_m[edges].sum()
    return float(net.length_m[[e for e in edges if e in found]].sum() / true_length)


def sample_accuracy(net, result: Match, truth) -> float:
    """Share of samples on the right way (either direction of a two-way street counts)."""
    good = 0
    for point, e in zip(result.samples, truth.tolist(), strict=True):
        if point is not None and point.edge in (e, int(net.twin[e])):
            good += 1
    return good / len(truth)


@pytest.mark.parametrize("seed", SEEDS)
def test_hmm_recovers_the_true_path(bike, seed):
    samples, _truth, edges = ride(bike, seed)
    result = match(bike, samples)
    true_length = float(bike.length_m[edges].sum())
    assert result.n_matched == len(samples)
    assert result.breaks == ()
    assert recovered(bike, result, edges) >= 0.90
    assert abs(result.length_m - true_length) <= 0.05 * true_length


@pytest.mark.parametrize("seed", SEEDS)
def test_hmm_beats_the_nearest_edge_snap(bike, seed):
    samples, truth, edges = ride(bike, seed)
    hmm, naive = match(bike, samples), nearest_edge_snap(bike, samples)
    assert sample_accuracy(bike, hmm, truth) > sample_accuracy(bike, naive, truth)
    true_length = float(bike.length_m[edges].sum())
    assert abs(hmm.length_m - true_length) <= abs(naive.length_m - true_length)


def test_matched_paths_are_connected_edges_of_the_graph(bike):
    samples, _truth, _edges = ride(bike, 11)
    for path in match(bike, samples).paths:
        assert len(path.nodes) == len(path.edges) + 1
        for (u, v, k), a, b in zip(path.keys, path.nodes[:-1], path.nodes[1:], strict=True):
            assert (u, v) == (a, b)
            assert bike.graph.has_edge(u, v, k)


def test_no_samples_match_to_nothing(bike):
    result = match(bike, [])
    assert result.samples == ()
    assert result.paths == ()
    assert result.length_m == 0.0


def test_a_single_sample_sits_on_its_nearest_edge(bike):
    samples, truth, _edges = ride(bike, 3, sigma_m=0.0)
    result = match(bike, samples[5:6])
    (point,) = result.samples
    assert point is not None
    assert point.edge in (int(truth[5]), int(bike.twin[truth[5]]))
    assert point.error_m < 1.0
    (path,) = result.paths
    assert (path.first, path.last, path.edges, path.length_m) == (0, 0, (point.edge,), 0.0)


def test_samples_far_from_any_road_stay_unmatched(bike):
    samples, _truth, _edges = ride(bike, 4)
    lat, lon, _t = samples[0]
    far = [(lat - 0.05, lon - 0.05, float(t)) for t in range(5)]
    assert match(bike, far).samples == (None,) * 5
    assert match(bike, far).paths == ()
    # an outlier inside a ride: left unmatched, the chain goes on past it
    outlier = list(samples)
    outlier[40] = (lat - 0.05, lon - 0.05, samples[40][2])
    result = match(bike, outlier)
    assert result.samples[40] is None
    assert result.n_matched == len(samples) - 1
    assert result.breaks == ()


def test_a_long_silence_breaks_the_chain(bike):
    samples, _truth, _edges = ride(bike, 5, gaps=0)
    late = samples[:50] + [(lat, lon, t + 600.0) for lat, lon, t in samples[50:]]
    result = match(bike, late, MatchParams(max_gap_s=120.0))
    assert result.breaks == (50,)
    assert [p.first for p in result.paths] == [0, 50]
    assert result.n_matched == len(samples)


def test_out_of_order_timestamps_are_refused(bike):
    samples, _truth, _edges = ride(bike, 6)
    swapped = [samples[0], samples[2], samples[1], *samples[3:]]
    with pytest.raises(SamplesOutOfOrder, match="sample 2 is at"):
        match(bike, swapped)
    with pytest.raises(SamplesOutOfOrder):
        nearest_edge_snap(bike, swapped)


def test_bad_samples_and_params_are_refused(bike):
    with pytest.raises(InvalidValue, match="finite"):
        match(bike, [(37.5, math.nan, 0.0)])
    with pytest.raises(InvalidValue, match="WGS84"):
        match(bike, [(137.5, 126.9, 0.0)])
    with pytest.raises(InvalidValue, match="sigma_m"):
        MatchParams(sigma_m=0.0)
    with pytest.raises(InvalidValue, match="max_candidates"):
        MatchParams(max_candidates=0)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_hmm_on_a_real_dense_district(seed, data_dir, networks):
    """Seoul's Gongdeok: short edges and two-way streets, where noise zig-zags a naive match."""
    net = networks(OsmSource(file=data_dir / "osm" / "seoul_mapo_gongdeok.osm.bz2"), Mode.BIKE)
    samples, truth, edges = ride(net, seed, min_m=1200)
    hmm, naive = match(net, samples), nearest_edge_snap(net, samples)
    true_length = float(net.length_m[edges].sum())
    assert recovered(net, hmm, edges) >= 0.90
    assert abs(hmm.length_m - true_length) <= 0.05 * true_length
    assert sample_accuracy(net, hmm, truth) > sample_accuracy(net, naive, truth)
