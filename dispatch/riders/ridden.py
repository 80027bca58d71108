"""The distance a ride covered: its vehicle's telemetry between unlock and end, map-matched on
the road network of the vehicle's mode (issue 17, docs/telemetry.md "Distance ridden").

Pure: a router, the trip's two ends and the samples in; a :class:`Ridden` out. The start, the
samples and the end are matched together; the matched paths count as ridden, the road across
each break between them too (the matcher leaves that road unknown), and so do the legs from
where the trip started to the first matched point and from the last to where it ended (none
when start and end lie on the path). With too few samples on the road the distance is the road
distance from start to end, as before telemetry existed; :attr:`Ridden.method` says which.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from fleet.exceptions import InvalidValue
from fleet.geo import Position
from routing.engine import UNREACHABLE, Router
from routing.matching import Match, MatchedPath, MatchParams, Sample, match, point_of

#: The most samples a ride's distance is measured from: a longer track is thinned evenly (by the
#: database) to this many. Ending a ride answers a rider waiting at the kerb, and matching costs
#: about linearly in samples (an hour at 1 Hz took about a second on the development machine);
#: thinning a longer ride to every k-th fix only lengthens the steps the matcher bridges by road.
MAX_SAMPLES = 3_600
#: Fewer samples than this on the road, and the track says too little: start to end instead.
MIN_MATCHED = 3
#: A matched path of fewer samples than this, between two breaks, is a GPS jump (a fix far off
#: the ride that no road reaches in time), not riding: it is dropped and the road between the
#: paths around it counted instead. Real stretches between breaks are far longer at 1 Hz.
MIN_PATH_SAMPLES = 3


class DistanceMethod(StrEnum):
    """How a ride's distance was measured."""

    MATCHED = "map_matched"  # the vehicle's telemetry, matched to the roads
    START_TO_END = "start_to_end"  # too little telemetry: the road from start to end


@dataclass(frozen=True, slots=True)
class Ridden:
    """A ride's distance, how it was measured, and the samples behind it: those read and those
    on the matched paths kept."""

    distance_m: int
    method: DistanceMethod
    samples: int = 0
    matched: int = 0

    def __post_init__(self) -> None:
        if min(self.distance_m, self.samples, self.matched) < 0 or self.matched > self.samples:
            msg = "a ridden distance and its sample counts are not negative, matched ≤ samples"
            raise InvalidValue(msg)


def distance_ridden(
    router: Router,
    start: Position,
    end: Position,
    samples: Sequence[Sample],
    params: MatchParams | None = None,
) -> Ridden:
    """The distance ridden from ``start`` to ``end`` along ``samples`` (``(lat, lon, t_s)`` in
    time order) on ``router``'s network: the matched paths, the road across their breaks and
    the legs at both ends; start to end by road when fewer than :data:`MIN_MATCHED` samples lie
    on paths worth keeping.

    Raises
    ------
    SnapTooFar
        ``start`` or ``end`` is farther from the roads than the router snaps.
    SamplesOutOfOrder, InvalidValue
        The samples are not in time order, or not finite WGS84 numbers.
    """
    if len(samples) < MIN_MATCHED:
        return _start_to_end(router, start, end, len(samples))
    # Where the trip started and ended are fixes too (the vehicle's own at unlock, the rider's at
    # the end): matched with the track, the path runs from the one to the other, instead of
    # from a first fix a few noisy metres behind or ahead of the start plus a leg to it.
    first_s, last_s = samples[0][2], samples[-1][2]
    anchored = [(start.lat, start.lon, first_s), *samples, (end.lat, end.lon, last_s)]
    found = match(router, anchored, params)
    kept = _within_reach(router, found, anchored, kept_paths(found), params or MatchParams())
    matched = sum(n for _p, n in kept)
    if matched < MIN_MATCHED:
        return _start_to_end(router, start, end, len(samples))
    ends = [(_position(router, found, p.first), _position(router, found, p.last)) for p, _n in kept]
    # the leg in, the road across each break, the leg out: one small matrix each way
    legs = _road_m(
        router, [start, *(b for _a, b in ends)], [*(a for a, _b in ends), end], either_way=True
    )
    total = sum(p.length_m for p, _n in kept) + sum(legs)
    return Ridden(round(total), DistanceMethod.MATCHED, len(samples), matched)


