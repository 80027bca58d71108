"""Work-EV reservations end to end: staff, reserve, pick up, return, cancel, late returns.

Each change is one write transaction. On PostgreSQL the EVs of the hub are locked (``FOR
UPDATE``) before their timelines are read, and on SQLite writers are serialised by ``BEGIN
IMMEDIATE``; either way two reservations can never both take the same EV's time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from dispatch.exceptions import NoVehicleAvailable
from dispatch.workev.choice import Charging, EvState, Slot, charge_pct_at, choose_ev
from fleet.catalog import Catalog, VehicleClass, VehicleType
from fleet.clock import Clock, local_iso
from fleet.db import identity as identity_db
from fleet.db import reservations as reservations_db
from fleet.db import vehicles as vehicles_db
from fleet.db.engine import Connection, Engine, reading, writing
from fleet.db.sites import list_sites
from fleet.delivery import TimeWindow
from fleet.exceptions import Conflict, InvalidValue, NotFound
from fleet.identity import Role, User
from fleet.ids import Ids
from fleet.sites import Site, SiteKind
from fleet.vehicles import VehicleStatus
from fleet.workev import Reservation, ReservationStatus

#: An EV counts as standing at a hub within this distance of it.
HUB_RADIUS_M = 60.0
#: Staff may pick up this long before their slot.
EARLY_PICKUP = timedelta(minutes=15)
#: Reservations starting within this window after an overdue EV's due time are moved or flagged.
LATE_LOOKAHEAD = timedelta(minutes=30)
#: How far ahead a slot may start, and how long it may last (a trip of several days, not years).
HORIZON = timedelta(days=366)
MIN_SLOT, MAX_SLOT = timedelta(minutes=15), timedelta(days=7)


@dataclass(frozen=True, slots=True)
class EvService:
    """What reservations run on."""

    engine: Engine
    clock: Clock
    ids: Ids
    catalog: Catalog
    reserve_pct: int
    zone: tzinfo = UTC  # the city's: times in messages are shown in it

    def local(self, at: datetime) -> str:
        """``at`` as ISO 8601 in the city's zone."""
        return local_iso(at, self.zone)

    @property
    def ev_type(self) -> VehicleType:
        """The operator's work EV."""
        return self.catalog[VehicleClass.WORK_EV]

    def charging(self, hub: Site) -> Charging:
        """How EVs charge and keep their reserve at ``hub``."""
        return Charging(self.ev_type, hub.charger_power_kw, self.reserve_pct)


def register_staff(
    service: EvService, admin: User, *, username: str, display_name: str, password: str
) -> User:
    """A company admin adds an employee to their company."""
    if admin.company_id is None:
        msg = "only a company admin can register staff"
        raise InvalidValue(msg)
    with writing(service.engine) as conn:
        return identity_db.create_user(
            conn,
            operator_id=admin.operator_id,
            username=username,
            display_name=display_name,
            role=Role.EMPLOYEE,
            password=password,
            clock=service.clock,
            company_id=admin.company_id,
            actor_id=admin.id,
            ids=service.ids,
        )


def hub_by_id(conn: Connection, operator_id: str, hub_id: str) -> Site:
    for site in list_sites(conn, operator_id, SiteKind.EV_HUB):
        if site.id == hub_id:
            return site
    msg = f"no EV hub {hub_id}"
    raise NotFound(msg)


def hubs(service: EvService, user: User) -> list[Site]:
    """The operator's EV hubs, by name."""
    with reading(service.engine) as conn:
        return list_sites(conn, user.operator_id, SiteKind.EV_HUB)


