"""Reservations as people read them: the EV's code, plate, model and charge, the hub's name and
the employee's name beside the ids, loaded in one read for a whole list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dispatch.workev.reservations import EvService
from fleet.db import identity as identity_db
from fleet.db import vehicles as vehicles_db
from fleet.db.engine import reading
from fleet.db.sites import list_sites
from fleet.identity import User
from fleet.sites import Site, SiteKind
from fleet.vehicles import Vehicle
from fleet.workev import Reservation


@dataclass(frozen=True, slots=True)
class ReservationView:
    """A reservation with what its ids stand for."""

    reservation: Reservation
    hub: Site
    vehicle: Vehicle | None
    employee: User | None


def describe(service: EvService, found: Sequence[Reservation]) -> list[ReservationView]:
    """Views of ``found`` (all of one operator), in their order."""
    if not found:
        return []
    operator_id = found[0].operator_id
    with reading(service.engine) as conn:
        hubs = {s.id: s for s in list_sites(conn, operator_id, SiteKind.EV_HUB)}
        evs = vehicles_db.vehicles_by_id(
            conn, operator_id, (r.vehicle_id for r in found if r.vehicle_id is not None)
        )
        people = identity_db.users_by_id(conn, (r.employee_id for r in found))
    return [
        ReservationView(
            r,
            hubs[r.hub_id],
            evs.get(r.vehicle_id) if r.vehicle_id is not None else None,
            people.get(r.employee_id),
        )
        for r in found
    ]
