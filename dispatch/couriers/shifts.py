"""Courier shifts: managers create, move and cancel them; couriers start and end theirs.

A shift holds its courier and its moped for its window: no two open shifts of one courier or
one moped overlap (checked with both rows locked, so two managers cannot both win). Ending a
shift early, or cancelling it, gives back the jobs its courier has not picked up (unassigned,
with the reason, for the next re-plan, which is requested); a courier with a parcel on board
cannot end the shift until it is delivered or failed.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from dispatch.couriers.service import CourierService
from fleet.catalog import VehicleClass
from fleet.db import identity as identity_db
from fleet.db import shifts as shifts_db
from fleet.db import vehicles as vehicles_db
from fleet.db.audit import record
from fleet.db.couriers import add_shift
from fleet.db.engine import Connection, reading, writing
from fleet.delivery import CourierShift, ShiftStatus, TimeWindow
from fleet.exceptions import Conflict, InvalidValue, NotFound
from fleet.identity import Role, User
from fleet.records import AuditEntry

#: The longest shift a manager may plan.
MAX_SHIFT_H = 12
MIN_SHIFT = timedelta(minutes=30)
#: How far ahead shifts are planned.
SHIFT_HORIZON = timedelta(days=366)
#: A courier may start a shift this early.
EARLY_START = timedelta(minutes=30)
ENDED_EARLY = "the courier ended their shift before taking it; the next re-plan takes it up"
CANCELLED = "the courier's shift was cancelled; the next re-plan takes it up"


def list_shifts(
    service: CourierService, manager: User, status_names: list[str], *, limit: int, offset: int
) -> tuple[list[shifts_db.NamedShift], int]:
    """A page of the operator's shifts by start.

    Raises
    ------
    InvalidValue
        A status that is not a shift's.
    """
    statuses = [_status(n) for n in status_names]
    with reading(service.engine) as conn:
        return shifts_db.list_shifts(
            conn, manager.operator_id, statuses, limit=limit, offset=offset
        )


def _status(name: str) -> ShiftStatus:
    try:
        return ShiftStatus(name)
    except ValueError:
        msg = f"unknown shift status {name!r}; one of: {', '.join(ShiftStatus)}"
        raise InvalidValue(msg) from None


def _window(service: CourierService, start: datetime, end: datetime) -> TimeWindow:
    if end <= start:
        msg = "a shift must end after it starts"
        raise InvalidValue(msg)
    if end - start < MIN_SHIFT:
        msg = f"a shift lasts at least {MIN_SHIFT.seconds // 60} minutes"
        raise InvalidValue(msg)
    if end - start > timedelta(hours=MAX_SHIFT_H):
        msg = f"a shift lasts at most {MAX_SHIFT_H} hours"
        raise InvalidValue(msg)
    if end <= service.clock.now():
        msg = "the shift would be over already"
        raise InvalidValue(msg)
    if start > service.clock.now() + SHIFT_HORIZON:
        msg = f"a shift is planned at most {SHIFT_HORIZON.days} days ahead"
        raise InvalidValue(msg)
    return TimeWindow(start, end)


def _check_parts(conn: Connection, manager: User, shift: CourierShift) -> None:
    try:
        courier = identity_db.get_user(conn, shift.courier_id)
    except NotFound:
        courier = None
    if courier is None or courier.operator_id != manager.operator_id:
        msg = f"no courier {shift.courier_id}"
        raise NotFound(msg)
    if courier.role is not Role.COURIER:
        msg = f"{courier.username} is not a courier"
        raise InvalidValue(msg)
    moped = vehicles_db.get_vehicle(conn, manager.operator_id, shift.vehicle_id)
    if moped.vehicle_class is not VehicleClass.E_MOPED:
        msg = f"vehicle {moped.code} is a {moped.vehicle_class}: couriers ride mopeds"
        raise InvalidValue(msg)


def create_shift(
    service: CourierService,
    manager: User,
    *,
    courier_id: str,
    vehicle_id: str,
    start: datetime,
    end: datetime,
) -> shifts_db.NamedShift:
    """Plan a shift for a courier on a moped.

    Raises
    ------
    InvalidValue
        Times backwards, too long or past; not a courier; not a moped.
    NotFound
        No such courier or vehicle of the operator.
    Conflict
        The courier or the moped is on another shift then.
    """
    shift = CourierShift(
        id=service.ids.new_id(),
        operator_id=manager.operator_id,
        courier_id=courier_id,
        vehicle_id=vehicle_id,
        window=_window(service, start, end),
        box_capacity_l=service.moped.cargo_l,
        status=ShiftStatus.SCHEDULED,
    )
    with writing(service.engine) as conn:
        _check_parts(conn, manager, shift)
        clash = shifts_db.clashing(conn, shift)
        if clash is not None:
            raise Conflict(clash)
        add_shift(conn, shift)
        _audit(conn, service, manager, shift, "shift.create", {"status": "scheduled"})
        return shifts_db.get_shift(conn, manager.operator_id, shift.id)


def edit_shift(
    service: CourierService,
    manager: User,
    shift_id: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    vehicle_id: str | None = None,
    status: str | None = None,
) -> shifts_db.NamedShift:
    """Move a shift, change its moped, or cancel it (scheduled) or end it (on duty). A
    cancelled or ended shift gives back the jobs not yet picked up.

    Raises
    ------
    InvalidValue, NotFound, Conflict
        As for :func:`create_shift`; a change the shift's status does not allow.
    """
    target = _status(status) if status is not None else None
    with writing(service.engine) as conn:
        shift = shifts_db.get_shift(conn, manager.operator_id, shift_id).shift
        values: dict[str, object] = {}
        if start is not None or end is not None or vehicle_id is not None:
            if shift.status is not ShiftStatus.SCHEDULED and (start or vehicle_id):
                msg = f"the shift is {shift.status}: only its end can move"
                raise Conflict(msg)
            window = _window(service, start or shift.window.start, end or shift.window.end)
            moved = replace(shift, window=window, vehicle_id=vehicle_id or shift.vehicle_id)
            _check_parts(conn, manager, moved)
            clash = shifts_db.clashing(conn, moved, ignore_id=shift.id)
            if clash is not None:
                raise Conflict(clash)
            values = {
                "start_at": window.start,
                "end_at": window.end,
                "vehicle_id": moved.vehicle_id,
            }
        if target in (ShiftStatus.CANCELLED, ShiftStatus.ENDED):
            _may_stop(conn, shift)
            shifts_db.give_back(conn, shift.id, CANCELLED)
        shifts_db.change_shift(conn, shift, target, **values)
        changes: dict[str, object] = {"status": status}
        changes.update({k: str(v) for k, v in values.items()})
        _audit(conn, service, manager, shift, "shift.edit", changes)
        return shifts_db.get_shift(conn, manager.operator_id, shift.id)


def _may_stop(conn: Connection, shift: CourierShift) -> None:
    on_board = shifts_db.parcels_on_board(conn, shift.id)
    if on_board:
        msg = (
            f"{on_board} parcel(s) on board: deliver them, or mark them failed, before the "
            "shift ends"
        )
        raise Conflict(msg)


def start_shift(service: CourierService, courier: User) -> shifts_db.NamedShift:
    """The courier is on duty (from half an hour before the shift's start); starting again is
    a no-op.

    Raises
    ------
    Conflict
        No shift of theirs starts now.
    """
    now = service.clock.now()
    with writing(service.engine) as conn:
        shift = shifts_db.open_shift_of(conn, courier.id, now + EARLY_START)
        if shift is None:
            msg = "you have no shift starting now"
            raise Conflict(msg)
        if shift.status is ShiftStatus.SCHEDULED:
            shifts_db.change_shift(conn, shift, ShiftStatus.ON_DUTY)
            _audit(conn, service, courier, shift, "shift.start", {"status": "on_duty"})
        return shifts_db.get_shift(conn, courier.operator_id, shift.id)


def end_shift(service: CourierService, courier: User) -> shifts_db.NamedShift:
    """The courier stops: the jobs they have not picked up go back.

    Raises
    ------
    Conflict
        No shift of theirs is open, or a parcel is still on board.
    """
    now = service.clock.now()
    with writing(service.engine) as conn:
        shift = shifts_db.open_shift_of(conn, courier.id, now)
        if shift is None:
            msg = "you have no shift open"
            raise Conflict(msg)
        _may_stop(conn, shift)
        if shift.status is ShiftStatus.SCHEDULED:
            shifts_db.change_shift(conn, shift, ShiftStatus.ON_DUTY)
            shift = replace(shift, status=ShiftStatus.ON_DUTY)
        given = shifts_db.give_back(conn, shift.id, ENDED_EARLY)
        # ended before its planned start (started early): one second long, so it stays a window
        end_at = max(min(now, shift.window.end), shift.window.start + timedelta(seconds=1))
        shifts_db.change_shift(conn, shift, ShiftStatus.ENDED, end_at=end_at)
        changes = {"status": "ended", "given_back": len(given)}
        _audit(conn, service, courier, shift, "shift.end", changes)
        ended = shifts_db.get_shift(conn, courier.operator_id, shift.id)
    if given:
        service.replans.job_posted(courier.operator_id, unassigned=True)
    return ended


def on_duty_for_pickup(
    conn: Connection, service: CourierService, courier: User, shift_id: str, now: datetime
) -> None:
    """A courier picking up a parcel is working: a scheduled shift of theirs starts with it,
    from half an hour before its start (as ``start_shift``); earlier, the pick-up is refused.

    Raises
    ------
    Conflict
        The shift starts more than half an hour later.
    """
    shift = shifts_db.get_shift(conn, courier.operator_id, shift_id).shift
    if shift.status is not ShiftStatus.SCHEDULED:
        return
    if now + EARLY_START < shift.window.start:
        opens = (shift.window.start - EARLY_START).astimezone(service.zone).isoformat()
        msg = f"your shift has not started: pick-ups open at {opens}"
        raise Conflict(msg)
    shifts_db.change_shift(conn, shift, ShiftStatus.ON_DUTY)
    _audit(conn, service, courier, shift, "shift.start", {"status": "on_duty", "by": "pick-up"})


def _audit(
    conn: Connection,
    service: CourierService,
    actor: User,
    shift: CourierShift,
    action: str,
    changes: dict[str, object],
) -> None:
    at = service.clock.now()
    record(
        conn,
        AuditEntry(at, shift.operator_id, actor.id, action, "courier_shift", shift.id, changes),
    )
