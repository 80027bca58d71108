"""From needs to what a planner routes: the candidate visits worth a van's time, the places
they stand at, and one travel matrix over those places (pure; the matrix is the snapshot's).

The crews' solver and the greedy baseline both plan over these candidates, so a comparison of
the two measures the routing, not a difference in what they were offered. At scale the needs are
pruned before the matrix is built: a van does at most a few dozen visits in a shift, so only the
most valuable needs, a few times what the vans could visit, are kept (a 2,000-vehicle fleet gives
a few hundred candidates instead of thousands of places).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from dispatch.ops.crew_input import CrewSnapshot, LeftUndone, StationStock, Van
from dispatch.ops.needs import MoveNeed, Needs, SwapNeed
from fleet.catalog import VehicleClass
from fleet.geo import Position

#: A typical leg between two visits in a city, seconds (for the pruning estimate only).
TYPICAL_LEG_S = 240
#: Candidates kept: this many times what the vans could visit in their shifts.
KEEP_FACTOR = 2.5
#: Never fewer candidates than this (small fleets keep every need).
MIN_KEPT = 60

CROWDED_OUT = "no van had time in its shift (more valuable needs came first)"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A need as places: a swap at ``pick``, or a move from ``pick`` to ``drop``."""

    need: SwapNeed | MoveNeed
    pick: int
    drop: int | None = None

    @property
    def prize(self) -> float:
        """Expected trips the visit serves."""
        n = self.need
        return n.lost_trips if isinstance(n, SwapNeed) else n.gain_trips

    @property
    def vehicle_class(self) -> VehicleClass:
        """The class of the vehicle (its pack type, or what the van carries)."""
        return self.need.vehicle.vehicle_class


@dataclass(frozen=True, slots=True)
class OnShift:
    """A van still on shift: its start and end places, seconds from the plan's time."""

    van: Van
    start: int
    end: int
    ready_s: int
    shift_end_s: int


@dataclass(frozen=True, slots=True)
class Places:
    """Candidates, vans on shift and stations as indices into ``positions``; the matrix."""

    positions: list[Position]
    durations: NDArray[np.int64]
    distances: NDArray[np.int64]
    candidates: list[Candidate]
    vans: list[OnShift]
    stations: list[tuple[StationStock, int]]
    undone: list[LeftUndone]


def _seconds(snapshot: CrewSnapshot, at: datetime) -> int:
    return int((at - snapshot.at).total_seconds())


def _capacity_visits(snapshot: CrewSnapshot, vans: list[Van]) -> int:
    per_visit = TYPICAL_LEG_S + max(snapshot.service.swap_s, snapshot.service.pickup_s)
    return sum(
        max(_seconds(snapshot, v.shift_end) - max(_seconds(snapshot, v.available_from), 0), 0)
        // per_visit
        for v in vans
    )


def prune(
    snapshot: CrewSnapshot, needs: Needs
) -> tuple[list[SwapNeed | MoveNeed], list[LeftUndone]]:
    """The needs worth routing (most valuable first) and those left out, with the reason."""
    ranked: list[SwapNeed | MoveNeed] = sorted(
        [*needs.swaps, *needs.moves],
        key=lambda n: -(n.lost_trips if isinstance(n, SwapNeed) else n.gain_trips),
    )
    keep = max(MIN_KEPT, int(KEEP_FACTOR * _capacity_visits(snapshot, list(snapshot.vans))))
    left = [
        LeftUndone(
            CROWDED_OUT,
            round(n.lost_trips if isinstance(n, SwapNeed) else n.gain_trips, 3),
            vehicle_id=n.vehicle.id,
            cell=n.vehicle.cell if isinstance(n, SwapNeed) else n.to_cell,
        )
        for n in ranked[keep:]
    ]
    return ranked[:keep], left


def places(snapshot: CrewSnapshot, needs: Needs) -> Places:
    """Prune the needs, place everything and build the matrix (one call to the snapshot's)."""
    kept, left = prune(snapshot, needs)
    positions: list[Position] = []
    index: dict[Position, int] = {}

    def at(p: Position) -> int:
        if p not in index:
            index[p] = len(positions)
            positions.append(p)
        return index[p]

    vans = []
    for v in snapshot.vans:
        end_s = _seconds(snapshot, v.shift_end)
        ready = max(_seconds(snapshot, v.available_from), 0)
        if end_s > ready:
            vans.append(OnShift(v, at(v.start), at(v.end), ready, end_s))
    candidates = [
        Candidate(n, at(n.vehicle.position), at(n.drop) if isinstance(n, MoveNeed) else None)
        for n in kept
    ]
    classes = {c.vehicle_class for c in candidates if isinstance(c.need, SwapNeed)}
    stations = [
        (s, at(s.position))
        for s in snapshot.stations
        if any(s.charged.get(k, 0) > 0 for k in classes)
    ]
    if positions:
        durations, distances = snapshot.matrix(positions)
    else:
        durations, distances = [], []
    n = len(positions)
    return Places(
        positions,
        np.asarray(durations, dtype=np.int64).reshape(n, n),
        np.asarray(distances, dtype=np.int64).reshape(n, n),
        candidates,
        vans,
        stations,
        [*needs.undone, *left],
    )
