"""A generated city: a seeded, realistic street network written as an OSM XML file.

The network is an arterial grid (faster roads every few blocks, two-way, with maxspeed) filled with
local streets, some one-way in alternating directions, with jittered intersections and a few
missing local links. It is strongly connected by construction and checked to be. Written as OSM, it
goes through the same pipeline as real extracts. Optionally a motorway and a ``motorroad=yes``
expressway cross it, for the mode-filter tests.
"""

from __future__ import annotations

import math
import os
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

import networkx as nx

from fleet.city import SyntheticSpec

_M_PER_DEG_LAT = 111_320.0


@dataclass(frozen=True, slots=True)
class _Way:
    nodes: tuple[int, ...]
    tags: tuple[tuple[str, str], ...]


def _street_tags(arterial: bool, name: str, oneway: bool) -> tuple[tuple[str, str], ...]:
    if arterial:
        return (("highway", "secondary"), ("maxspeed", "50"), ("name", name), ("lanes", "4"))
    tags = [("highway", "residential"), ("maxspeed", "30"), ("name", name)]
    if oneway:
        tags.append(("oneway", "yes"))
    return tuple(tags)


def generate(spec: SyntheticSpec) -> tuple[dict[int, tuple[float, float]], list[_Way]]:
    """Nodes (id → lat, lon) and ways of the network described by ``spec``. Deterministic."""
    rng = random.Random(spec.seed)
    nx_, ny_ = spec.blocks_x + 1, spec.blocks_y + 1
    lat0, lon0 = spec.origin.lat, spec.origin.lon
    m_per_deg_lon = _M_PER_DEG_LAT * math.cos(math.radians(lat0))

    def node_id(i: int, j: int) -> int:
        return 1 + j * nx_ + i

    coords: dict[int, tuple[float, float]] = {}
    for j in range(ny_):
        for i in range(nx_):
            jitter = spec.jitter_m
            dx = i * spec.block_m + rng.uniform(-jitter, jitter)
            dy = j * spec.block_m + rng.uniform(-jitter, jitter)
            coords[node_id(i, j)] = (lat0 + dy / _M_PER_DEG_LAT, lon0 + dx / m_per_deg_lon)

    ways: list[_Way] = []
    # Streets run along rows (east-west) and columns (north-south). Each street is cut into
    # one way per block so missing links and one-way runs can vary along it.
    for horizontal in (True, False):
        lines, length = (ny_, nx_) if horizontal else (nx_, ny_)
        for line in range(lines):
            arterial = line % spec.arterial_every == 0 or line == lines - 1
            kind = "Avenue" if arterial else "Street"
            name = f"{'East-West' if horizontal else 'North-South'} {kind} {line + 1}"
            oneway = not arterial and rng.uniform(0, 100) < spec.oneway_pct
            reverse = line % 2 == 1  # alternate directions of one-way streets
            for step in range(length - 1):
                if not arterial and rng.uniform(0, 100) < spec.missing_link_pct:
                    continue
                if horizontal:
                    a, b = node_id(step, line), node_id(step + 1, line)
                else:
                    a, b = node_id(line, step), node_id(line, step + 1)
                pair = (b, a) if (oneway and reverse) else (a, b)
                ways.append(_Way(pair, _street_tags(arterial, name, oneway)))

    ways = _repair_connectivity(coords, ways)
    if spec.motorways:
        ways.extend(_expressways(coords, nx_, ny_, node_id))
    return coords, ways


