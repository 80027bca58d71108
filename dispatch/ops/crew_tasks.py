"""What crews do with their tasks: read them in route order, start, complete, fail.

Starting a task on a vehicle holds it (``in_transit``: riders cannot book it) from the moment the
crew heads for it. Completing a swap moves a charged pack from the van into the vehicle and the
spent one into the van, updating the vehicle's charge and status, in one transaction; completing
a station visit loads the packs reserved for it into the van and docks the van's spent packs in
free slots; completing a drop puts the vehicle where it was left. Every change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from dispatch.ops.crews import CrewService
from fleet.db import crews as crews_db
from fleet.db import ops_plans as plans_db
from fleet.db import stock as stock_db
from fleet.db.audit import record
from fleet.db.engine import Connection, reading, writing
from fleet.db.sites import list_zones
from fleet.db.vehicles import vehicle_version, write_if_version
from fleet.exceptions import Conflict, InvalidValue, NotFound
from fleet.geo import Position, haversine_m
from fleet.identity import User
from fleet.ops import OpsTask, TaskKind, TaskStatus
from fleet.records import AuditEntry
from fleet.vehicles import Vehicle, VehicleStatus, status_for_charge
from fleet.zones import ZoneKind, check_in_service_area, inside
from routing.modes import Mode

#: What a held vehicle was, by the task kind that holds it.
HELD = VehicleStatus.IN_TRANSIT


@dataclass(frozen=True, slots=True)
class TaskView:
    """A crew's task with the road from the previous stop (GeoJSON coordinates, or empty)."""

    task: OpsTask
    route: list[tuple[float, float]]
    distance_m: int
    duration_s: int


def my_tasks(service: CrewService, crew: User) -> list[TaskView]:
    """The crew member's tasks of approved plans, open ones first in route order, each with the
    road from the one before (the depot for the first)."""
    now = service.clock.now()
    with reading(service.engine) as conn:
        shifts = [
            s for s in crews_db.shifts_on(conn, crew.operator_id, now) if s.shift.crew_id == crew.id
        ]
        tasks = plans_db.shift_tasks(conn, [s.shift.id for s in shifts])
        zones = list_zones(conn, crew.operator_id)
    depots = {s.shift.id: s.depot for s in shifts}
    router = service.routers.router(Mode.CAR)
    closures = [z for z in zones if z.closes_roads(now)]
    views, last = [], dict(depots)
    for t in tasks:
        where, here = last.get(t.shift_id or ""), t.target
        route = None
        if where is not None and here is not None and t.status is not TaskStatus.CANCELLED:
            try:
                route = router.route(where, here, closures=closures, at=now)
            except InvalidValue:  # a stop inside a closure made since: no road drawn
                route = None
            last[t.shift_id or ""] = here
        views.append(
            TaskView(
                t,
                list(route.coordinates) if route else [],
                route.distance_m if route else 0,
                route.duration_s if route else 0,
            )
        )
    return views


def _mine(conn: Connection, crew: User, task_id: str) -> OpsTask:
    task = plans_db.get_task(conn, crew.operator_id, task_id)
    if task.assignee_id != crew.id:
        msg = f"no task {task_id} of yours"
        raise NotFound(msg)
    return task


def _audit(
    conn: Connection, task: OpsTask, crew: User, at: datetime, action: str, **c: Any
) -> None:
    record(
        conn,
        AuditEntry(at, task.operator_id, crew.id, f"task.{action}", "ops_task", task.id, dict(c)),
    )


def _move(conn: Connection, task: OpsTask, target: TaskStatus, at: datetime, **values: Any) -> None:
    if not plans_db.set_task_status(conn, task, target, at, **values):
        msg = f"task {task.id} changed meanwhile; read your tasks again"
        raise Conflict(msg)


