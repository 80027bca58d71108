"""The nodes of the crews' OR-Tools model and the arc matrices over them.

A start and an end per van, one node per visit, and the packs stations hand out: one optional
node per charged pack a station may give (per pack type, no more than the swaps of that type could
use), so a station's stock is never overdrawn by construction — a node is visited at most once —
and the local search sees the rule in its fast filters instead of in side constraints. Arriving at
a station from elsewhere costs its service time (parking, loading); taking the next pack there is
free, so a stop that loads five packs takes the service time once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from collections.abc import Sequence

    from routing.crew_types import CrewProblem, Stop

#: What an unreachable leg costs and takes: longer than any shift, so never taken.
UNREACHABLE_S = 10 * 24 * 3600

Matrix = NDArray[np.int64]


class CrewNodes:
    """The model's nodes (see the module docstring) and their place in the problem's matrix."""

    def __init__(self, problem: CrewProblem) -> None:
        vans = len(problem.vans)
        self.vans = vans
        self.starts = list(range(vans))
        self.ends = [vans + v for v in range(vans)]
        self.first_visit = 2 * vans
        self.first_pack = self.first_visit + len(problem.visits)
        swaps = [0] * problem.pack_types
        for visit in problem.visits:
            if visit.pack_type is not None:
                swaps[visit.pack_type] += 1
        room = max((van.capacity_packs for van in problem.vans), default=0)
        #: For each pack node: (station, pack type).
        self.pack_of: list[tuple[int, int]] = []
        for s, station in enumerate(problem.stations):
            for t, stock in enumerate(station.stock):
                usable = min(stock, swaps[t], room * vans)
                self.pack_of += [(s, t)] * max(usable, 0)
        self.count = self.first_pack + len(self.pack_of)
        place = [v.start for v in problem.vans] + [v.end for v in problem.vans]
        place += [v.place for v in problem.visits]
        place += [problem.stations[s].place for s, _ in self.pack_of]
        self.place = np.asarray(place, dtype=np.int64)
        service = [0] * (2 * vans) + [v.service_s for v in problem.visits]
        service += [0] * len(self.pack_of)
        #: Seconds spent at a node before leaving it.
        self.service = np.asarray(service, dtype=np.int64)
        parking = [0] * self.first_pack + [problem.stations[s].service_s for s, _ in self.pack_of]
        #: Seconds spent on arriving at a node from another place (a station's service).
        self.parking = np.asarray(parking, dtype=np.int64)

    def station_and_type(self, node: int) -> tuple[int, int] | None:
        """The (station, pack type) of a pack node; ``None`` for other nodes."""
        if node < self.first_pack:
            return None
        return self.pack_of[node - self.first_pack]

    def drive(self, durations: Matrix) -> Matrix:
        """Seconds of driving between nodes (unreachable legs capped)."""
        legs = np.minimum(np.asarray(durations, dtype=np.int64), UNREACHABLE_S)
        out: Matrix = legs[np.ix_(self.place, self.place)]
        return out

    def stay(self) -> Matrix:
        """Seconds on site counted on each arc: the service of the node left, and a station's
        service on arriving from another place."""
        moved = self.place[:, None] != self.place[None, :]
        out: Matrix = self.service[:, None] + np.where(moved, self.parking[None, :], 0)
        return out

    def routes_of(self, problem: CrewProblem, routes: Sequence[Sequence[Stop]]) -> list[list[int]]:
        """The nodes of routes given as stops (a start for the search, one list per van).

        A station stop takes only the pack nodes the swaps after it use (up to what it says it
        loads), so a route that loads spare packs still fits the nodes a station offers."""
        free: dict[tuple[int, int], list[int]] = {}
        for j, key in enumerate(self.pack_of):
            free.setdefault(key, []).append(self.first_pack + j)
        out = []
        for van, stops in zip(problem.vans, routes, strict=True):
            board = list(van.packs_on_board)
            nodes: list[int] = []
            for i, stop in enumerate(stops):
                if stop.visit is not None:
                    nodes.append(self.first_visit + stop.visit)
                    used = problem.visits[stop.visit].pack_type
                    if used is not None:
                        board[used] -= 1
                    continue
                assert stop.station is not None
                for t, n in enumerate(stop.loaded):
                    ahead = _swaps_ahead(problem, stops[i + 1 :], t)
                    pool = free.get((stop.station, t), [])
                    take = min(n, max(ahead - board[t], 0), len(pool))
                    nodes += [pool.pop(0) for _ in range(take)]
                    board[t] += take
            out.append(nodes)
        return out


def _swaps_ahead(problem: CrewProblem, stops: Sequence[Stop], pack_type: int) -> int:
    """Swaps of ``pack_type`` among ``stops`` before the next stop that loads that type."""
    count = 0
    for stop in stops:
        if stop.visit is None and len(stop.loaded) > pack_type and stop.loaded[pack_type] > 0:
            break
        if stop.visit is not None and problem.visits[stop.visit].pack_type == pack_type:
            count += 1
    return count
