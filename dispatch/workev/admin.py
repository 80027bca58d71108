"""What a company admin (or the operator's manager) does for their staff's reservations: move one
to another EV of its hub that fits. Cancelling is ``reservations.cancel``, open to them too."""

from __future__ import annotations

from dispatch.exceptions import NoVehicleAvailable
from dispatch.workev.choice import Slot, choose_ev
from dispatch.workev.reservations import (
    EvService,
    evs_at,
    handle_overdue,
    hub_by_id,
    reservation_for,
)
from fleet.db import reservations as reservations_db
from fleet.db.engine import writing
from fleet.exceptions import Conflict
from fleet.identity import User
from fleet.workev import Reservation, ReservationStatus

#: Reservations that may still move to another EV.
MOVABLE = (ReservationStatus.CONFIRMED, ReservationStatus.FLAGGED)


def reassign(
    service: EvService, user: User, reservation_id: str, vehicle_id: str | None = None
) -> Reservation:
    """Put a confirmed or flagged reservation on another EV of its hub: ``vehicle_id`` if it is
    free and charged enough for the slot, else the best fit among the hub's EVs.

    Raises
    ------
    NotFound
        No such reservation of the user's company (or operator, for a manager).
    Conflict
        The reservation is picked up, returned or cancelled, or ``vehicle_id`` is no EV of the
        hub that can take reservations.
    NoVehicleAvailable
        No other EV of the hub is free and charged enough for the slot.
    """
    handle_overdue(service)  # a late EV may have flagged it already; act on the current state
    now = service.clock.now()
    with writing(service.engine) as conn:
        reservation = reservation_for(conn, user, reservation_id)
        if reservation.status not in MOVABLE:
            msg = f"a {reservation.status} reservation cannot move to another EV"
            raise Conflict(msg)
        hub = hub_by_id(conn, reservation.operator_id, reservation.hub_id)
        current = [reservation.vehicle_id] if reservation.vehicle_id is not None else []
        evs = evs_at(conn, reservation.operator_id, hub, lock=True, exclude=current)
        if vehicle_id is not None:
            evs = [ev for ev in evs if ev.vehicle_id == vehicle_id]
            if not evs:
                msg = f"EV {vehicle_id} is not another EV at {hub.name} that takes reservations"
                raise Conflict(msg)
        wanted = Slot(reservation.slot.start, reservation.slot.end, reservation.planned_distance_m)
        chosen = choose_ev(evs, wanted, now, service.charging(hub))
        if chosen is None:
            msg = f"no other EV at {hub.name} is free and charged enough for this slot"
            raise NoVehicleAvailable(msg)
        reason = f"moved by {user.display_name}"
        return reservations_db.reassign(conn, reservation, chosen, now, reason, actor_id=user.id)
