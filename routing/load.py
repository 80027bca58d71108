"""Get a mode's road graph for a city source: from the on-disk cache, else build and store it.

The cache key is the source (file content hash, place name or synthetic spec), the mode and
:data:`PIPELINE_VERSION`; bump the version whenever graph building changes what it produces.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import os
import pickle
from collections.abc import Callable
from pathlib import Path

import networkx as nx

from fleet.city import OsmSource
from routing.engine import compute_order
from routing.graph import BuildReport, build_mode_graph
from routing.modes import RESPECTS_ONEWAY, Mode
from routing.network import RoadNetwork
from routing.osm import download_place, read_osm_file
from routing.synthetic import write_osm

log = logging.getLogger(__name__)

PIPELINE_VERSION = 3

#: Told the name of each stage as it starts (a progress bar's caption).
Progress = Callable[[str], None]


def _silent(_stage: str) -> None:
    pass


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def source_key(source: OsmSource, cache_dir: Path) -> str:
    """A stable key of what the source contains (not where it lies)."""
    if source.file is not None:
        return f"file-{file_sha256(source.file)}" if source.file.exists() else "missing"
    if source.place is not None:
        return "place-" + hashlib.sha256(source.place.encode()).hexdigest()[:32]
    assert source.synthetic is not None
    spec = dataclasses.asdict(source.synthetic)
    blob = json.dumps(spec, sort_keys=True, default=str).encode()
    return "synthetic-" + hashlib.sha256(blob).hexdigest()[:32]


def synthetic_osm_path(source: OsmSource, cache_dir: Path) -> Path:
    """Where the generated OSM file of a synthetic source lies (written when missing)."""
    assert source.synthetic is not None
    path = cache_dir / "synthetic" / f"{source_key(source, cache_dir)}.osm"
    if not path.exists():
        write_osm(source.synthetic, path)
    return path


@functools.lru_cache(maxsize=1)  # car, moped and bike read the same raw graph in a row
def _read_raw(source: OsmSource, cache_dir: Path, *, bidirectional: bool) -> nx.MultiDiGraph:
    if source.file is not None:
        return read_osm_file(source.file, bidirectional=bidirectional, work_dir=cache_dir)
    if source.place is not None:
        return download_place(source.place, cache_dir / "osmnx", bidirectional=bidirectional)
    return read_osm_file(synthetic_osm_path(source, cache_dir), bidirectional=bidirectional)


def load_mode_graph(
    source: OsmSource, mode: Mode, cache_dir: Path, progress: Progress = _silent
) -> tuple[nx.MultiDiGraph, BuildReport]:
    """The strongly connected, simplified road graph of ``mode`` for ``source``.

    Reads from ``cache_dir/graphs`` when present; otherwise builds and stores it atomically.
    ``progress`` is told each stage of a build.
    """
    key = f"{source_key(source, cache_dir)}-{mode}-v{PIPELINE_VERSION}"
    path = cache_dir / "graphs" / f"{key}.pickle"
    if path.exists():
        try:
            with path.open("rb") as fh:
                graph, report = pickle.load(fh)
            return graph, report
        except (OSError, pickle.UnpicklingError, EOFError, ValueError) as exc:
            log.warning("graph cache %s unreadable (%s); rebuilding", path, exc)
    progress("downloading the OSM data" if source.place is not None else "reading the OSM data")
    raw = _read_raw(source, cache_dir, bidirectional=not RESPECTS_ONEWAY[mode])
    progress("building the road graph")
    graph, report = build_mode_graph(raw, mode)  # works on a copy: the cached raw stays intact
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with tmp.open("wb") as fh:
        pickle.dump((graph, report), fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)
    return graph, report


def _network_path(source: OsmSource, mode: Mode, cache_dir: Path) -> Path:
    key = f"{source_key(source, cache_dir)}-{mode}-v{PIPELINE_VERSION}"
    return cache_dir / "networks" / f"{key}.pickle"


def network_cached(source: OsmSource, mode: Mode, cache_dir: Path) -> bool:
    """Whether :func:`load_network` would find this network in the cache."""
    return _network_path(source, mode, cache_dir).exists()


def load_network(
    source: OsmSource, mode: Mode, cache_dir: Path, progress: Progress = _silent
) -> RoadNetwork:
    """The :class:`RoadNetwork` of ``mode`` for ``source`` with its CCH order, from the cache
    when present (graph build and node ordering are the one-off costs). ``progress`` is told
    each stage ("from the cache" when there is nothing to build)."""
    path = _network_path(source, mode, cache_dir)
    if path.exists():
        progress("from the cache")
        try:
            with path.open("rb") as fh:
                network: RoadNetwork = pickle.load(fh)
            return network
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError) as exc:
            log.warning("network cache %s unreadable (%s); rebuilding", path, exc)
    graph, report = load_mode_graph(source, mode, cache_dir, progress)
    network = RoadNetwork.from_graph(graph, mode, report)
    progress("ordering nodes")
    network.order = compute_order(network)
    progress("building the hierarchy")
    network.edge_index()  # build the snapping index and hierarchies now, so they are cached too
    network.hierarchy()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with tmp.open("wb") as fh:
        pickle.dump(network, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)
    return network