def start(service: CrewService, crew: User, task_id: str) -> OpsTask:
    """Start a task: the crew heads for it, and its vehicle is held.

    Raises
    ------
    NotFound
        No such task assigned to the crew member.
    Conflict
        The task is not assigned (started, done, cancelled), or its vehicle was booked meanwhile.
    """
    now = service.clock.now()
    with writing(service.engine) as conn:
        task = _mine(conn, crew, task_id)
        if task.status is not TaskStatus.ASSIGNED:
            msg = f"task {task_id} is {task.status}; only an assigned task can be started"
            raise Conflict(msg)
        if task.is_drop and task.pair_sequence is not None:
            picked = _pair(conn, task)
            if picked is not None and picked.status is not TaskStatus.DONE:
                msg = f"pick the vehicle up first (task {picked.id} is {picked.status})"
                raise Conflict(msg)
        if task.vehicle_id is not None and not task.is_drop:
            vehicle, version = vehicle_version(conn, task.vehicle_id)
            if vehicle.status not in (VehicleStatus.AVAILABLE, VehicleStatus.LOW_BATTERY):
                msg = f"the vehicle is {vehicle.status} now: fail the task with that reason"
                raise Conflict(msg)
            write_if_version(conn, replace(vehicle, status=HELD, updated_at=now), version)
        _move(conn, task, TaskStatus.IN_PROGRESS, now)
        _audit(conn, task, crew, now, "start")
        return plans_db.get_task(conn, crew.operator_id, task_id)


def _release(vehicle: Vehicle, low_pct: float, at: datetime, **changes: Any) -> Vehicle:
    """A held vehicle back in service, its status following its charge."""
    moved = replace(vehicle, updated_at=at, **changes)
    free = status_for_charge(VehicleStatus.AVAILABLE, moved.soc_pct, low_pct)
    return replace(moved, status=free)


def _swap(service: CrewService, conn: Connection, task: OpsTask, at: datetime) -> dict[str, Any]:
    assert task.vehicle_id is not None and task.shift_id is not None
    vehicle, version = _held(conn, task)
    fresh = stock_db.charged_in_van(conn, task.shift_id, vehicle.vehicle_class)
    if fresh is None:
        msg = f"the van has no charged {vehicle.vehicle_class} pack: load packs at a station first"
        raise Conflict(msg)
    serial, soc = fresh
    spent = vehicle.battery_serial
    stock_db.exchange(conn, vehicle.id, spent, vehicle.soc_pct, serial, task.shift_id, at)
    low = service.catalog[vehicle.vehicle_class].low_battery_pct
    done = _release(vehicle, low, at, soc_pct=soc, battery_serial=serial)
    write_if_version(conn, done, version)
    return {"pack_in": serial, "pack_out": spent, "soc_pct": [vehicle.soc_pct, done.soc_pct]}


def _load(conn: Connection, task: OpsTask, at: datetime) -> dict[str, Any]:
    """Reserved packs into the van; the van's spent packs into the station's free slots."""
    assert task.site_id is not None and task.shift_id is not None
    loaded = stock_db.load_reserved(conn, task.id, task.shift_id)
    docked = stock_db.dock_spent(conn, task.site_id, task.shift_id, at)
    return {"station": task.site_id, "loaded": loaded, "docked": docked}


#: How far from the planned place a crew may leave a vehicle (a blocked kerb, a better spot).
DROP_WITHIN_M = 300.0


def _check_drop_place(conn: Connection, task: OpsTask, place: Position, at: datetime) -> None:
    """Refuse a place the planner would not have chosen: outside the service area, in a
    no-parking or no-ride zone or a closure in force, or far from the planned place."""
    zones = list_zones(conn, task.operator_id)
    check_in_service_area(zones, place, "the drop")
    barring = [
        z for z in zones if z.kind in (ZoneKind.NO_PARKING, ZoneKind.NO_RIDE) or z.closes_roads(at)
    ]
    hit = next((z for z in barring if bool(inside(z, [place])[0])), None)
    if hit is not None:
        msg = f"a vehicle may not be left in {hit.kind} {hit.name!r}: leave it elsewhere"
        raise InvalidValue(msg)
    if task.target is not None:
        off = haversine_m(place.lat, place.lon, task.target.lat, task.target.lon)
        if off > DROP_WITHIN_M:
            msg = (
                f"the drop is {off:.0f} m from the planned place; leave the vehicle within "
                f"{DROP_WITHIN_M:.0f} m of it, or fail the task and say why"
            )
            raise InvalidValue(msg)