def evs_at(
    conn: Connection, operator_id: str, hub: Site, *, lock: bool, exclude: Sequence[str] = ()
) -> list[EvState]:
    """The hub's EVs that can take a reservation, as the choice sees them. An EV low on battery
    and not plugged in is left out: it cannot be picked up until someone plugs it in (its
    status becomes ``charging``), and from then the charger's energy counts."""
    evs = [
        ev
        for ev in reservations_db.evs_at_hub(conn, operator_id, hub, HUB_RADIUS_M, lock=lock)
        if ev.id not in exclude and ev.status is not VehicleStatus.LOW_BATTERY
    ]
    booked = reservations_db.holding(conn, vehicle_ids=[ev.id for ev in evs]) if evs else []
    return [
        EvState(
            ev.id,
            ev.soc_pct,
            tuple(
                Slot(b.slot.start, b.slot.end, b.planned_distance_m, b.id)
                for b in booked
                if b.vehicle_id == ev.id
            ),
            plugged_in_since=ev.updated_at if ev.status is VehicleStatus.CHARGING else None,
        )
        for ev in evs
    ]


def reserve(
    service: EvService,
    employee: User,
    *,
    hub_id: str,
    start: datetime,
    end: datetime,
    planned_distance_m: int,
) -> Reservation:
    """Reserve a work EV at a hub for a slot.

    Raises
    ------
    InvalidValue
        A slot in the past, backwards, overlapping another of the employee's, or a trip longer
        than any EV's range.
    NotFound
        No such hub.
    NoVehicleAvailable
        No EV at the hub is free and charged enough for the slot.
    """
    now = service.clock.now()
    slot = TimeWindow(start, end)
    if slot.start < now:
        msg = f"the slot starts in the past ({service.local(slot.start)})"
        raise InvalidValue(msg)
    if slot.start > now + HORIZON:
        msg = f"the slot starts more than {HORIZON.days} days ahead"
        raise InvalidValue(msg)
    if slot.end - slot.start < MIN_SLOT:
        msg = f"a reservation lasts at least {MIN_SLOT.seconds // 60} minutes"
        raise InvalidValue(msg)
    if slot.end - slot.start > MAX_SLOT:
        msg = f"a reservation lasts at most {MAX_SLOT.days} days"
        raise InvalidValue(msg)
    if planned_distance_m <= 0:
        msg = "planned_distance_m must be positive"
        raise InvalidValue(msg)
    full_m = service.ev_type.range_full_m
    if planned_distance_m > full_m:
        msg = (
            f"a {planned_distance_m / 1000:.0f} km trip is longer than any EV's range "
            f"({full_m / 1000:.0f} km on a full charge)"
        )
        raise InvalidValue(msg)
    if employee.company_id is None:
        msg = "only company staff reserve work EVs"
        raise InvalidValue(msg)
    with writing(service.engine) as conn:
        identity_db.lock_user(conn, employee.id)  # one employee's reservations take turns
        hub = hub_by_id(conn, employee.operator_id, hub_id)
        for other in reservations_db.holding(conn, employee_id=employee.id):
            if other.slot.overlaps(slot):
                msg = f"this slot overlaps your reservation {other.id}"
                raise InvalidValue(msg)
        evs = evs_at(conn, employee.operator_id, hub, lock=True)
        wanted = Slot(slot.start, slot.end, planned_distance_m)
        chosen = choose_ev(evs, wanted, now, service.charging(hub))
        if chosen is None:
            msg = f"no EV at {hub.name} is free and charged enough for that slot"
            raise NoVehicleAvailable(msg)
        reservation = Reservation(
            id=service.ids.new_id(),
            operator_id=employee.operator_id,
            company_id=employee.company_id,
            employee_id=employee.id,
            hub_id=hub.id,
            slot=slot,
            planned_distance_m=planned_distance_m,
            status=ReservationStatus.CONFIRMED,
            vehicle_id=chosen,
        )
        return reservations_db.create(conn, reservation, now)


def _own(conn: Connection, user: User, reservation_id: str, *, lock: bool = False) -> Reservation:
    reservation = reservations_db.get(conn, user.operator_id, reservation_id, lock=lock)
    if reservation.employee_id != user.id:
        msg = "this reservation belongs to someone else"
        raise NotFound(msg)
    return reservation


