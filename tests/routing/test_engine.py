"""Travel times on real roads: matrices against networkx, speeds, one-ways, closures, routes."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, box

from fleet.city import OsmSource
from fleet.exceptions import OutsideServiceArea
from fleet.geo import Area, Position
from fleet.zones import Zone, ZoneKind
from routing.engine import UNREACHABLE, Router
from routing.exceptions import InsideClosure
from routing.modes import Mode
from routing.speeds import MODE_CAP_KPH, WALK_SPEED_KPH, edge_speed_kph, travel_time_s
from tests.routing.conftest import EXPRESSWAY_TOWN, SHARED_FILES

T0 = datetime(2026, 7, 14, 8, 0, tzinfo=UTC)
ALL_MODES = list(Mode)


def at_node(net, i: int) -> Position:
    return Position(float(net.lat[i]), float(net.lon[i]))


def reference_graph(net) -> nx.DiGraph:
    """The network's graph weighted independently of the engine: (seconds from the speed model,
    metres) packed so that networkx finds the fastest route, ties to the shorter."""
    g = nx.DiGraph()
    for u, v, data in net.graph.edges(data=True):
        metres = round(float(data["length"])) or 1
        seconds = travel_time_s(metres, edge_speed_kph(net.mode, data))
        w = (seconds << 24) | metres
        if not g.has_edge(u, v) or g[u][v]["w"] > w:
            g.add_edge(u, v, w=w)
    return g


@pytest.mark.shared_data
@pytest.mark.parametrize("mode", ALL_MODES)
@pytest.mark.parametrize("name", SHARED_FILES)
def test_every_shared_file_builds_for_every_mode(name, mode, data_dir, networks):
    net = networks(OsmSource(file=data_dir / "osm" / name), mode)
    assert net.n_nodes >= 4 and nx.is_strongly_connected(net.graph)
    assert (net.duration_s > 0).all() and (net.length_m > 0).all()


@pytest.mark.shared_data
@pytest.mark.parametrize("mode", ALL_MODES)
@pytest.mark.parametrize("name", SHARED_FILES)
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 2**32 - 1))
def test_matrices_equal_networkx_on_random_pairs(name, mode, seed, data_dir, networks):
    net = networks(OsmSource(file=data_dir / "osm" / name), mode)
    rng = np.random.default_rng(seed)
    origins = rng.choice(net.n_nodes, size=min(6, net.n_nodes))
    targets = rng.choice(net.n_nodes, size=min(8, net.n_nodes))
    matrix = Router(net).matrix(
        [at_node(net, i) for i in origins], [at_node(net, j) for j in targets]
    )
    ref = reference_graph(net)
    for a, i in enumerate(origins):
        packed = nx.single_source_dijkstra_path_length(ref, int(net.node_ids[i]), weight="w")
        expected = [packed[int(net.node_ids[j])] for j in targets]
        assert matrix.duration_s[a].tolist() == [w >> 24 for w in expected]
        assert matrix.distance_m[a].tolist() == [w & (2**24 - 1) for w in expected]


@pytest.mark.shared_data
@pytest.mark.parametrize("name", SHARED_FILES)
def test_speeds_never_exceed_the_class_cap(name, data_dir, networks):
    source = OsmSource(file=data_dir / "osm" / name)
    bike = networks(source, Mode.BIKE)
    assert bike.speed_kph.max() <= MODE_CAP_KPH[Mode.BIKE] == 25
    walk = networks(source, Mode.WALK)
    assert walk.speed_kph.max() <= WALK_SPEED_KPH
    car = networks(source, Mode.CAR)
    assert car.speed_kph.max() <= 130
    assert (car.duration_s >= np.ceil(car.length_m * 3.6 / car.speed_kph - 1e-6)).all()


def test_points_between_intersections_are_exact(networks):
    """A point halfway along an edge costs half that edge to leave and to reach."""
    net = networks(OsmSource(synthetic=EXPRESSWAY_TOWN), Mode.CAR)
    router = Router(net)
    e = int(np.argmax(net.length_m * (net.twin < 0)))  # a long one-way edge
    line = net.edge_line(e)
    mid = line.interpolate(0.5, normalized=True)
    here = Position(mid.y, mid.x)
    head, tail = at_node(net, int(net.head[e])), at_node(net, int(net.tail[e]))
    m = router.matrix([tail, here], [here, head])
    half = net.duration_s[e] / 2
    assert abs(m.duration_s[0, 0] - half) <= 1 and abs(m.duration_s[1, 1] - half) <= 1
    assert m.duration_s[1, 0] == 0


def test_one_way_streets_are_honoured_by_vehicles_not_walkers(networks):
    car = networks(OsmSource(synthetic=EXPRESSWAY_TOWN), Mode.CAR)
    walk = networks(OsmSource(synthetic=EXPRESSWAY_TOWN), Mode.WALK)
    oneway = [
        e
        for e in range(car.n_edges)
        if car.twin[e] < 0 and car.graph.edges[car.edge_keys[e]].get("highway") == "residential"
    ]
    assert oneway, "the synthetic town has one-way local streets"
    e = oneway[0]
    a, b = at_node(car, int(car.tail[e])), at_node(car, int(car.head[e]))
    m = Router(car).matrix([a, b], [a, b])
    assert m.duration_s[0, 1] == car.duration_s[e]
    assert m.duration_s[1, 0] > car.duration_s[e]  # against the one-way: around the block
    w = Router(walk).matrix([a, b], [a, b])
    assert w.duration_s[0, 1] == w.duration_s[1, 0]


def test_expressways_are_for_cars_only(networks):
    def highways(net):
        out = set()
        for _, _, d in net.graph.edges(data=True):
            out.update(d["highway"] if isinstance(d["highway"], list) else [d["highway"]])
        return out

    car = networks(OsmSource(synthetic=EXPRESSWAY_TOWN), Mode.CAR)
    assert "motorway" in highways(car)
    for mode in (Mode.MOPED, Mode.BIKE, Mode.WALK):
        net = networks(OsmSource(synthetic=EXPRESSWAY_TOWN), mode)
        assert not {"motorway", "motorway_link"} & highways(net)
        assert not any(d.get("motorroad") == "yes" for _, _, d in net.graph.edges(data=True))


@pytest.mark.shared_data
def test_mode_filters_on_the_finland_pbf(data_dir, networks):
    source = OsmSource(file=data_dir / "osm" / "pyrosm_test_finland.osm.pbf")
    car_kinds = {str(d["highway"]) for _, _, d in networks(source, Mode.CAR).graph.edges(data=True)}
    assert any(k.startswith("motorway") or "motorway" in k for k in car_kinds)
    for mode in (Mode.MOPED, Mode.BIKE, Mode.WALK):
        kinds = {str(d["highway"]) for _, _, d in networks(source, mode).graph.edges(data=True)}
        assert not any("motorway" in k or "trunk" in k for k in kinds), mode
    assert "cycleway" in {
        str(d["highway"]) for _, _, d in networks(source, Mode.BIKE).graph.edges(data=True)
    }


def _closure(net, frac: float = 0.5, size_deg: float = 0.0015) -> Zone:
    lat = float(np.quantile(net.lat, frac))
    lon = float(np.quantile(net.lon, frac))
    area = Area(box(lon - size_deg, lat - size_deg, lon + size_deg, lat + size_deg))
    return Zone(
        "flood",
        "op",
        ZoneKind.HAZARD_CLOSURE,
        "Flooded underpass",
        area,
        active_from=T0,
        active_until=T0 + timedelta(hours=3),
    )


@pytest.mark.parametrize("mode", [Mode.CAR, Mode.BIKE])
def test_a_closure_changes_exactly_the_routes_that_crossed_it(networks, mode):
    net = networks(OsmSource(synthetic=dataclasses.replace(EXPRESSWAY_TOWN, motorways=False)), mode)
    router = Router(net)
    flood = _closure(net)
    polygon = flood.area.geometry
    rng = np.random.default_rng(7)
    outside = [
        i
        for i in range(net.n_nodes)
        if not polygon.buffer(0.0003).covers(LineString([(net.lon[i], net.lat[i])] * 2))
    ]
    pts = [at_node(net, int(i)) for i in rng.choice(outside, 24, replace=False)]
    before = router.matrix(pts, pts).duration_s
    during = router.matrix(pts, pts, closures=[flood], at=T0 + timedelta(hours=1)).duration_s
    after = router.matrix(pts, pts, closures=[flood], at=T0 + timedelta(hours=4)).duration_s
    assert (after == before).all()  # no longer active: no effect
    crossed = changed = 0
    for i, a in enumerate(pts):
        for j, b in enumerate(pts):
            if i == j:
                continue
            route = router.route(a, b)
            crosses = LineString(route.coordinates).intersects(polygon)
            assert route.duration_s == before[i, j]
            if crosses:
                crossed += 1
                assert during[i, j] >= before[i, j]
                changed += during[i, j] > before[i, j]
                detour = router.route(a, b, closures=[flood], at=T0 + timedelta(hours=1))
                if detour is not None:
                    assert not LineString(detour.coordinates).intersects(polygon)
                    assert detour.duration_s == during[i, j]
            else:
                assert during[i, j] == before[i, j]
    assert crossed > 0 and changed > 0


def test_a_point_inside_an_active_closure_is_refused(networks):
    net = networks(OsmSource(synthetic=EXPRESSWAY_TOWN), Mode.CAR)
    flood = _closure(net)
    inside = Position(flood.area.geometry.centroid.y, flood.area.geometry.centroid.x)
    somewhere = at_node(net, 0)
    router = Router(net)
    with pytest.raises(InsideClosure, match="Flooded underpass"):
        router.matrix([inside], [somewhere], closures=[flood], at=T0)
    with pytest.raises(InsideClosure):
        router.route(somewhere, inside, closures=[flood], at=T0)
    router.matrix([inside], [somewhere], closures=[flood], at=T0 - timedelta(hours=1))


def test_penalties_slow_bikes_on_bad_roads(networks):
    net = networks(OsmSource(synthetic=EXPRESSWAY_TOWN), Mode.BIKE)
    router = Router(net)
    e = int(np.argmax(net.length_m))
    a, b = at_node(net, int(net.tail[e])), at_node(net, int(net.head[e]))
    plain = router.matrix([a], [b]).duration_s[0, 0]
    router.set_penalties({e: 3.0})
    slowed = router.matrix([a], [b]).duration_s[0, 0]
    assert slowed > plain and slowed <= 3 * net.duration_s[e]
    with pytest.raises(ValueError, match="≥ 1"):
        router.set_penalties({e: 0.5})


def test_a_penalised_route_costs_more_but_says_how_long_it_takes(networks):
    """Penalties choose the way; the route's duration stays the time it takes to ride it."""
    net = networks(OsmSource(synthetic=EXPRESSWAY_TOWN), Mode.BIKE)
    router = Router(net)
    a, b = at_node(net, 0), at_node(net, net.n_nodes - 1)
    plain = router.route(a, b)
    inner = sum(int(net.length_m[e]) for e in plain.edges[1:-1])  # ends may be ridden in part
    assert (
        inner
        <= plain.distance_m
        <= inner + sum(int(net.length_m[e]) for e in plain.edges[::-1][:1] + plain.edges[:1])
    )
    middle = plain.edges[len(plain.edges) // 2]
    router.set_penalties(
        {middle: 3.0, **({int(net.twin[middle]): 3.0} if net.twin[middle] >= 0 else {})}
    )
    after = router.route(a, b)
    if middle in after.edges:  # no other way: the same route, the same riding time
        assert after.duration_s == pytest.approx(plain.duration_s, abs=2)
    else:  # another way, no faster than the first, and its own riding time
        assert after.duration_s >= plain.duration_s
        inner_s = sum(int(net.duration_s[e]) for e in after.edges[1:-1])
        ends_s = int(net.duration_s[after.edges[0]] + net.duration_s[after.edges[-1]])
        assert inner_s <= after.duration_s <= inner_s + ends_s


def test_routes_have_geometry_and_eta(networks):
    net = networks(OsmSource(synthetic=EXPRESSWAY_TOWN), Mode.CAR)
    router = Router(net)
    a, b = at_node(net, 0), at_node(net, net.n_nodes - 1)
    route = router.route(a, b, at=T0)
    feature = route.geojson()
    assert feature["geometry"]["type"] == "LineString"
    start, end = feature["geometry"]["coordinates"][0], feature["geometry"]["coordinates"][-1]
    assert start == pytest.approx([a.lon, a.lat], abs=1e-6)
    assert end == pytest.approx([b.lon, b.lat], abs=1e-6)
    assert route.eta == T0 + timedelta(seconds=route.duration_s)
    m = router.matrix([a], [b])
    assert route.duration_s == m.duration_s[0, 0]
    assert route.distance_m >= m.distance_m[0, 0]  # fastest is never shorter than shortest


@pytest.mark.shared_data
def test_a_point_in_the_sea_is_a_clear_error(data_dir, networks):
    net = networks(OsmSource(file=data_dir / "osm" / "monaco.osm.bz2"), Mode.CAR)
    sea = Position(43.7200, 7.4400)  # the Mediterranean, about 1.5 km off Monaco
    with pytest.raises(OutsideServiceArea, match=r"nearest road is .* m away"):
        Router(net, max_snap_distance_m=250).matrix([sea], [at_node(net, 0)])


def test_unreachable_pairs_are_marked(networks):
    net = networks(OsmSource(synthetic=EXPRESSWAY_TOWN), Mode.CAR)
    router = Router(net)
    # close everything but a corner: the far corner becomes unreachable from it
    lon0, lat0 = float(net.lon.min()), float(net.lat.min())
    moat = Area(box(lon0 + 0.002, lat0 - 1, lon0 + 0.003, lat0 + 1))
    zone = Zone(
        "m",
        "op",
        ZoneKind.HAZARD_CLOSURE,
        "Moat",
        moat,
        active_from=T0,
        active_until=T0 + timedelta(hours=1),
    )
    west = int(np.argmin(net.lon))
    east = int(np.argmax(net.lon))
    m = router.matrix([at_node(net, west)], [at_node(net, east)], closures=[zone], at=T0)
    assert m.duration_s[0, 0] == UNREACHABLE
    assert router.route(at_node(net, west), at_node(net, east), closures=[zone], at=T0) is None


@pytest.mark.parametrize("mode", [Mode.WALK, Mode.CAR])
def test_bounded_search_agrees_with_the_matrix_within_its_limit(networks, mode):
    net = networks(OsmSource(synthetic=EXPRESSWAY_TOWN), mode)
    router = Router(net)
    rng = np.random.default_rng(11)
    edges = rng.choice(net.n_edges, size=40)
    points = []
    for e, f in zip(edges, rng.random(40), strict=True):
        p = net.edge_line(int(e)).interpolate(float(f), normalized=True)
        points.append(Position(p.y, p.x))
    origin, others = points[0], points[1:]
    full = router.matrix([origin], others)
    limit = int(np.median(full.duration_s[0]))
    near = router.within(origin, others, limit)
    inside = full.duration_s[0] <= limit
    assert inside.any() and (~inside).any()
    assert (near.duration_s[0][inside] == full.duration_s[0][inside]).all()
    assert (near.distance_m[0][inside] == full.distance_m[0][inside]).all()
    assert (near.duration_s[0][~inside] == UNREACHABLE).all()
    far = Position(origin.lat + 0.05, origin.lon)  # kilometres off every road
    assert router.within(origin, [far], 10**6).duration_s[0, 0] == UNREACHABLE
