"""Delivery jobs posted by merchants and the shifts of the couriers who carry them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from fleet.clock import require_aware
from fleet.exceptions import InvalidValue
from fleet.geo import Position
from fleet.statemachine import Machine


class JobStatus(StrEnum):
    """A parcel's way from the store to the customer."""

    POSTED = "posted"  # waiting for a courier
    ASSIGNED = "assigned"  # in a courier's plan
    PICKED_UP = "picked_up"
    DELIVERED = "delivered"
    FAILED = "failed"  # delivery failed, with a reason (rows from before return legs)
    UNASSIGNED = "unassigned"  # no feasible courier, with a reason
    CANCELLED = "cancelled"
    PICKUP_FAILED = "pickup_failed"  # the courier could not pick it up, with a reason (final)
    RETURNING = "returning"  # delivery failed (reason) or cancelled: on board, back to the store
    RETURNED = "returned"  # back at the store


#: Jobs a courier may still have to do something about (the planners' jobs).
OPEN_JOB_STATUSES = (
    JobStatus.POSTED,
    JobStatus.ASSIGNED,
    JobStatus.UNASSIGNED,
    JobStatus.PICKED_UP,
    JobStatus.RETURNING,
)

#: Jobs whose parcel is in a courier's box: committed work, never given back by a planner.
ON_BOARD_STATUSES = (JobStatus.PICKED_UP, JobStatus.RETURNING)

_J = JobStatus
#: Job statuses that only rows from older versions hold: nothing moves a job into them now.
LEGACY_JOB_STATUSES = frozenset({JobStatus.FAILED})

JOB_MACHINE: Machine[JobStatus] = Machine(
    "delivery job status",
    {
        _J.POSTED: frozenset({_J.ASSIGNED, _J.UNASSIGNED, _J.CANCELLED}),
        _J.UNASSIGNED: frozenset({_J.ASSIGNED, _J.CANCELLED}),
        _J.ASSIGNED: frozenset({_J.PICKED_UP, _J.UNASSIGNED, _J.CANCELLED, _J.PICKUP_FAILED}),
        _J.PICKED_UP: frozenset({_J.DELIVERED, _J.RETURNING}),
        _J.RETURNING: frozenset({_J.RETURNED}),
        _J.RETURNED: frozenset(),
        _J.DELIVERED: frozenset(),
        _J.FAILED: frozenset(),
        _J.CANCELLED: frozenset(),
        _J.PICKUP_FAILED: frozenset(),
    },
)


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """An interval ``[start, end)`` of timezone-aware instants."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        require_aware("window start", self.start)
        require_aware("window end", self.end)
        if self.end <= self.start:
            msg = f"a time window must end after it starts ({self.start} – {self.end})"
            raise InvalidValue(msg)

    @property
    def duration_s(self) -> int:
        """Length in seconds."""
        return int((self.end - self.start).total_seconds())

    def overlaps(self, other: TimeWindow) -> bool:
        """Whether the two half-open intervals share an instant."""
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True, slots=True)
class DeliveryJob:
    """A parcel to carry from a merchant's store to a customer."""

    id: str
    operator_id: str
    merchant_id: str
    pickup: Position
    dropoff: Position
    pickup_window: TimeWindow
    dropoff_window: TimeWindow
    parcel_l: int  # parcel volume in litres, checked against box capacity
    status: JobStatus
    created_at: datetime
    courier_id: str | None = None
    reason: str | None = None  # why failed or unassigned
    tracking_token: str | None = None  # the customer follows the job with it (unguessable)
    proof_code: str | None = None  # the customer gives it to the courier at the door

    def __post_init__(self) -> None:
        if self.parcel_l <= 0:
            msg = f"parcel_l must be positive, got {self.parcel_l}"
            raise InvalidValue(msg)
        if self.dropoff_window.end <= self.pickup_window.start:
            msg = "the drop-off window must end after the pick-up window starts"
            raise InvalidValue(msg)
        require_aware("created_at", self.created_at)


class ShiftStatus(StrEnum):
    """A courier's shift."""

    SCHEDULED = "scheduled"
    ON_DUTY = "on_duty"
    ENDED = "ended"
    CANCELLED = "cancelled"


_H = ShiftStatus
SHIFT_MACHINE: Machine[ShiftStatus] = Machine(
    "courier shift status",
    {
        _H.SCHEDULED: frozenset({_H.ON_DUTY, _H.CANCELLED}),
        _H.ON_DUTY: frozenset({_H.ENDED}),
        _H.ENDED: frozenset(),
        _H.CANCELLED: frozenset(),
    },
)


@dataclass(frozen=True, slots=True)
class CourierShift:
    """When a courier works, on which two-wheeler, with how big a box."""

    id: str
    operator_id: str
    courier_id: str
    vehicle_id: str
    window: TimeWindow
    box_capacity_l: int
    status: ShiftStatus

    def __post_init__(self) -> None:
        if self.box_capacity_l <= 0:
            msg = f"box_capacity_l must be positive, got {self.box_capacity_l}"
            raise InvalidValue(msg)
