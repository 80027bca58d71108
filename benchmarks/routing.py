"""Routing benchmarks: N×N travel-time matrices against networkx, and graph build/reload times.

Writes docs/benchmarks/routing.md and routing.json. Baseline: networkx's per-source Dijkstra in
the same process, on the same graph and weights (for large N timed on a sample of sources and
scaled to N).
"""

from __future__ import annotations

import dataclasses
import pickle
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from shapely.geometry import box
from tqdm import tqdm

from benchmarks.common import machine, settings_for_bench, table, timed, write
from fleet.city import OsmSource, SyntheticSpec
from fleet.geo import Area, Position
from fleet.zones import Zone, ZoneKind
from routing.engine import Router, compute_order
from routing.load import load_network
from routing.modes import Mode
from routing.network import RoadNetwork

SIZES = (100, 500, 1000, 2000)
BASELINE_SOURCES = 20
#: 157 × 157 blocks give about 25,000 nodes once the generator's missing links are simplified.
SYNTHETIC_25K = SyntheticSpec(blocks_x=157, blocks_y=157, seed=11)
T0 = datetime(2026, 7, 14, 8, 0, tzinfo=UTC)


def road_points(net: RoadNetwork, n: int, rng: np.random.Generator) -> list[Position]:
    """``n`` points on the roads: random edges (by length), random places along them."""
    weights = net.length_m / net.length_m.sum()
    edges = rng.choice(net.n_edges, size=n, p=weights)
    out = []
    for e, f in zip(edges, rng.random(n), strict=True):
        p = net.edge_line(int(e)).interpolate(float(f), normalized=True)
        out.append(Position(p.y, p.x))
    return out


def central_closure(net: RoadNetwork) -> Zone:
    """A flood closure of about 300 m × 300 m in the middle of the network."""
    lat, lon = float(np.median(net.lat)), float(np.median(net.lon))
    d = 0.0014
    return Zone(
        "bench-flood",
        "bench",
        ZoneKind.HAZARD_CLOSURE,
        "Benchmark flood",
        Area(box(lon - d, lat - d, lon + d, lat + d)),
        active_from=T0,
        active_until=T0 + timedelta(hours=6),
    )


def outside(
    closure: Zone, pts: list[Position], net: RoadNetwork, rng: np.random.Generator
) -> list[Position]:
    """``pts`` with those near the closure (inside it, or on a road it closes with no open road
    near) replaced by other road points at least ~400 m away from it."""
    from shapely.geometry import Point

    wide = closure.area.geometry.buffer(0.004)

    def dry(p: Position) -> bool:
        return not wide.covers(Point(p.lon, p.lat))

    keep = [p for p in pts if dry(p)]
    while len(keep) < len(pts):
        keep += [p for p in road_points(net, len(pts) - len(keep), rng) if dry(p)]
    return keep


def networkx_baseline(net: RoadNetwork, sources: list[int], n: int) -> float:
    """Seconds networkx needs for ``n`` sources, timed on ``sources`` and scaled."""
    g = nx.DiGraph()
    for e in range(net.n_edges):
        u, v, w = int(net.tail[e]), int(net.head[e]), int(net.duration_s[e])
        if not g.has_edge(u, v) or g[u][v]["weight"] > w:
            g.add_edge(u, v, weight=w)
    start = time.perf_counter()
    for s in sources:
        nx.single_source_dijkstra_path_length(g, s, weight="weight")
    return (time.perf_counter() - start) * n / len(sources)


def preprocessing_seconds(net: RoadNetwork) -> float:
    """One-off cost of the indexes: the contraction hierarchy of the base costs, and the CCH node
    order and topology the routes use."""
    fresh = dataclasses.replace(net, order=[], _hierarchies={})
    start = time.perf_counter()
    fresh.hierarchy()
    fresh.order = compute_order(fresh)
    Router(fresh)
    return time.perf_counter() - start


def matrix_rows(label: str, net: RoadNetwork) -> list[dict[str, Any]]:
    rng = np.random.default_rng(2026)
    router = Router(net)
    prep = preprocessing_seconds(net)
    closure = central_closure(net)
    rows = []
    at = T0 + timedelta(hours=1)
    closed = router.closed_edges([closure], at)
    closure_prep, _ = timed(lambda: router.hierarchy(closed))  # once per closure switched on
    for n in tqdm(SIZES, desc=f"matrices on {label}", unit="size", file=sys.stderr):
        pts = road_points(net, n, rng)
        seconds, _ = timed(lambda pts=pts: router.matrix(pts, pts), repeat=3)
        dry = outside(closure, pts, net, rng)
        with_closure, _ = timed(
            lambda dry=dry: router.matrix(dry, dry, closures=[closure], at=at), repeat=3
        )
        sources = [int(s) for s in rng.choice(net.n_nodes, size=min(n, BASELINE_SOURCES))]
        baseline = networkx_baseline(net, sources, n)
        rows.append(
            {
                "graph": label,
                "nodes": net.n_nodes,
                "edges": net.n_edges,
                "n": n,
                "seconds": round(seconds, 4),
                "baseline_seconds": round(baseline, 3),
                "speedup": round(baseline / seconds, 1),
                "seconds_with_closure": round(with_closure, 4),
                "closure_preprocessing_seconds": round(closure_prep, 3),
                "preprocessing_seconds": round(prep, 3),
            }
        )
    return rows