def reservation_for(conn: Connection, user: User, reservation_id: str) -> Reservation:
    """The reservation if ``user`` may act on it: staff their own, a company admin their
    company's, a manager any of the operator's. Anyone else's is not found. Its row is locked
    (PostgreSQL) until the caller's write transaction ends."""
    if user.role is Role.MANAGER:
        return reservations_db.get(conn, user.operator_id, reservation_id, lock=True)
    if user.role is Role.COMPANY_ADMIN:
        reservation = reservations_db.get(conn, user.operator_id, reservation_id, lock=True)
        if reservation.company_id != user.company_id:
            msg = f"no reservation {reservation_id} of your company"
            raise NotFound(msg)
        return reservation
    return _own(conn, user, reservation_id, lock=True)


def handle_overdue(service: EvService) -> list[Reservation]:
    """Move the reservations that an overdue EV would miss to another EV that fits, or flag them
    to the company admin with the reason. Safe to run any number of times."""
    now = service.clock.now()
    changed: list[Reservation] = []
    with writing(service.engine) as conn:
        for late in reservations_db.overdue(conn, now):
            assert late.vehicle_id is not None
            following = [
                r
                for r in reservations_db.holding(conn, vehicle_ids=[late.vehicle_id])
                if r.status is ReservationStatus.CONFIRMED
                and r.id != late.id
                and r.slot.start <= now + LATE_LOOKAHEAD
            ]
            for reservation in following:
                changed.append(_move_or_flag(conn, service, reservation, now))
    return changed


def _move_or_flag(
    conn: Connection, service: EvService, reservation: Reservation, now: datetime
) -> Reservation:
    hub = hub_by_id(conn, reservation.operator_id, reservation.hub_id)
    assert reservation.vehicle_id is not None
    evs = evs_at(conn, reservation.operator_id, hub, lock=True, exclude=[reservation.vehicle_id])
    evs = [ev for ev in evs if _free_now(conn, reservation.operator_id, ev.vehicle_id)]
    wanted = Slot(reservation.slot.start, reservation.slot.end, reservation.planned_distance_m)
    chosen = choose_ev(evs, wanted, now, service.charging(hub))
    code = vehicles_db.get_vehicle(conn, reservation.operator_id, reservation.vehicle_id).code
    if chosen is not None:
        return reservations_db.reassign(
            conn, reservation, chosen, now, f"EV {code} was not returned on time"
        )
    reason = (
        f"EV {code} was not returned on time and no other EV at {hub.name} is free and "
        "charged enough for this slot"
    )
    return reservations_db.move(
        conn, reservation, ReservationStatus.FLAGGED, now, None, reason=reason
    )


def _free_now(conn: Connection, operator_id: str, vehicle_id: str) -> bool:
    status = vehicles_db.get_vehicle(conn, operator_id, vehicle_id).status
    return status in (VehicleStatus.AVAILABLE, VehicleStatus.CHARGING)


def pick_up(service: EvService, employee: User, reservation_id: str) -> Reservation:
    """Take the reserved EV (from 15 minutes before the slot)."""
    now = service.clock.now()
    with reading(service.engine) as conn:
        reservation = _own(conn, employee, reservation_id)
    opens = reservation.slot.start - EARLY_PICKUP
    if reservation.status is ReservationStatus.CONFIRMED and now < opens:
        msg = f"too early: pick-up opens at {service.local(opens)}"
        raise Conflict(msg)
    handle_overdue(service)  # the EV may still be out with someone late
    with writing(service.engine) as conn:
        reservation = _own(conn, employee, reservation_id, lock=True)  # no reassign under us
        if reservation.status is ReservationStatus.FLAGGED:
            msg = f"this reservation needs your admin: {reservation.reason}"
            raise Conflict(msg)
        picked = reservations_db.move(
            conn, reservation, ReservationStatus.PICKED_UP, now, employee.id
        )
        _unplug_and_go(conn, service, picked, now)
        return picked


