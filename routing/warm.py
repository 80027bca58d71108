"""Warm a city's routing before it serves: every mode's router loaded from the cache, and one
query of each kind run on it, so that numba's kernels are compiled (or loaded from numba's disk
cache) and the parts a router builds lazily (snapping index, hierarchy, CCH metric, the grid of
snap bounds) exist.

Without it a web worker did all of this on its first requests, which took 3–16 s (issue 11).
"""

from __future__ import annotations

from collections.abc import Iterable

from fleet.geo import Position
from routing import insertion_kernel
from routing.engine import Router
from routing.modes import Mode
from routing.routers import CityRouters

#: The bound of the warm-up's bounded search: any will do, it only has to run.
WARM_WITHIN_S = 60


def warm_router(router: Router) -> None:
    """Run a matrix, a bounded search and a route between two of the network's nodes."""
    net = router.network
    first = Position(float(net.lat[0]), float(net.lon[0]))
    last = Position(float(net.lat[-1]), float(net.lon[-1]))
    router.matrix([first, last], [first, last])
    router.matrix([first], [last])
    router.within(first, [first, last], WARM_WITHIN_S)
    router.route(first, last)
    router.snap_reach(first, WARM_WITHIN_S)  # builds the grid bookings bound snaps with


def warm_routing(routers: CityRouters, modes: Iterable[Mode] = tuple(Mode)) -> list[Mode]:
    """Load and warm the routers of ``modes`` and compile the couriers' insertion kernel; the
    modes warmed."""
    warmed = []
    for mode in modes:
        warm_router(routers.router(mode))
        warmed.append(mode)
    insertion_kernel.warm()
    return warmed
