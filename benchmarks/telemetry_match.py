"""Map matching, measured: the hidden-Markov matcher and the nearest-edge snap on the same
synthetic rides, speed and accuracy (part of ``benchmarks.telemetry``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import timed
from fleet.city import OsmSource
from routing.load import load_network
from routing.matching import Match, match, nearest_edge_snap
from routing.modes import Mode
from routing.network import RoadNetwork
from routing.traces import Trace, ride

SEOUL_FILE = "seoul_mapo_gongdeok.osm.bz2"
MATCHERS: dict[str, Callable[[RoadNetwork, Sequence[tuple[float, float, float]]], Match]] = {
    "hmm": match,
    "nearest-edge snap": nearest_edge_snap,
}


def rides(net: RoadNetwork, n: int, seed: int) -> list[Trace]:
    """``n`` synthetic rides on ``net`` (1 Hz, σ 8 m, two gaps), reproducible by ``seed``."""
    rng = np.random.default_rng(seed)
    return [ride(net, rng) for _ in range(n)]


def score(net: RoadNetwork, result: Match, trace: Trace) -> tuple[float, float, float]:
    """Share of the true path's length on the matched paths, share of samples on the right edge
    (or its other direction), and the matched length's error against the true one, %."""
    found = {e for p in result.paths for e in p.edges}
    truth = np.asarray(trace.edge_lengths_m)
    recovered = float(truth[[e in found for e in trace.edges]].sum() / truth.sum())
    right = sum(
        point is not None and point.edge in (e, int(net.twin[e]))
        for point, e in zip(result.samples, trace.truth.tolist(), strict=True)
    )
    error_pct = 100 * abs(result.length_m - trace.length_m) / trace.length_m
    return recovered, right / len(trace.samples), error_pct


def matching_rows(label: str, net: RoadNetwork, n_rides: int) -> list[dict[str, Any]]:
    """One row per matcher on ``n_rides`` rides of ``net``: speed and accuracy."""
    traces = rides(net, n_rides, seed=17)
    n_samples = sum(len(t.samples) for t in traces)
    rows: list[dict[str, Any]] = []
    for name, matcher in MATCHERS.items():
        matcher(net, traces[0].samples)  # warm-up: the edge index, numpy's first calls

        def all_rides(matcher: Any = matcher) -> list[Match]:
            return [matcher(net, t.samples) for t in traces]

        seconds, results = timed(all_rides, repeat=3)
        scores = np.array([score(net, r, t) for r, t in zip(results, traces, strict=True)])
        rows.append(
            {
                "graph": label,
                "edges": net.n_edges,
                "matcher": name,
                "rides": n_rides,
                "samples": n_samples,
                "seconds": round(seconds, 3),
                "samples_per_s": round(n_samples / seconds),
                "recovered_mean": round(float(scores[:, 0].mean()), 3),
                "recovered_min": round(float(scores[:, 0].min()), 3),
                "right_edge": round(float(scores[:, 1].mean()), 3),
                "length_error_median_pct": round(float(np.median(scores[:, 2])), 1),
                "length_error_worst_pct": round(float(scores[:, 2].max()), 1),
                "paths_per_ride": round(float(np.mean([len(r.paths) for r in results])), 1),
            }
        )
    snap = rows[-1]["samples_per_s"]
    for row in rows:
        row["speed_vs_snap"] = round(row["samples_per_s"] / snap, 2)
    return rows


def seoul_rows(data_dir: Path, cache_dir: Path, n_rides: int) -> list[dict[str, Any]]:
    """:func:`matching_rows` on Gongdeok, or one row saying why it was skipped."""
    path = data_dir / "osm" / SEOUL_FILE
    label = "seoul gongdeok (bike)"
    if not path.exists():
        return [{"graph": label, "skipped": f"{path} not found (set FLEETOPS_DATA_DIR)"}]
    return matching_rows(label, load_network(OsmSource(file=path), Mode.BIKE, cache_dir), n_rides)