def _held(conn: Connection, task: OpsTask) -> tuple[Vehicle, int]:
    """The task's vehicle, which the crew must still hold (a manager may have taken it)."""
    assert task.vehicle_id is not None
    vehicle, version = vehicle_version(conn, task.vehicle_id)
    if vehicle.status is not HELD:
        msg = f"the vehicle is {vehicle.status} now, not held by the crew: fail the task"
        raise Conflict(msg)
    return vehicle, version


def _drop(
    service: CrewService, conn: Connection, task: OpsTask, at: datetime, where: Position | None
) -> dict[str, Any]:
    assert task.vehicle_id is not None and task.target is not None
    place = where or task.target
    _check_drop_place(conn, task, place, at)
    vehicle, version = _held(conn, task)
    low = service.catalog[vehicle.vehicle_class].low_battery_pct
    write_if_version(conn, _release(vehicle, low, at, position=place), version)
    return {"lat": place.lat, "lon": place.lon}


def complete(
    service: CrewService, crew: User, task_id: str, where: Position | None = None
) -> OpsTask:
    """Complete a started task (``where``: a drop's actual place, if not the planned one).

    Raises
    ------
    NotFound
        As for :func:`start`.
    Conflict
        The task is not in progress, or the van has no charged pack for a swap.
    InvalidValue
        A drop in a no-parking or no-ride zone or an active closure.
    """
    now = service.clock.now()
    with writing(service.engine) as conn:
        task = _mine(conn, crew, task_id)
        if task.status is not TaskStatus.IN_PROGRESS:
            msg = f"task {task_id} is {task.status}; start it before completing it"
            raise Conflict(msg)
        changes: dict[str, Any] = {}
        if task.kind is TaskKind.SWAP:
            changes = _swap(service, conn, task, now)
        elif task.kind is TaskKind.CHARGE:
            changes = _load(conn, task, now)
        elif task.kind is TaskKind.REBALANCE and task.is_drop:
            changes = _drop(service, conn, task, now, where)
        _move(conn, task, TaskStatus.DONE, now)
        _audit(conn, task, crew, now, "complete", **changes)
        return plans_db.get_task(conn, crew.operator_id, task_id)


def fail(
    service: CrewService, crew: User, task_id: str, reason: str, where: Position | None = None
) -> OpsTask:
    """Fail a task with its reason. One not started yet is cancelled; a started one fails, and
    its vehicle goes back in service (a failed
    pick-up's drop is cancelled with it; a vehicle whose drop failed is left at ``where``, or
    brought back where it was picked up), a station visit's packs are released.

    Raises
    ------
    InvalidValue
        An empty reason.
    NotFound, Conflict
        As for :func:`start`.
    """
    if not reason.strip():
        msg = "say why the task failed"
        raise InvalidValue(msg)
    now = service.clock.now()
    with writing(service.engine) as conn:
        task = _mine(conn, crew, task_id)
        if task.status is TaskStatus.ASSIGNED:  # found undoable before setting off
            return _call_off(conn, crew, task, now, reason.strip()[:500])
        if task.status is not TaskStatus.IN_PROGRESS:
            msg = f"task {task_id} is {task.status}; only an assigned or started task can fail"
            raise Conflict(msg)
        if task.vehicle_id is not None:
            vehicle, version = vehicle_version(conn, task.vehicle_id)
            if vehicle.status is HELD:
                low = service.catalog[vehicle.vehicle_class].low_battery_pct
                moved: dict[str, Any] = {}
                if task.is_drop and where is not None:
                    _check_drop_place(conn, replace(task, target=None), where, now)
                    moved = {"position": where}
                write_if_version(conn, _release(vehicle, low, now, **moved), version)
            if task.pair_sequence is not None and not task.is_drop:
                _cancel_pair(conn, task, crew, now, reason)
        if task.kind is TaskKind.CHARGE:
            stock_db.release_packs(conn, [task.id])
        _move(conn, task, TaskStatus.FAILED, now, failure_reason=reason.strip()[:500])
        _audit(conn, task, crew, now, "fail", reason=reason.strip()[:500])
        return plans_db.get_task(conn, crew.operator_id, task_id)


