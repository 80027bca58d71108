"""Reading OpenStreetMap data through osmnx: local files and place-name downloads.

This is the only module that talks to osmnx's IO; :mod:`routing.graph` computes on what it returns.
osmnx keeps its options in a global module, so they are set here for the length of one call and
restored after.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import hashlib
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import networkx as nx
import osmnx as ox

from routing.exceptions import GraphBuildError, NoNetwork

#: Way tags the mode filters and speed model read, beyond osmnx's defaults.
EXTRA_WAY_TAGS = ("motorroad", "bicycle", "foot", "moped", "motor_vehicle", "surface")
SUPPORTED_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".xml", ".osm.pbf")


@contextlib.contextmanager
def _osmnx_options(cache_dir: Path | None = None) -> Iterator[None]:
    s = ox.settings
    saved = (list(s.useful_tags_way), s.use_cache, s.cache_folder, s.log_console)
    s.useful_tags_way = sorted({*s.useful_tags_way, *EXTRA_WAY_TAGS})
    s.log_console = False
    if cache_dir is not None:
        s.use_cache, s.cache_folder = True, str(cache_dir)
    try:
        yield
    finally:
        s.useful_tags_way, s.use_cache, s.cache_folder, s.log_console = saved


def _open_text(path: Path) -> IO[bytes]:
    name = path.name.lower()
    if name.endswith(".bz2"):
        return bz2.open(path, "rb")
    if name.endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def pbf_to_xml(path: Path, work_dir: Path) -> Path:
    """An OSM XML copy of a ``.osm.pbf`` file (written once under ``work_dir``, via osmium)."""
    import osmium

    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:32]
    out = work_dir / "pbf" / f"{digest}.osm"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".{os.getpid()}.tmp.osm")
    try:
        # Extracts clip ways at their boundary but keep references to the nodes outside;
        # cut those references (a way keeps its part inside) so the graph has no dangling ends.
        present = {n.id for n in osmium.FileProcessor(str(path), osmium.osm.NODE)}
        with osmium.SimpleWriter(str(tmp), overwrite=True) as writer:
            for obj in osmium.FileProcessor(str(path)):
                if isinstance(obj, osmium.osm.Way):
                    refs = [n.ref for n in obj.nodes if n.ref in present]
                    if len(refs) < 2:
                        continue
                    if len(refs) != len(obj.nodes):
                        writer.add_way(obj.replace(nodes=refs))
                        continue
                writer.add(obj)
    except RuntimeError as exc:
        tmp.unlink(missing_ok=True)
        msg = f"{path.name} is not a readable OSM PBF file: {exc}"
        raise GraphBuildError(msg) from None
    tmp.replace(out)
    return out


def read_osm_file(
    path: Path, *, bidirectional: bool, work_dir: Path | None = None
) -> nx.MultiDiGraph:
    """The unsimplified graph of every way in an OSM file (``.osm``, ``.osm.bz2``, ``.osm.pbf``).

    PBF files are converted to XML under ``work_dir`` first (osmium).

    ``bidirectional`` adds reverse edges for one-way ways too (walking). Edges carry the way's
    tags; nodes carry ``x`` (lon) and ``y`` (lat).

    Raises
    ------
    GraphBuildError
        The file is missing, of an unknown kind, or not valid OSM XML.
    """
    if not path.exists():
        msg = f"OSM file not found: {path}"
        raise GraphBuildError(msg)
    if path.name.lower().endswith(".pbf"):
        if work_dir is None:
            msg = f"{path.name}: reading a .pbf file needs a work folder for its XML copy"
            raise GraphBuildError(msg)
        path = pbf_to_xml(path, work_dir)
    if not path.name.lower().endswith(SUPPORTED_SUFFIXES):
        msg = f"{path.name}: not an OSM file (expected one of {', '.join(SUPPORTED_SUFFIXES)})"
        raise GraphBuildError(msg)
    try:
        with _osmnx_options():
            graph: nx.MultiDiGraph = ox.graph_from_xml(
                path, bidirectional=bidirectional, simplify=False, retain_all=True
            )
    except (ET.ParseError, OSError, EOFError, ValueError, KeyError) as exc:
        msg = f"{path.name} is not a readable OSM XML file: {exc}"
        raise GraphBuildError(msg) from None
    return graph


def download_place(place: str, cache_dir: Path, *, bidirectional: bool) -> nx.MultiDiGraph:
    """The unsimplified graph of every way in a place, downloaded by name (osmnx, cached).

    Raises
    ------
    NoNetwork
        When the download cannot reach the internet.
    GraphBuildError
        When the place is unknown to the geocoder.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    try:
        with _osmnx_options(cache_dir):
            graph: nx.MultiDiGraph = ox.graph_from_place(
                place,
                network_type="all",
                simplify=False,
                retain_all=True,
                truncate_by_edge=True,
            )
    except ox._errors.InsufficientResponseError as exc:  # geocoder found nothing
        msg = f"place {place!r} was not found: {exc}"
        raise GraphBuildError(msg) from None
    except (ConnectionError, OSError, TimeoutError) as exc:
        msg = (
            f"no network: cannot download {place!r} ({type(exc).__name__}); use an OSM file instead"
        )
        raise NoNetwork(msg) from None
    except Exception as exc:  # requests' exceptions are not all OSError subclasses
        if type(exc).__module__.startswith(("requests", "urllib3")):
            msg = f"no network: cannot download {place!r}; use an OSM file instead"
            raise NoNetwork(msg) from None
        raise
    if bidirectional:
        graph = nx.MultiDiGraph(graph)
        for u, v, data in list(graph.edges(data=True)):
            if not graph.has_edge(v, u):
                graph.add_edge(v, u, **{**data, "reversed": True})
    return graph


_BOUNDS = re.compile(rb"<bounds\s+([^>]*)/?>")
_ATTR = re.compile(rb'(\w+)="([^"]*)"')


def read_bounds(path: Path) -> tuple[float, float, float, float] | None:
    """The ``<bounds>`` of an OSM XML file as ``(min_lon, min_lat, max_lon, max_lat)``, if any.

    Only the head of the file is read: exporters write the element first.
    """
    try:
        with _open_text(path) as fh:
            head = fh.read(4096)
    except (OSError, EOFError):
        return None
    match = _BOUNDS.search(head)
    if match is None:
        return None
    attrs: dict[str, Any] = {k.decode(): v.decode() for k, v in _ATTR.findall(match.group(1))}
    try:
        return (
            float(attrs["minlon"]),
            float(attrs["minlat"]),
            float(attrs["maxlon"]),
            float(attrs["maxlat"]),
        )
    except (KeyError, ValueError):
        return None
