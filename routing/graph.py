"""From the raw OSM graph to the road graph of one mode: filter, connect, simplify."""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import osmnx as ox

from routing.exceptions import GraphBuildError
from routing.modes import Mode, allows


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What building a mode's graph kept and dropped (``fleetops graph info`` shows it)."""

    mode: Mode
    nodes: int
    edges: int
    length_m: int
    edges_dropped_by_tags: int  # raw edges whose way the mode may not use
    nodes_dropped_disconnected: int  # outside the largest strongly connected component

    def as_dict(self) -> dict[str, int | str]:
        """Plain values for JSON and tables."""
        return {
            "mode": str(self.mode),
            "nodes": self.nodes,
            "edges": self.edges,
            "length_m": self.length_m,
            "edges_dropped_by_tags": self.edges_dropped_by_tags,
            "nodes_dropped_disconnected": self.nodes_dropped_disconnected,
        }


def build_mode_graph(raw: nx.MultiDiGraph, mode: Mode) -> tuple[nx.MultiDiGraph, BuildReport]:
    """The simplified, strongly connected graph of the ways ``mode`` may use.

    ``raw`` is an unsimplified graph from :mod:`routing.osm` (bidirectional for walking). It is not
    modified.

    Raises
    ------
    GraphBuildError
        When no way in the source is usable in this mode.
    """
    keep = [(u, v, k) for u, v, k, data in raw.edges(keys=True, data=True) if allows(mode, data)]
    dropped = raw.number_of_edges() - len(keep)
    if not keep:
        msg = f"the OSM source has no roads usable by mode '{mode}'"
        raise GraphBuildError(msg)
    filtered = raw.edge_subgraph(keep).copy()
    filtered.graph = {**raw.graph, "simplified": False}
    component = max(nx.strongly_connected_components(filtered), key=len)
    if len(component) < 2:
        msg = f"the OSM source's roads for mode '{mode}' are not connected to each other"
        raise GraphBuildError(msg)
    connected = filtered.subgraph(component).copy()
    disconnected = filtered.number_of_nodes() - connected.number_of_nodes()
    simple: nx.MultiDiGraph = ox.simplify_graph(connected)
    simple.graph["mode"] = str(mode)
    length_m = int(sum(d.get("length", 0.0) for _, _, d in simple.edges(data=True)))
    report = BuildReport(
        mode=mode,
        nodes=simple.number_of_nodes(),
        edges=simple.number_of_edges(),
        length_m=length_m,
        edges_dropped_by_tags=dropped,
        nodes_dropped_disconnected=disconnected,
    )
    return simple, report
