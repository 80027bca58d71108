"""Road graphs from OSM files and the synthetic city, and placing a city's sites on them."""

from __future__ import annotations

import bz2
import dataclasses

import networkx as nx
import pytest

from config.cities import load_city
from fleet.city import OsmSource, SiteSpec, SyntheticSpec
from fleet.exceptions import InvalidValue, OutsideServiceArea
from fleet.geo import Position
from fleet.sites import SiteKind
from routing.city import derive_service_area, lay_out
from routing.exceptions import GraphBuildError, NoNetwork
from routing.load import load_mode_graph, synthetic_osm_path
from routing.modes import Mode
from routing.osm import download_place, read_bounds, read_osm_file
from routing.snap import NodeIndex
from routing.synthetic import generate

XML_FILES = [
    "seoul_mapo_gongdeok.osm.bz2",
    "monaco.osm.bz2",
    "west_oakland.osm.bz2",
    "germany_planet_10.068_48.135_10.071_48.137.osm",
]
SMALL = SyntheticSpec(blocks_x=6, blocks_y=5, seed=3)


def highways(graph: nx.MultiDiGraph) -> set[str]:
    found = set()
    for _, _, d in graph.edges(data=True):
        h = d["highway"]
        found.update(h if isinstance(h, list) else [h])
    return found


@pytest.mark.shared_data
@pytest.mark.parametrize("name", XML_FILES)
def test_shared_extracts_build_a_connected_road_graph(name, data_dir, cache_dir):
    source = OsmSource(file=data_dir / "osm" / name)
    graph, report = load_mode_graph(source, Mode.CAR, cache_dir)
    assert nx.is_strongly_connected(graph) and report.nodes == graph.number_of_nodes() >= 4
    assert report.edges_dropped_by_tags > 0  # buildings, footways, railways left out
    assert not highways(graph) & {"footway", "steps", "path", "pedestrian", "cycleway"}
    again, _ = load_mode_graph(source, Mode.CAR, cache_dir)  # from the cache
    assert nx.utils.graphs_equal(graph, again)


@pytest.mark.shared_data
def test_seoul_keeps_roads_and_reports_what_it_dropped(data_dir, cache_dir):
    source = OsmSource(file=data_dir / "osm" / "seoul_mapo_gongdeok.osm.bz2")
    car, car_report = load_mode_graph(source, Mode.CAR, cache_dir)
    walk, walk_report = load_mode_graph(source, Mode.WALK, cache_dir)
    assert {"primary", "secondary", "residential"} <= highways(car)
    assert "footway" in highways(walk) and walk_report.nodes > car_report.nodes
    assert car_report.length_m > 50_000  # the Gongdeok road network is ~68 km of lanes
    assert read_bounds(source.file) == (126.94948, 37.54431, 126.96632, 37.55187)


def test_synthetic_city_is_deterministic_and_strongly_connected(cache_dir):
    assert generate(SMALL) == generate(SMALL)
    assert generate(SMALL) != generate(dataclasses.replace(SMALL, seed=4))
    graph, report = load_mode_graph(OsmSource(synthetic=SMALL), Mode.CAR, cache_dir)
    assert nx.is_strongly_connected(graph) and report.nodes_dropped_disconnected == 0
    assert {"secondary", "residential"} <= highways(graph)
    oneway = [d for _, _, d in graph.edges(data=True) if d.get("oneway")]
    assert oneway, "some local streets are one-way"


def test_synthetic_mode_filters_keep_two_wheelers_off_expressways(cache_dir):
    source = OsmSource(synthetic=dataclasses.replace(SMALL, motorways=True))
    car, _ = load_mode_graph(source, Mode.CAR, cache_dir)
    moped, moped_report = load_mode_graph(source, Mode.MOPED, cache_dir)
    bike, _ = load_mode_graph(source, Mode.BIKE, cache_dir)
    assert "motorway" in highways(car)
    assert any(d.get("motorroad") == "yes" for _, _, d in car.edges(data=True))
    for graph in (moped, bike):
        assert "motorway" not in highways(graph)
        assert not any(d.get("motorroad") == "yes" for _, _, d in graph.edges(data=True))
    assert moped_report.edges_dropped_by_tags > 0