def _call_off(conn: Connection, crew: User, task: OpsTask, at: datetime, reason: str) -> OpsTask:
    """A task the crew cannot do, said before starting it: cancelled with the reason (nothing
    was held), its packs released, a pick-up's drop cancelled with it."""
    if task.kind is TaskKind.CHARGE:
        stock_db.release_packs(conn, [task.id])
    if task.pair_sequence is not None and not task.is_drop:
        _cancel_pair(conn, task, crew, at, reason)
    _move(conn, task, TaskStatus.CANCELLED, at, failure_reason=reason)
    _audit(conn, task, crew, at, "cancel", reason=reason)
    return plans_db.get_task(conn, crew.operator_id, task.id)


def _pair(conn: Connection, task: OpsTask) -> OpsTask | None:
    """The other half of a move."""
    for other in plans_db.plan_tasks(conn, task.plan_id or ""):
        if other.shift_id == task.shift_id and other.sequence == task.pair_sequence:
            return other
    return None


def _cancel_pair(conn: Connection, task: OpsTask, crew: User, at: datetime, reason: str) -> None:
    other = _pair(conn, task)
    if other is not None and other.status in (TaskStatus.OPEN, TaskStatus.ASSIGNED):
        why = f"pick-up failed: {reason}"
        plans_db.set_task_status(conn, other, TaskStatus.CANCELLED, at, failure_reason=why)
        _audit(conn, other, crew, at, "cancel", reason=why)


#: The reason a task a manager called off carries.
CANCELLED_BY_MANAGER = "cancelled by a manager"


def cancel(service: CrewService, manager: User, task_id: str) -> OpsTask:
    """A manager calls off a task of an approved plan the crew has not started: it is cancelled
    with the other half of its move (if not started), a station visit's reserved packs are
    released, and a vehicle a done pick-up holds for this drop goes back in service where it
    was picked up (its status following its charge). One transaction, audited.

    Raises
    ------
    NotFound
        No such task of the manager's operator.
    Conflict
        The task is not assigned (a proposal's, started, done, failed or cancelled), or the
        pick-up of its move is under way (the crew fails it instead).
    """
    now = service.clock.now()
    with writing(service.engine) as conn:
        task = plans_db.get_task(conn, manager.operator_id, task_id)
        if task.status is not TaskStatus.ASSIGNED:
            msg = (
                f"task {task_id} is {task.status}; only a task of an approved plan not yet "
                "started can be cancelled"
            )
            raise Conflict(msg)
        other = _pair(conn, task) if task.pair_sequence is not None else None
        if other is not None and other.status is TaskStatus.IN_PROGRESS:
            msg = f"its move's other half (task {other.id}) is under way: the crew fails it"
            raise Conflict(msg)
        if task.kind is TaskKind.CHARGE:
            stock_db.release_packs(conn, [task.id])
        held = task.is_drop and other is not None and other.status is TaskStatus.DONE
        if held and task.vehicle_id is not None:
            vehicle, version = vehicle_version(conn, task.vehicle_id)
            if vehicle.status is HELD:
                low = service.catalog[vehicle.vehicle_class].low_battery_pct
                write_if_version(conn, _release(vehicle, low, now), version)
        _move(conn, task, TaskStatus.CANCELLED, now, failure_reason=CANCELLED_BY_MANAGER)
        _audit(conn, task, manager, now, "cancel", reason=CANCELLED_BY_MANAGER)
        if other is not None and other.status in (TaskStatus.OPEN, TaskStatus.ASSIGNED):
            _move(conn, other, TaskStatus.CANCELLED, now, failure_reason=CANCELLED_BY_MANAGER)
            _audit(conn, other, manager, now, "cancel", reason=CANCELLED_BY_MANAGER)
        return plans_db.get_task(conn, manager.operator_id, task_id)