def _repair_connectivity(coords: dict[int, tuple[float, float]], ways: list[_Way]) -> list[_Way]:
    """Make the local streets strongly connected by turning one-ways two-way where needed."""

    def digraph(ws: list[_Way]) -> nx.DiGraph:
        g = nx.DiGraph()
        g.add_nodes_from(coords)
        for w in ws:
            a, b = w.nodes
            g.add_edge(a, b)
            if ("oneway", "yes") not in w.tags:
                g.add_edge(b, a)
        return g

    fixed = list(ways)
    while True:
        g = digraph(fixed)
        components = list(nx.strongly_connected_components(g))
        if len(components) == 1:
            return fixed
        largest = max(components, key=len)
        changed = False
        for idx, w in enumerate(fixed):
            a, b = w.nodes
            if ("oneway", "yes") in w.tags and ((a in largest) != (b in largest)):
                fixed[idx] = _Way(w.nodes, tuple(t for t in w.tags if t != ("oneway", "yes")))
                changed = True
        if not changed:
            # isolated intersections (all four links missing): join them to a neighbour
            for comp in components:
                if comp is largest:
                    continue
                n = next(iter(comp))
                lat, lon = coords[n]
                nearest = min(
                    largest, key=lambda m: (coords[m][0] - lat) ** 2 + (coords[m][1] - lon) ** 2
                )
                fixed.append(_Way((n, nearest), (("highway", "residential"), ("name", "Link"))))


def _expressways(
    coords: dict[int, tuple[float, float]],
    nx_: int,
    ny_: int,
    node_id: Callable[[int, int], int],
) -> list[_Way]:
    """A motorway along the middle row and a motorroad along the middle column (elevated: new
    nodes, joined to the grid only at their ends by ramps)."""
    ways: list[_Way] = []
    next_id = max(coords) + 1
    for kind, horizontal in (("motorway", True), ("motorroad", False)):
        line = (ny_ if horizontal else nx_) // 2
        length = nx_ if horizontal else ny_
        ids: list[int] = []
        for step in range(length):
            base = node_id(step, line) if horizontal else node_id(line, step)
            lat, lon = coords[base]
            coords[next_id] = (lat + 0.00012, lon + 0.00012)
            ids.append(next_id)
            next_id += 1
        tags: tuple[tuple[str, str], ...]
        if kind == "motorway":
            tags = (("highway", "motorway"), ("maxspeed", "100"), ("name", "Ring Expressway"))
        else:
            tags = (
                ("highway", "primary"),
                ("motorroad", "yes"),
                ("maxspeed", "80"),
                ("name", "Car-only Road"),
            )
        ways.append(_Way(tuple(ids), (*tags, ("oneway", "yes"))))
        ways.append(_Way(tuple(reversed(ids)), (*tags, ("oneway", "yes"))))
        ramp: tuple[tuple[str, str], ...] = (
            ("highway", "motorway_link" if kind == "motorway" else "primary_link"),
            ("oneway", "no"),
        )
        if kind != "motorway":
            ramp = (*ramp, ("motorroad", "yes"))
        for end, base in ((ids[0], 0), (ids[-1], length - 1)):
            grid = node_id(base, line) if horizontal else node_id(line, base)
            ways.append(_Way((grid, end), ramp))
    return ways


def write_osm(spec: SyntheticSpec, path: Path) -> Path:
    """Write the network of ``spec`` as an OSM XML file at ``path`` (atomically)."""
    coords, ways = generate(spec)
    lats = [c[0] for c in coords.values()]
    lons = [c[1] for c in coords.values()]
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<osm version="0.6" generator="fleetops synthetic city">',
        f'  <bounds minlat="{min(lats):.7f}" minlon="{min(lons):.7f}" '
        f'maxlat="{max(lats):.7f}" maxlon="{max(lons):.7f}"/>',
    ]
    lines += [
        f'  <node id="{n}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>'
        for n, (lat, lon) in sorted(coords.items())
    ]
    for way_id, way in enumerate(ways, start=1):
        lines.append(f'  <way id="{way_id}" version="1">')
        lines += [f'    <nd ref="{n}"/>' for n in way.nodes]
        lines += [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in way.tags]
        lines.append("  </way>")
    lines.append("</osm>")
    path.parent.mkdir(parents=True, exist_ok=True)
    # a name of this process and thread: test workers or web threads writing the same city at
    # once each rename a whole file into place, never one another's half-written one
    tmp = path.with_suffix(f"{path.suffix}.{os.getpid()}-{threading.get_ident()}.tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