def _unplug_and_go(
    conn: Connection, service: EvService, reservation: Reservation, now: datetime
) -> None:
    """Put the reserved EV in use; one on the charger leaves with what it has charged."""
    assert reservation.vehicle_id is not None
    ev = vehicles_db.get_vehicle(conn, reservation.operator_id, reservation.vehicle_id)
    values: dict[str, Any] = {}
    if ev.status is VehicleStatus.CHARGING:
        hub = hub_by_id(conn, reservation.operator_id, reservation.hub_id)
        state = EvState(ev.id, ev.soc_pct, (), plugged_in_since=ev.updated_at)
        values["soc_pct"] = charge_pct_at(state, now, service.charging(hub))
    elif ev.status is not VehicleStatus.AVAILABLE:
        msg = f"the reserved EV {ev.code} is {ev.status} at the hub; ask your admin"
        raise Conflict(msg)
    if not vehicles_db.set_vehicle_status(
        conn, ev.id, ev.status, VehicleStatus.IN_USE, now, **values
    ):
        msg = f"the reserved EV {ev.code} changed as you picked it up; try again"
        raise Conflict(msg)


def return_ev(
    service: EvService, employee: User, reservation_id: str, *, soc_pct: float, odometer_m: int
) -> Reservation:
    """Bring the EV back to its hub, reading its charge and odometer."""
    now = service.clock.now()
    with writing(service.engine) as conn:
        reservation = _own(conn, employee, reservation_id, lock=True)
        returned = reservations_db.move(
            conn, reservation, ReservationStatus.RETURNED, now, employee.id
        )
        assert reservation.vehicle_id is not None
        vehicle = vehicles_db.get_vehicle(conn, reservation.operator_id, reservation.vehicle_id)
        if odometer_m < vehicle.odometer_m:
            msg = f"odometer_m cannot go back from {vehicle.odometer_m} to {odometer_m}"
            raise InvalidValue(msg)
        if not 0 <= soc_pct <= 100 or math.isnan(soc_pct):
            msg = f"soc_pct must be between 0 and 100, got {soc_pct}"
            raise InvalidValue(msg)
        hub = hub_by_id(conn, reservation.operator_id, reservation.hub_id)
        low = service.ev_type.low_battery_pct
        after = VehicleStatus.LOW_BATTERY if soc_pct < low else VehicleStatus.AVAILABLE
        if hub.chargers > 0 and soc_pct < 100:
            after = VehicleStatus.CHARGING  # staff plug it in as they bring it back
        if not vehicles_db.set_vehicle_status(
            conn,
            reservation.vehicle_id,
            VehicleStatus.IN_USE,
            after,
            now,
            soc_pct=soc_pct,
            odometer_m=odometer_m,
            lat=hub.position.lat,
            lon=hub.position.lon,
        ):  # never drop the reading: say so, and store nothing
            msg = f"the reserved EV {vehicle.code} is {vehicle.status}, not in use; ask your admin"
            raise Conflict(msg)
        return returned


def cancel(service: EvService, user: User, reservation_id: str) -> Reservation:
    """Give the slot back before pick-up: the employee, their company admin or a manager."""
    now = service.clock.now()
    with writing(service.engine) as conn:
        reservation = reservation_for(conn, user, reservation_id)
        return reservations_db.move(conn, reservation, ReservationStatus.CANCELLED, now, user.id)


def list_reservations(service: EvService, user: User, status: str | None) -> list[Reservation]:
    """Reservations as the user may see them: staff their own, company admins their company's
    (flagged ones carry the reason), managers the operator's. Late EVs first move or flag the
    reservations they would miss, so the list is current."""
    handle_overdue(service)
    scope: dict[str, str | None] = {}
    if user.role is Role.EMPLOYEE:
        scope["employee_id"] = user.id
    elif user.role is Role.COMPANY_ADMIN:
        scope["company_id"] = user.company_id
    with reading(service.engine) as conn:
        return reservations_db.listing(conn, user.operator_id, status=status, **scope)
