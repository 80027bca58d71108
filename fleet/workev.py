"""Companies that book shared work EVs for their staff, and the reservations."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from fleet.delivery import TimeWindow
from fleet.exceptions import InvalidValue
from fleet.statemachine import Machine


@dataclass(frozen=True, slots=True)
class Company:
    """A company whose staff book work EVs."""

    id: str
    operator_id: str
    name: str

    def __post_init__(self) -> None:
        if not self.name.strip():
            msg = "a company needs a non-empty name"
            raise InvalidValue(msg)


class ReservationStatus(StrEnum):
    """A work-EV reservation from booking to return."""

    CONFIRMED = "confirmed"  # a specific EV is assigned
    FLAGGED = "flagged"  # no EV fits any more (late return); the admin must act
    PICKED_UP = "picked_up"
    RETURNED = "returned"
    CANCELLED = "cancelled"


_R = ReservationStatus
RESERVATION_MACHINE: Machine[ReservationStatus] = Machine(
    "reservation status",
    {
        _R.CONFIRMED: frozenset({_R.PICKED_UP, _R.CANCELLED, _R.FLAGGED}),
        _R.FLAGGED: frozenset({_R.CONFIRMED, _R.CANCELLED}),
        _R.PICKED_UP: frozenset({_R.RETURNED}),
        _R.RETURNED: frozenset(),
        _R.CANCELLED: frozenset(),
    },
)


@dataclass(frozen=True, slots=True)
class Reservation:
    """An employee's slot on a work EV at an EV hub."""

    id: str
    operator_id: str
    company_id: str
    employee_id: str
    hub_id: str
    slot: TimeWindow
    planned_distance_m: int
    status: ReservationStatus
    vehicle_id: str | None = None
    reason: str | None = None  # why flagged

    def __post_init__(self) -> None:
        if self.planned_distance_m <= 0:
            msg = f"planned_distance_m must be positive, got {self.planned_distance_m}"
            raise InvalidValue(msg)
        if self.status is ReservationStatus.CONFIRMED and self.vehicle_id is None:
            msg = "a confirmed reservation names its EV"
            raise InvalidValue(msg)