def _start_to_end(router: Router, start: Position, end: Position, samples: int) -> Ridden:
    (road_m,) = _road_m(router, [start], [end])
    return Ridden(road_m, DistanceMethod.START_TO_END, samples, 0)


def kept_paths(found: Match) -> list[tuple[MatchedPath, int]]:
    """The paths of a match of the trip's start, its samples and its end that are riding, not
    a GPS jump (:data:`MIN_PATH_SAMPLES`), each with the samples it placed on the road (its
    own, up to where the next path starts; the start and end not counted)."""
    n = len(found.samples) - 1  # the end's index; the start's is 0
    stops = [p.first for p in found.paths[1:]] + [n + 1]
    placed = [
        (p, sum(s is not None for s in found.samples[max(p.first, 1) : min(stop, n)]))
        for p, stop in zip(found.paths, stops, strict=False)  # no path: nothing placed
    ]
    return [(p, k) for p, k in placed if k >= MIN_PATH_SAMPLES]


def _within_reach(
    router: Router,
    found: Match,
    anchored: Sequence[Sample],
    kept: list[tuple[MatchedPath, int]],
    params: MatchParams,
) -> list[tuple[MatchedPath, int]]:
    """``kept`` without the paths the vehicle could neither have reached from what it rode
    before nor left for what it rode after, in the time between (by road, at the matcher's top
    speed plus its slack): a fix stuck far off for a few seconds (an urban canyon) or a stale
    fix at the unlock. Such a path has its own samples, so :data:`MIN_PATH_SAMPLES` keeps it,
    and the road to it and back would be counted twice. The path with the most samples stays.
    """
    if len(kept) < 2:
        return kept
    points = [
        (_position(router, found, p.first), _position(router, found, p.last)) for p, _ in kept
    ]
    firsts = [Position(anchored[0][0], anchored[0][1]), *(b for _a, b in points)]
    seconds = [*(a for a, _b in points), Position(anchored[-1][0], anchored[-1][1])]
    times = [anchored[0][2], *(anchored[p.last][2] for p, _ in kept)]
    arrive = [*(anchored[p.first][2] for p, _ in kept), anchored[-1][2]]
    gaps = _road_m(router, firsts, seconds, either_way=True)
    reach = [
        gap <= params.max_speed_mps * max(0.0, t1 - t0) + params.slack_m
        for gap, t0, t1 in zip(gaps, times, arrive, strict=True)
    ]
    most = max(range(len(kept)), key=lambda i: kept[i][1])
    return [path for i, path in enumerate(kept) if i == most or reach[i] or reach[i + 1]]


def _position(router: Router, found: Match, sample: int) -> Position:
    point = found.samples[sample]
    assert point is not None  # a path starts and ends at samples the model placed
    return Position(*point_of(router, point))


def _road_m(
    router: Router, origins: list[Position], targets: list[Position], *, either_way: bool = False
) -> list[int]:
    """Road distance from each origin to its target (the straight line where no road links
    them, as for a vehicle parked off the network's reach).

    ``either_way``: the shorter of the two directions. The legs at the ends and the breaks join
    points a few fixes apart, each with its GPS error: a fix a metre past a junction onto a
    one-way street would otherwise cost the ride the block around it, and a rider walks a bike
    a few metres against a one-way rather than riding round. Counting the shorter way never
    credits more than was ridden."""
    road = router.matrix(origins, targets).distance_m.diagonal()
    if either_way:
        road = np.minimum(road, router.matrix(targets, origins).distance_m.diagonal())
    return [
        round(a.distance_m(b)) if d == UNREACHABLE else int(d)
        for a, b, d in zip(origins, targets, road.tolist(), strict=True)
    ]
