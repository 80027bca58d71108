"""The nodes of the couriers' OR-Tools model and the arc matrices over them.

A start and an end per courier, one node per stop, and the swap visits: each station a few
optional nodes, one per pack it can hand out and at most one per courier (a node is visited once,
a station may serve several couriers). Arc values are built as whole numpy matrices: at 500 jobs
for 20 couriers the model has about 1,100 nodes, and cell-by-cell Python took seconds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from routing.courier_model import CourierProblem

#: Parking at a swap station and changing the pack, seconds. Operators quote "under a minute"
#: at the cabinet; with parking and the app it is about two.
SWAP_S = 120

Matrix = NDArray[np.int64]


class Nodes:
    """The model's nodes (see the module docstring) and their place in the problem's matrices."""

    def __init__(self, problem: CourierProblem) -> None:
        self.problem = problem
        self.couriers = len(problem.couriers)
        self.starts = list(range(self.couriers))
        self.ends = [self.couriers + v for v in range(self.couriers)]
        self.first_stop = 2 * self.couriers
        self.station_of: list[int] = []
        if problem.distances is not None:
            for s, station in enumerate(problem.stations):
                self.station_of += [s] * min(station.packs, self.couriers)
        self.first_swap = self.first_stop + len(problem.stops)
        self.count = self.first_swap + len(self.station_of)
        self.swaps = range(self.first_swap, self.count)
        #: Each node's place in the matrices; -1 for a free end (every leg to it is free).
        place = [c.place for c in problem.couriers]
        place += [-1 if c.end_place is None else c.end_place for c in problem.couriers]
        place += [s.place for s in problem.stops]
        place += [problem.stations[s].place for s in self.station_of]
        self.place = np.asarray(place, dtype=np.int64)
        service = np.zeros(self.count, dtype=np.int64)
        service[self.first_stop : self.first_swap] = [s.service_s for s in problem.stops]
        service[self.first_swap :] = SWAP_S
        #: Seconds a visit takes at each node (none at starts and ends).
        self.service = service

    def stop(self, k: int) -> int:
        """The node of stop ``k``."""
        return self.first_stop + k

    def _between(self, places: Matrix) -> Matrix:
        """A place-by-place matrix as a node-by-node one; legs to or from a free end are 0."""
        free = self.place < 0
        index = np.where(free, 0, self.place)
        out: Matrix = np.asarray(places, dtype=np.int64)[np.ix_(index, index)]
        out[free, :] = 0
        out[:, free] = 0
        return out

    def drive(self) -> Matrix:
        """Seconds of riding between nodes."""
        return self._between(np.asarray(self.problem.durations, dtype=np.int64))

    def cost(self) -> Matrix:
        """What an arc costs: the riding, and the time a swap takes (a swap is never free)."""
        cost = self.drive()
        cost[self.first_swap :, :] += SWAP_S
        return cost

    def transit(self) -> Matrix:
        """Time from arriving at a node to arriving at the next: its service, then the ride."""
        return self.drive() + self.service[:, None]

    def metres(self) -> Matrix:
        """Road metres between nodes (the battery's use)."""
        assert self.problem.distances is not None
        return self._between(np.asarray(self.problem.distances, dtype=np.int64))
