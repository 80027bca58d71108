"""Crews, their vans and shifts, and the plans a manager approves for them.

A plan (rebalancing moves or battery swaps) is proposed by the planner on the queue, then
approved, rejected, or left to expire; its tasks (``fleet.ops.OpsTask``) are what crews carry
out in route order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from fleet.catalog import VehicleClass
from fleet.clock import require_aware
from fleet.exceptions import InvalidValue
from fleet.statemachine import Machine

#: The longest crew shift.
MAX_SHIFT = timedelta(hours=12)
#: A proposed plan not decided within this long expires: the fleet has moved on.
PLAN_TTL = timedelta(minutes=30)
#: Classes a van can carry (work EVs are driven, not carried).
CARRIED = (VehicleClass.E_KICKBOARD, VehicleClass.E_BIKE, VehicleClass.E_MOPED)


@dataclass(frozen=True, slots=True)
class Van:
    """A crew van: how many vehicles of each class it carries at once and how many packs, and
    the depot it starts from and returns to."""

    id: str
    operator_id: str
    name: str
    depot_id: str
    capacity_vehicles: Mapping[VehicleClass, int]
    capacity_packs: int

    def __post_init__(self) -> None:
        if not self.name.strip():
            msg = "a van needs a non-empty name"
            raise InvalidValue(msg)
        unknown = set(self.capacity_vehicles) - set(CARRIED)
        if unknown:
            msg = f"van {self.name!r} cannot carry {', '.join(sorted(unknown))}"
            raise InvalidValue(msg)
        if self.capacity_packs < 0 or any(v < 0 for v in self.capacity_vehicles.values()):
            msg = f"van {self.name!r}: capacities must not be negative"
            raise InvalidValue(msg)


@dataclass(frozen=True, slots=True)
class CrewShift:
    """A crew member on shift with a van."""

    id: str
    operator_id: str
    crew_id: str
    van_id: str
    start_at: datetime
    end_at: datetime

    def __post_init__(self) -> None:
        require_aware("start_at", self.start_at)
        require_aware("end_at", self.end_at)
        if self.end_at <= self.start_at:
            msg = "a crew shift must end after it starts"
            raise InvalidValue(msg)
        if self.end_at - self.start_at > MAX_SHIFT:
            msg = f"a crew shift lasts at most {MAX_SHIFT.total_seconds() / 3600:g} h"
            raise InvalidValue(msg)

    def on_at(self, at: datetime) -> bool:
        """Whether the shift is on at ``at``."""
        return self.start_at <= at < self.end_at


class PlanStatus(StrEnum):
    """A crew plan's life."""

    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


_P = PlanStatus
PLAN_MACHINE: Machine[PlanStatus] = Machine(
    "crew plan status",
    {
        _P.PROPOSED: frozenset({_P.APPROVED, _P.REJECTED, _P.EXPIRED}),
        _P.APPROVED: frozenset(),
        _P.REJECTED: frozenset(),
        _P.EXPIRED: frozenset(),
    },
)


@dataclass(frozen=True, slots=True)
class OpsPlan:
    """A crew plan as stored. ``summary`` holds the routes and what the plan leaves undone."""

    id: str
    operator_id: str
    kind: str
    status: PlanStatus
    created_at: datetime
    expires_at: datetime
    bucket: str
    horizon_s: int
    expected_gain_trips: float
    solver: str
    summary: Mapping[str, object] = field(default_factory=dict)
    decided_at: datetime | None = None
    decided_by: str | None = None
    job_id: str | None = None
    version: int = 1

    def __post_init__(self) -> None:
        require_aware("created_at", self.created_at)
        require_aware("expires_at", self.expires_at)


def bucket_of(at: datetime, minutes: int = 15) -> str:
    """The ``minutes``-long bucket ``at`` falls in, as a UTC stamp ("2026-03-02T00:15Z"): one plan
    per operator, kind and bucket."""
    require_aware("at", at)
    utc = at.astimezone(UTC)
    start = utc.replace(minute=utc.minute - utc.minute % minutes, second=0, microsecond=0)
    return start.strftime("%Y-%m-%dT%H:%MZ")
