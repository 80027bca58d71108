"""The head of a rider's ranking without walking to every vehicle in reach.

In a dense fleet thousands of vehicles stand within the walking limit, and
:func:`dispatch.riders.ranking.rank` walks to each. The booking only needs the first few of
the ranking, so :func:`rank_nearest` reads candidates nearest first by straight line, ranks them
page by page, and stops once no unread candidate can enter the first ``enough``: the ranking's
head is then exactly the exhaustive ranking's head (the test compares them on a dense fleet).

Why a straight line bounds a walk from below, here: a point joins the walk network at its snap
point without the snap counted, so a walk from rider to vehicle runs between the two snap points
and is at least their straight-line distance, ``straight − rider's snap − vehicle's snap``. The
vehicle's snap is unknown before it is read, but bounded: a vehicle farther than the router's
maximum snap distance from the roads is unreachable anyway, and where roads are everywhere
:meth:`routing.engine.Router.snap_reach` knows, cell by 50 m cell of the rider's reach, how far
its points can snap, so the search stops where no unread cell can hold a nearer walk. An edge
takes ``ceil(round(length) / pace)`` seconds at the walking pace of 4.8 km/h (slower on steps,
longer with penalties), which is never less than ⅔ s per metre of its true length (a 1.49 m
edge rounds to 1 m and 1 s); the partial edges at both ends are rounded to the second, and the
order's equirectangular metres agree with the great circle to far better than a percent at a
walk's scale: :func:`walk_floor_s` takes all of that off.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from dispatch.riders.ranking import Candidate, Ranked, Ranking, RiderRules, rank, rank_key
from fleet.catalog import Catalog, VehicleClass
from fleet.db.riding import NearRow
from fleet.geo import Position
from fleet.zones import Zone
from routing.engine import Router
from routing.snap import SnapReach

#: Fewest seconds a walk takes per metre between its snap points (see the module docstring).
WALK_S_PER_M_FLOOR = 2 / 3
#: Candidates read on the first page, four times more on each next (each page rescans the box).
PAGE = 128

#: Reads the next page of candidates, nearest first, past a key (``None``: from the start).
Fetch = Callable[[tuple[float, str] | None, int], list[NearRow]]


def walk_floor_s(
    straight_m: float, rider_snap_m: float, max_snap_m: float, reach: SnapReach | None = None
) -> float:
    """Seconds no walk to a vehicle at least ``straight_m`` away (as the crow flies) can beat:
    standing anywhere (``reach`` None) or where ``reach`` says it could."""
    gap_m = 0.99 * straight_m - max_snap_m if reach is None else reach.least_gap_m(straight_m)
    between_snaps_m = gap_m - 1.0 - rider_snap_m
    return WALK_S_PER_M_FLOOR * between_snaps_m - 2.0


def rank_nearest(
    rider: Position,
    fetch: Fetch,
    walk: Router,
    *,
    enough: int,
    rules: RiderRules,
    catalog: Catalog,
    zones: Sequence[Zone],
    at: datetime,
    trip_m: Mapping[VehicleClass, int] | None = None,
    first_page: int = PAGE,
    reach: SnapReach | None = None,
) -> tuple[Ranking, bool]:
    """:func:`rank`'s ranking of every candidate ``fetch`` reads, or its first ``enough`` (the
    same vehicles in the same order, ties too), and whether it is the whole one.

    A cut ranking's ``rejected`` counts only the candidates read; it is cut only when it holds
    ``enough`` vehicles, so a refusal always explains the whole reach. Each page is a read of
    its own: a vehicle taken or freed between two is seen as at the later read, as it would be
    by a booking a moment later; the hold's conditional update still judges who gets it.
    ``reach``: how far candidates can snap where they may stand (``Router.snap_reach``); if
    not given, as far as the router's maximum snap distance anywhere.
    """
    rider_snap = walk.snap_many([rider], strict=False)[0]
    ranked: list[Ranked] = []
    rejected: dict[str, int] = {}
    after: tuple[float, str] | None = None
    size = first_page
    while True:
        page = fetch(after, size)
        if page:
            part = rank(
                rider,
                [Candidate(r.vehicle_id, r.vehicle_class, r.position, r.soc_pct) for r in page],
                walk,
                rules=rules,
                catalog=catalog,
                zones=zones,
                at=at,
                trip_m=trip_m,
            )
            ranked = sorted([*ranked, *part.ranked], key=rank_key)
            for why, n in part.rejected.items():
                rejected[why] = rejected.get(why, 0) + n
        if len(page) < size:
            return Ranking(ranked, rejected), True
        after = page[-1].key
        if rider_snap.edge >= 0 and len(ranked) >= enough:
            snaps_m = (rider_snap.distance_m, walk.max_snap_distance_m)
            if walk_floor_s(page[-1].straight_m, *snaps_m, reach) > ranked[enough - 1].walk_s:
                return Ranking(ranked[:enough], rejected), False
        size *= 4
