"""Couriers' battery swaps at the stations their plans send them to.

A courier low on charge is routed via a station by the planners (``dispatch.couriers.planning``
and the OR-Tools model); at the cabinet the courier's pack goes into the slot of the charged
pack they take, and the moped's charge becomes that pack's.
"""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.couriers.service import CourierService
from fleet.db import packs as packs_db
from fleet.db import stops as stops_db
from fleet.db.engine import writing
from fleet.exceptions import ChangedMeanwhile
from fleet.identity import User
from fleet.plans import StopKind

#: Times a swap is made again from a fresh read when the moped or the pack changed meanwhile.
SWAP_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class Swapped:
    """The outcome of a swap: the pack now in the moped and what it gives."""

    pack_serial: str
    soc_pct: float
    range_m: int


def swapped(service: CourierService, courier: User, stop_id: str) -> Swapped:
    """The courier made the planned swap ``stop_id``, in one transaction (see
    ``fleet.db.packs.swap_at``). A concurrent change of the moped (a manager's edit) or of the
    pack (another swap) rolls the swap back; it is made again from what is stored then.

    Raises
    ------
    NotFound
        No such swap in the courier's plan.
    Conflict
        The swap is already made, or the station has no charged pack left.
    """
    now = service.clock.now()
    for attempt in range(SWAP_ATTEMPTS):
        try:
            with writing(service.engine) as conn:
                stops_db.hold_plans_of(conn, courier.id)
                stop, vehicle_id = stops_db.stop_of_courier(
                    conn, courier.id, stop_id=stop_id, kind=StopKind.SWAP
                )
                done = packs_db.swap_at(
                    conn, stop, vehicle_id, now, courier.id, service.moped.low_battery_pct
                )
            return Swapped(done.pack_in, done.soc_pct, service.range_m(done.soc_pct))
        except ChangedMeanwhile:
            if attempt == SWAP_ATTEMPTS - 1:
                raise
    raise AssertionError  # unreachable: the loop returns or raises
