"""Rider bookings of bikes and PMs, and their status machine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from fleet.clock import require_aware
from fleet.exceptions import InvalidValue
from fleet.geo import Position
from fleet.statemachine import Machine


class BookingStatus(StrEnum):
    """A booking holds a vehicle, then becomes a trip, then ends."""

    HELD = "held"  # vehicle reserved for the rider until ``hold_until``
    ACTIVE = "active"  # unlocked, trip under way
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # hold ran out before unlock


_B = BookingStatus
BOOKING_MACHINE: Machine[BookingStatus] = Machine(
    "booking status",
    {
        _B.HELD: frozenset({_B.ACTIVE, _B.CANCELLED, _B.EXPIRED}),
        _B.ACTIVE: frozenset({_B.COMPLETED}),
        _B.COMPLETED: frozenset(),
        _B.CANCELLED: frozenset(),
        _B.EXPIRED: frozenset(),
    },
)


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a finished trip cost and did."""

    distance_m: int
    duration_s: int
    price_minor: int
    currency: str
    co2_avoided_g: int  # net: the car trip's CO2 less the charging's (may be negative)
    flag: str | None = None  # why the trip was not taken at its word (an implausible end)
    #: how ``distance_m`` was measured (``dispatch.riders.ridden.DistanceMethod``: map_matched,
    #: start_to_end); ``None`` on receipts stored before it was kept
    distance_method: str | None = None

    @property
    def implausible(self) -> bool:
        """Whether the trip's end was flagged."""
        return self.flag is not None

    def __post_init__(self) -> None:
        for name in ("distance_m", "duration_s", "price_minor"):
            if getattr(self, name) < 0:
                msg = f"a receipt's {name} must not be negative"
                raise InvalidValue(msg)


@dataclass(frozen=True, slots=True)
class Booking:
    """A rider's hold on a vehicle and, once unlocked, the trip: where it started and, once
    completed, its receipt."""

    id: str
    operator_id: str
    rider_id: str
    vehicle_id: str
    status: BookingStatus
    created_at: datetime
    hold_until: datetime
    started_at: datetime | None = None
    ended_at: datetime | None = None
    start: Position | None = None
    receipt: Receipt | None = None

    def __post_init__(self) -> None:
        for name in ("created_at", "hold_until", "started_at", "ended_at"):
            value = getattr(self, name)
            if value is not None:
                require_aware(name, value)
