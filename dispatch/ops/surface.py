"""Refreshing the road-surface index (issue 17, docs/road-surface.md): the bikes' and
kickboards' telemetry samples matched to the bike network, then the index made of the matched
vibration readings and stored whole; and the index's penalties handed to the bike router.

A refresh runs on the queue (``dispatch.queue.surface_jobs``) and may be killed anywhere: the
matches of each vehicle's chunk are committed with it, so a refresh started again picks up the
samples still unmatched; the index is replaced in one transaction. Matching is per vehicle, in
time order, up to ``CHUNK`` samples at a time (the matcher breaks the chain itself at silences
longer than two minutes, so rides of one vehicle do not run into each other).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from fleet.catalog import VehicleClass
from fleet.clock import Clock
from fleet.db import surface as surface_db
from fleet.db.engine import DatabaseFailure, Engine, reading, writing
from routing.matching import match
from routing.modes import Mode, mode_of
from routing.network import RoadNetwork
from routing.routers import CityRouters
from routing.surface import RoadSurface, SurfaceParams, surface_index

#: Samples matched per vehicle and transaction (about an hour of riding at 1 Hz).
CHUNK = 4000
#: Readings older than this no longer count: a road repaired last season is not rough now.
WINDOW = timedelta(days=90)
#: The mode whose network the index is of, and the classes whose samples make it.
MODE = Mode.BIKE
CLASSES = tuple(sorted(c.value for c in VehicleClass if mode_of(c) is MODE))

Progress = Callable[[int, int], None]
LOG = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Refreshed:
    """What a refresh did."""

    matched: int  # samples placed on an edge now
    unmatched: int  # samples with no road near them
    readings: int  # readings the index was made of
    roads: int  # roads in the index
    ranked: int  # of them with enough samples to rank
    network_changed: bool  # earlier matches were forgotten (the network is another now)


#: Keys of the networks seen, by ``id``, with the network itself so an id is never reused while
#: its entry stands (a process has a network per mode; a few more in tests, hence the bound).
_KEYS: dict[int, tuple[RoadNetwork, str]] = {}
_KEYS_MAX = 16


def network_key(network: RoadNetwork) -> str:
    """A hash of the network's edges in their numbering: equal keys, equal edge numbers.

    Hashed once per network: every bike route a rider asks for compares it with the stored
    index's, and hashing the ``repr`` of every edge took 0.6–1 ms per 1,000 edges (72 ms for
    70,000, about a city of 25,000 nodes) on every request, holding the interpreter's lock."""
    found = _KEYS.get(id(network))
    if found is not None and found[0] is network:
        return found[1]
    digest = hashlib.sha256(f"{network.mode}:{network.n_edges}:".encode())
    digest.update(repr(network.edge_keys).encode())
    key = digest.hexdigest()[:32]
    if len(_KEYS) >= _KEYS_MAX:
        _KEYS.clear()
    _KEYS[id(network)] = (network, key)
    return key


def refresh(
    engine: Engine,
    clock: Clock,
    routers: CityRouters,
    params: SurfaceParams | None = None,
    progress: Progress | None = None,
) -> Refreshed:
    """Match what is unmatched, then make and store the index afresh."""
    network = routers.router(MODE).network
    key = network_key(network)
    with writing(engine) as conn:
        changed = surface_db.adopt_network(conn, MODE.value, key, CLASSES)
    matched = unmatched = 0
    with reading(engine) as conn:
        waiting = surface_db.vehicles_pending(conn, CLASSES)
    for done, vehicle_id in enumerate(waiting):
        while True:
            with reading(engine) as conn:
                rows = surface_db.pending(conn, vehicle_id, CHUNK)
            if not rows:
                break
            edges = _match_rows(network, rows)
            with writing(engine) as conn:
                surface_db.set_edges(conn, edges)
            matched += sum(e >= 0 for _, e in edges)
            unmatched += sum(e < 0 for _, e in edges)
            if len(rows) < CHUNK:
                break
        if progress is not None:
            progress(done + 1, len(waiting) + 1)
    now = clock.now()
    with reading(engine) as conn:
        found = list(surface_db.readings(conn, CLASSES, now - WINDOW))
    index = surface_index(found, network.twin, params)
    with writing(engine) as conn:
        surface_db.replace_index(
            conn,
            MODE.value,
            [_row(r) for r in index.roads],
            computed_at=now,
            samples=len(found),
            median_ms2=index.median_ms2,
        )
    if isinstance(routers.penalty_source, StoredPenalties):
        routers.penalty_source.expire()  # this process's routers take the new index at once
    if progress is not None:
        progress(len(waiting) + 1, len(waiting) + 1)
    ranked = sum(r.percentile is not None for r in index.roads)
    return Refreshed(matched, unmatched, len(found), len(index.roads), ranked, changed)


def _match_rows(network: RoadNetwork, rows: list[surface_db.Pending]) -> list[tuple[int, int]]:
    """``(row id, edge)`` of one vehicle's samples in time order (-1: no road near)."""
    t0 = rows[0][3]
    samples = [(lat, lon, (at - t0).total_seconds()) for _, lat, lon, at in rows]
    result = match(network, samples)
    return [
        (row[0], -1 if point is None else point.edge)
        for row, point in zip(rows, result.samples, strict=True)
    ]


def _row(road: RoadSurface) -> dict[str, object]:
    return {
        "road": road.road,
        "twin": road.twin,
        "samples": road.samples,
        "roughness_ms2": road.roughness_ms2,
        "low_ms2": road.low_ms2,
        "high_ms2": None if road.high_ms2 == float("inf") else road.high_ms2,
        "confidence": road.confidence.value,
        "percentile": road.percentile,
        "worst": road.worst,
        "penalty": road.penalty,
    }


@dataclass(slots=True)
class StoredPenalties:
    """The bike router's travel-time factors from the stored index, for
    :class:`routing.routers.CityRouters`: looked at most every ``check_s`` seconds, loaded
    again only when a refresh stored a new index for the router's network."""

    engine: Engine
    check_s: float = 60.0
    _seen: dict[Mode, tuple[float, str | None]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def expire(self) -> None:
        """Look at the stored index on the next use, however recently it was looked at."""
        with self._lock:
            self._seen = {m: (-self.check_s, v) for m, (_, v) in self._seen.items()}

    def __call__(self, mode: Mode, network: RoadNetwork) -> tuple[str, dict[int, float]] | None:
        """``(version, factors)`` when the stored index changed since the last call; else
        ``None``. Modes other than the index's have none."""
        if mode is not MODE:
            return None
        now = time.monotonic()
        with self._lock:
            checked, version = self._seen.get(mode, (-self.check_s, None))
            if now - checked < self.check_s:
                return None
            self._seen[mode] = (now, version)
        try:
            found = self._stored(mode, network, version)
        except DatabaseFailure as exc:  # routing goes on with the penalties it has
            LOG.warning("road-surface penalties not refreshed: %s", exc)
            return None
        if found is None:
            return None
        current, factors = found
        with self._lock:
            self._seen[mode] = (now, current)
        return current, factors

    def _stored(
        self, mode: Mode, network: RoadNetwork, version: str | None
    ) -> tuple[str, dict[int, float]] | None:
        with reading(self.engine) as conn:
            state = surface_db.network_state(conn, mode.value)
            if state is None or state.computed_at is None:
                return None
            if state.network_key != network_key(network):
                return None  # made on another network: its numbers mean nothing here
            current = f"{state.network_key}@{state.computed_at.isoformat()}"
            if current == version:
                return None
            return current, surface_db.penalties(conn, mode.value)
