"""Couriers' plans: the stops of a shift in order, what a planner reads, and what it writes.

A planner (inserting a new job, or re-optimising every courier with OR-Tools) reads a
:class:`PlanSnapshot` once, computes with no lock held, and hands a :class:`PlanChange` to the
one plan writer, which writes it only over the plan versions it read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from fleet.clock import require_aware
from fleet.delivery import CourierShift, DeliveryJob
from fleet.exceptions import InvalidValue
from fleet.geo import Position
from fleet.vehicles import check_soc
from fleet.zones import Zone


class StopKind(StrEnum):
    """What a courier does at a stop."""

    PICKUP = "pickup"
    DROPOFF = "dropoff"
    SWAP = "swap"  # exchange the moped's pack at a swap station
    RETURN = "return"  # bring a parcel that could not be delivered back to its store


class StopStatus(StrEnum):
    """A planned stop, until the courier makes it."""

    PLANNED = "planned"
    DONE = "done"
    FAILED = "failed"


def _check_stop(kind: StopKind, job_id: str | None, site_id: str | None) -> None:
    if kind is StopKind.SWAP and (site_id is None or job_id is not None):
        msg = "a swap stop names its station and no job"
        raise InvalidValue(msg)
    if kind is not StopKind.SWAP and (job_id is None or site_id is not None):
        msg = f"a {kind} stop names its job and no station"
        raise InvalidValue(msg)


@dataclass(frozen=True, slots=True)
class PlannedStop:
    """A stop of a shift's plan as stored."""

    id: str
    shift_id: str
    kind: StopKind
    seq: int
    position: Position
    eta: datetime
    status: StopStatus
    job_id: str | None = None
    site_id: str | None = None

    def __post_init__(self) -> None:
        _check_stop(self.kind, self.job_id, self.site_id)
        require_aware("eta", self.eta)


@dataclass(frozen=True, slots=True)
class StopPlan:
    """A stop as a planner writes it: what, where, and when the courier gets there."""

    kind: StopKind
    position: Position
    eta: datetime
    job_id: str | None = None
    site_id: str | None = None

    def __post_init__(self) -> None:
        _check_stop(self.kind, self.job_id, self.site_id)
        require_aware("eta", self.eta)


@dataclass(frozen=True, slots=True)
class OpenShift:
    """A shift not yet over, with its moped's place and charge and its plan's version, and
    whether the moped can be ridden (not in the workshop, offline, or a rider's)."""

    shift: CourierShift
    position: Position
    soc_pct: float
    plan_version: int
    vehicle_usable: bool = True

    def __post_init__(self) -> None:
        check_soc(self.soc_pct)


@dataclass(frozen=True, slots=True)
class SwapStation:
    """A swap station as planners see it: the charged packs it can hand out, the best one's
    charge."""

    site_id: str
    name: str
    position: Position
    charged_packs: int
    best_soc_pct: float


@dataclass(frozen=True, slots=True)
class PlanSnapshot:
    """What a planner reads of an operator at one instant: open shifts, their planned stops (each
    shift's in order), the jobs involved, the swap stations with charged packs and the zones."""

    operator_id: str
    at: datetime
    shifts: tuple[OpenShift, ...]
    stops: tuple[PlannedStop, ...]
    jobs: Mapping[str, DeliveryJob]
    stations: tuple[SwapStation, ...]
    zones: tuple[Zone, ...]

    def stops_of(self, shift_id: str) -> list[PlannedStop]:
        """The planned stops of one shift, in order."""
        return [s for s in self.stops if s.shift_id == shift_id]


@dataclass(frozen=True, slots=True)
class PlanChange:
    """What a planner writes: the new stops of each shift it re-planned (over the plan version
    it read) and the jobs it gives back, each with the reason."""

    operator_id: str
    versions: Mapping[str, int]
    routes: Mapping[str, tuple[StopPlan, ...]]
    dropped: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unread = set(self.routes) - set(self.versions)
        if unread:
            msg = f"a plan change writes shifts it did not read: {sorted(unread)}"
            raise InvalidValue(msg)