def build_rows(data_dir: Path) -> list[dict[str, Any]]:
    """Graph build from OSM (car) and cache reload, per shared city and the synthetic 25k."""
    sources = [(p.name, OsmSource(file=p)) for p in sorted((data_dir / "osm").glob("*.osm*"))]
    sources.append(("synthetic-25k", OsmSource(synthetic=SYNTHETIC_25K)))
    rows = []
    for label, source in tqdm(sources, desc="graph builds", unit="city", file=sys.stderr):
        with tempfile.TemporaryDirectory() as tmp:
            cache = Path(tmp)
            build, net = timed(
                lambda source=source, cache=cache: load_network(source, Mode.CAR, cache)
            )
            reload, _ = timed(
                lambda source=source, cache=cache: pickle.loads(
                    next((cache / "networks").glob("*.pickle")).read_bytes()
                ),
                repeat=3,
            )
        rows.append(
            {
                "graph": label,
                "nodes": net.n_nodes,
                "edges": net.n_edges,
                "build_seconds": round(build, 2),
                "reload_seconds": round(reload, 3),
            }
        )
    return rows


def warm_up() -> None:
    """Compile the numba kernels first, so no timing below includes compilation."""
    from routing.ch import ContractionHierarchy, Entries

    ring = np.array([0, 1, 2], dtype=np.int64)
    ch = ContractionHierarchy.build(3, ring, np.roll(ring, -1), np.ones(3, dtype=np.int64))
    ch.many_to_many(Entries.of([[(0, 0)]]), Entries.of([[(2, 0)]]))


def main() -> None:
    settings = settings_for_bench()
    data_dir, cache = settings.data_dir, settings.cache_dir
    if not (data_dir / "osm" / "andorra.osm.bz2").exists():
        sys.exit(f"routing benchmark needs {data_dir / 'osm'} (FLEETOPS_DATA_DIR)")
    warm_up()
    andorra = load_network(OsmSource(file=data_dir / "osm" / "andorra.osm.bz2"), Mode.CAR, cache)
    synthetic = load_network(OsmSource(synthetic=SYNTHETIC_25K), Mode.CAR, cache)
    rows = matrix_rows("andorra (car)", andorra) + matrix_rows("synthetic-25k (car)", synthetic)
    builds = build_rows(data_dir)
    md = [
        "# Routing benchmarks",
        "",
        f"Measured by `make bench` on {machine()}.",
        "",
        "## N×N travel-time matrices",
        "",
        "Points sampled on the roads (repeats allowed). `seconds`: the travel-time matrix "
        "and the lengths of those fastest routes (snapping included; best of 3); "
        "`seconds_with_closure`: the same with a 300 m flood closure active (points kept out of "
        "it); `closure preprocessing s`: the one-off hierarchy built when that closure switches "
        "on; `baseline_seconds`: networkx per-source Dijkstra on the "
        f"same graph and weights, timed on {BASELINE_SOURCES} sources and scaled to N; "
        "`preprocessing_seconds`: the one-off contraction hierarchy and CCH order of the network.",
        "",
        table(
            rows,
            [
                ("graph", "graph"),
                ("nodes", "nodes"),
                ("n", "N"),
                ("seconds", "seconds"),
                ("baseline_seconds", "baseline s"),
                ("speedup", "speed-up"),
                ("seconds_with_closure", "with closure s"),
                ("closure_preprocessing_seconds", "closure preprocessing s"),
                ("preprocessing_seconds", "preprocessing s"),
            ],
        ),
        "",
        "## Graph build and cache reload (car)",
        "",
        table(
            builds,
            [
                ("graph", "source"),
                ("nodes", "nodes"),
                ("edges", "edges"),
                ("build_seconds", "build from OSM s"),
                ("reload_seconds", "reload from cache s"),
            ],
        ),
    ]
    path = write("routing", rows + [{"kind": "build", **b} for b in builds], "\n".join(md))
    print(f"wrote {path}")
