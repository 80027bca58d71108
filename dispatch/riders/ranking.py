"""Which vehicle a rider gets: the pure decision, on plain data.

Candidates are the available vehicles near the rider. A vehicle qualifies when its class is
wanted, it stands outside no-ride zones and active closures, its charge covers the trip (or, with
no destination, a minimum range) with a reserve margin, and the rider can walk to it within the
limit. Qualifying vehicles are ranked by walking time, then by charge: the booking step tries
them in that order, so a vehicle taken meanwhile by someone else costs one retry, not a refusal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from fleet.catalog import Catalog, VehicleClass
from fleet.geo import Position
from fleet.vehicles import Vehicle
from fleet.zones import Zone, barred
from routing.engine import UNREACHABLE, Router

#: Metres a person covers per second of walking limit, as the crow flies (upper bound of the
#: walk network's 4.8 km/h): the radius of the candidate search.
WALK_M_PER_S = 4.8 / 3.6


@dataclass(frozen=True, slots=True)
class Candidate:
    """An available vehicle as the decision sees it."""

    vehicle_id: str
    vehicle_class: VehicleClass
    position: Position
    soc_pct: float

    @classmethod
    def of(cls, vehicle: Vehicle) -> Candidate:
        """The candidate a stored vehicle is."""
        return cls(vehicle.id, vehicle.vehicle_class, vehicle.position, vehicle.soc_pct)


@dataclass(frozen=True, slots=True)
class RiderRules:
    """The operator's booking rules (from settings)."""

    walk_limit_s: int
    reserve_pct: int
    min_range_m: int


@dataclass(frozen=True, slots=True)
class Ranked:
    """A qualifying vehicle and the rider's walk to it."""

    candidate: Candidate
    walk_s: int


@dataclass(frozen=True, slots=True)
class Ranking:
    """Qualifying vehicles, nearest first, and why the others did not qualify."""

    ranked: list[Ranked]
    rejected: Mapping[str, int]

    def explain(self) -> str:
        """Why no vehicle qualified, for the refusal message."""
        if not self.rejected:
            return "no available vehicle of the wanted classes near you"
        reasons = ", ".join(f"{n} {why}" for why, n in sorted(self.rejected.items()))
        return f"no vehicle qualifies ({reasons})"


def rank_key(ranked: Ranked) -> tuple[int, float, str]:
    """The ranking's order: the shortest walk, then the fullest battery, then the id."""
    return (ranked.walk_s, -ranked.candidate.soc_pct, ranked.candidate.vehicle_id)


def needed_range_m(
    vehicle_class: VehicleClass, trip_m: Mapping[VehicleClass, int] | None, rules: RiderRules
) -> int:
    """Range a vehicle must have left: the trip (or the minimum) plus the reserve margin."""
    base = trip_m[vehicle_class] if trip_m is not None else rules.min_range_m
    return int(base * (100 + rules.reserve_pct) / 100)


def rank(
    rider: Position,
    candidates: Sequence[Candidate],
    walk: Router,
    *,
    rules: RiderRules,
    catalog: Catalog,
    zones: Sequence[Zone],
    at: datetime,
    trip_m: Mapping[VehicleClass, int] | None = None,
) -> Ranking:
    """Rank the candidates that qualify for this rider (see the module docstring)."""
    rejected: dict[str, int] = {}

    def reject(why: str, n: int = 1) -> None:
        if n:
            rejected[why] = rejected.get(why, 0) + n

    blocked = barred(zones, [c.position for c in candidates], at)
    reject("in a no-ride zone or closure", int(blocked.sum()))
    charged = []
    for c, is_blocked in zip(candidates, blocked, strict=True):
        if is_blocked:
            continue
        if trip_m is not None and c.vehicle_class not in trip_m:
            reject("of a class that cannot reach the destination")
            continue
        if catalog[c.vehicle_class].range_m(c.soc_pct) < needed_range_m(
            c.vehicle_class, trip_m, rules
        ):
            reject("with too little charge")
            continue
        charged.append(c)
    if not charged:
        return Ranking([], rejected)
    walk_s = walk.within(rider, [c.position for c in charged], rules.walk_limit_s).duration_s[0]
    ranked = [
        Ranked(c, int(w))
        for c, w in zip(charged, walk_s, strict=True)
        if w != UNREACHABLE and w <= rules.walk_limit_s
    ]
    reject("too far to walk", len(charged) - len(ranked))
    ranked.sort(key=rank_key)
    return Ranking(ranked, rejected)