def test_a_corrupt_file_and_a_file_without_roads_are_clear_errors(tmp_path, cache_dir):
    corrupt = tmp_path / "corrupt.osm.bz2"
    corrupt.write_bytes(bz2.compress(b"<osm><node id='1' lat='1' lon='1'><broken"))
    with pytest.raises(GraphBuildError, match="not a readable OSM XML file"):
        read_osm_file(corrupt, bidirectional=False)
    no_roads = tmp_path / "river.osm"
    no_roads.write_text(
        '<osm version="0.6"><node id="1" lat="0" lon="0"/><node id="2" lat="0" lon="0.001"/>'
        '<way id="1"><nd ref="1"/><nd ref="2"/><tag k="waterway" v="river"/></way></osm>'
    )
    with pytest.raises(GraphBuildError, match="no roads usable by mode 'car'"):
        load_mode_graph(OsmSource(file=no_roads), Mode.CAR, cache_dir)
    with pytest.raises(GraphBuildError, match="not found"):
        read_osm_file(tmp_path / "missing.osm", bidirectional=False)
    with pytest.raises(GraphBuildError, match="not an OSM file"):
        read_osm_file(no_roads.rename(tmp_path / "roads.txt"), bidirectional=False)


def test_place_names_without_network_say_to_use_a_file(tmp_path, monkeypatch):
    # This machine, like CI, has no internet: the download must fail with a clear message.
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # fail fast even where online
    with pytest.raises(NoNetwork, match=r"no network: .*use an OSM file"):
        download_place("Gwangmyeong-si, Gyeonggi-do, South Korea", tmp_path, bidirectional=False)


def test_layout_derives_the_service_area_and_spreads_sites(cache_dir, tmp_path):
    profile = load_city("synthetic", tmp_path)
    graph, _ = load_mode_graph(profile.source, Mode.CAR, cache_dir)
    bounds = read_bounds(synthetic_osm_path(profile.source, cache_dir))
    layout = lay_out(profile, graph, bounds, max_snap_distance_m=100)
    assert len(layout.sites) == len(profile.sites) and all(s.position for s in layout.sites)
    assert all(layout.service_area.contains(s.position) for s in layout.sites)
    names = [s.name for s in layout.sites]
    assert len(set(names)) == len(names)
    assert lay_out(profile, graph, bounds, max_snap_distance_m=100) == layout  # seeded
    positions = [s.position for s in layout.sites]
    assert len(set(positions)) == len(positions)


def test_layout_checks_sites_the_profile_places(cache_dir, tmp_path):
    profile = load_city("synthetic", tmp_path)
    graph, _ = load_mode_graph(profile.source, Mode.CAR, cache_dir)
    area = derive_service_area(graph, None)
    min_lon, min_lat, max_lon, max_lat = area.bounds
    far = SiteSpec(SiteKind.DEPOT, "Far depot", Position(max_lat + 0.05, max_lon))
    with pytest.raises(InvalidValue, match="outside the service area"):
        lay_out(dataclasses.replace(profile, sites=(far,)), graph, None, max_snap_distance_m=50)
    # inside the hull but in the middle of a block, farther than 5 m from any intersection
    mid = Position((min_lat + max_lat) / 2 + 0.0003, (min_lon + max_lon) / 2 + 0.0003)
    odd = SiteSpec(SiteKind.DEPOT, "Mid-block depot", mid)
    with pytest.raises(OutsideServiceArea, match="nearest road is"):
        lay_out(dataclasses.replace(profile, sites=(odd,)), graph, None, max_snap_distance_m=5)


def test_snapping_finds_the_nearest_node(cache_dir):
    graph, _ = load_mode_graph(OsmSource(synthetic=SMALL), Mode.CAR, cache_dir)
    index = NodeIndex.of(graph)
    some = next(iter(graph.nodes))
    here = Position(graph.nodes[some]["y"], graph.nodes[some]["x"])
    node, distance = index.nearest(here, 10)
    assert node == some and distance < 0.01
    with pytest.raises(OutsideServiceArea, match="more than 10 m"):
        index.nearest(Position(here.lat + 0.01, here.lon), 10)
