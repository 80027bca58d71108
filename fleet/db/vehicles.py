"""Vehicles: register, read, list and change them (every change audited, one transaction)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from fleet.catalog import Catalog, VehicleClass, parse_vehicle_class
from fleet.clock import Clock
from fleet.db.audit import record
from fleet.db.holders import check_not_taken
from fleet.db.identity import RANDOM_IDS
from fleet.db.sites import check_in_service_area
from fleet.db.tables import courier_shifts, vehicles
from fleet.exceptions import ChangedMeanwhile, Conflict, NotFound
from fleet.geo import Position
from fleet.ids import Ids
from fleet.records import AuditEntry
from fleet.vehicles import (
    VEHICLE_MACHINE,
    Vehicle,
    VehicleStatus,
    check_soc,
    parse_vehicle_status,
    status_for_charge,
)


def vehicle_from_row(row: Mapping[Any, Any]) -> Vehicle:
    """The vehicle of a ``vehicles`` row."""
    return Vehicle(
        id=row["id"],
        operator_id=row["operator_id"],
        code=row["code"],
        vehicle_class=VehicleClass(row["vehicle_class"]),
        position=Position(row["lat"], row["lon"]),
        soc_pct=row["soc_pct"],
        odometer_m=row["odometer_m"],
        status=VehicleStatus(row["status"]),
        updated_at=row["updated_at"],
        battery_serial=row["battery_serial"],
        plate=row["plate"],
        model=row["model"],
    )


def register_vehicle(
    conn: Connection,
    *,
    operator_id: str,
    code: str,
    vehicle_class: str,
    position: Position,
    soc_pct: float,
    clock: Clock,
    odometer_m: int = 0,
    status: VehicleStatus = VehicleStatus.AVAILABLE,
    battery_serial: str | None = None,
    plate: str | None = None,
    model: str | None = None,
    actor_id: str | None = None,
    ids: Ids = RANDOM_IDS,
) -> Vehicle:
    """Store a new vehicle, checked against the catalog and the operator's service area.

    Raises
    ------
    InvalidValue
        Unknown class, SoC outside 0–100, bad code or odometer.
    OutsideServiceArea
        The position is outside every service-area zone of the operator.
    Conflict
        The operator already has a vehicle with this code.
    """
    vehicle = Vehicle(
        id=ids.new_id(),
        operator_id=operator_id,
        code=code,
        vehicle_class=parse_vehicle_class(vehicle_class),
        position=position,
        soc_pct=soc_pct,
        odometer_m=odometer_m,
        status=status,
        updated_at=clock.now(),
        battery_serial=battery_serial,
        plate=plate,
        model=model,
    )
    check_in_service_area(conn, operator_id, position)
    try:
        with conn.begin_nested():
            conn.execute(insert(vehicles).values(**_columns(vehicle), version=1))
    except IntegrityError:
        plate_taken = (
            plate is not None
            and conn.execute(
                select(vehicles.c.id).where(
                    vehicles.c.operator_id == operator_id, vehicles.c.plate == plate
                )
            ).first()
        )
        msg = (
            f"plate {plate!r} is already on another vehicle of this operator"
            if plate_taken
            else f"vehicle code {code!r} is already used by this operator"
        )
        raise Conflict(msg) from None
    record(
        conn,
        AuditEntry(
            clock.now(),
            operator_id,
            actor_id,
            "vehicle.create",
            "vehicle",
            vehicle.id,
            _public_fields(vehicle),
        ),
    )
    return vehicle


def _columns(v: Vehicle) -> dict[str, Any]:
    return {
        "id": v.id,
        "operator_id": v.operator_id,
        "code": v.code,
        "vehicle_class": str(v.vehicle_class),
        "lat": v.position.lat,
        "lon": v.position.lon,
        "soc_pct": v.soc_pct,
        "odometer_m": v.odometer_m,
        "status": str(v.status),
        "battery_serial": v.battery_serial,
        "updated_at": v.updated_at,
        "plate": v.plate,
        "model": v.model,
    }


def _public_fields(v: Vehicle) -> dict[str, Any]:
    cols = _columns(v)
    return {k: cols[k] for k in ("code", "vehicle_class", "lat", "lon", "soc_pct", "status")}


def get_vehicle(conn: Connection, operator_id: str, vehicle_id: str) -> Vehicle:
    """The operator's vehicle; another operator's vehicle is reported as not found."""
    row = (
        conn.execute(
            select(vehicles).where(
                vehicles.c.id == vehicle_id, vehicles.c.operator_id == operator_id
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        msg = f"no vehicle {vehicle_id}"
        raise NotFound(msg)
    return vehicle_from_row(row)


@dataclass(frozen=True, slots=True)
class VehiclePage:
    """One page of a vehicle listing and the total matching."""

    items: list[Vehicle]
    total: int


def vehicles_by_id(
    conn: Connection, operator_id: str, vehicle_ids: Iterable[str]
) -> dict[str, Vehicle]:
    """The operator's vehicles with these ids, by id (unknown ids are left out)."""
    wanted = sorted(set(vehicle_ids))
    if not wanted:
        return {}
    rows = conn.execute(
        select(vehicles).where(vehicles.c.operator_id == operator_id, vehicles.c.id.in_(wanted))
    ).mappings()
    return {r["id"]: vehicle_from_row(r) for r in rows}


def list_vehicles(
    conn: Connection,
    *,
    operator_id: str | None = None,
    statuses: Collection[VehicleStatus] = (),
    classes: Collection[VehicleClass] = (),
    limit: int = 50,
    offset: int = 0,
    riders_at: datetime | None = None,
) -> VehiclePage:
    """Vehicles by code, filtered; ``operator_id`` ``None`` means every operator. With
    ``riders_at``, only what riders may book then: their classes, no courier's moped on shift."""
    where: list[Any] = []
    if riders_at is not None:
        where.append(vehicles.c.vehicle_class.in_([str(c) for c in RIDER_CLASSES]))
        where.append(~on_courier_shift(riders_at))
    if operator_id is not None:
        where.append(vehicles.c.operator_id == operator_id)
    if statuses:
        where.append(vehicles.c.status.in_([str(s) for s in statuses]))
    if classes:
        where.append(vehicles.c.vehicle_class.in_([str(c) for c in classes]))
    total = conn.execute(select(func.count()).select_from(vehicles).where(*where)).scalar_one()
    rows = conn.execute(
        select(vehicles)
        .where(*where)
        .order_by(vehicles.c.operator_id, vehicles.c.code)
        .limit(limit)
        .offset(offset)
    ).mappings()
    return VehiclePage([vehicle_from_row(r) for r in rows], int(total))


def update_vehicle(
    conn: Connection,
    *,
    operator_id: str,
    vehicle_id: str,
    clock: Clock,
    catalog: Catalog,
    status: str | None = None,
    soc_pct: float | None = None,
    position: Position | None = None,
    odometer_m: int | None = None,
    actor_id: str | None = None,
) -> Vehicle:
    """Change a vehicle: status through its state machine, charge, position, odometer.

    The update is conditional on the version read, so a concurrent change is reported as
    ``Conflict`` instead of being overwritten.

    Raises
    ------
    NotFound, InvalidValue, IllegalTransition, OutsideServiceArea, Conflict
    """
    current_row = (
        conn.execute(
            select(vehicles).where(
                vehicles.c.id == vehicle_id, vehicles.c.operator_id == operator_id
            )
        )
        .mappings()
        .first()
    )
    if current_row is None:
        msg = f"no vehicle {vehicle_id}"
        raise NotFound(msg)
    current = vehicle_from_row(current_row)
    changes: dict[str, Any] = {}
    if status is not None:
        target = parse_vehicle_status(status)
        if target != current.status:
            changes["status"] = VEHICLE_MACHINE.check(current.status, target)
    if soc_pct is not None:
        changes["soc_pct"] = soc_pct
        # the status follows the charge both ways: below the class's threshold an available
        # vehicle is no longer offered to riders; charged above it, a low one is again
        low = catalog[current.vehicle_class].low_battery_pct
        target_now = changes.get("status", current.status)
        follows = status_for_charge(target_now, check_soc(soc_pct), low)
        if follows is not target_now:
            changes["status"] = (
                VEHICLE_MACHINE.check(current.status, follows)
                if current.status is not follows
                else current.status
            )
    if odometer_m is not None:
        if odometer_m < current.odometer_m:
            msg = f"odometer_m cannot go back from {current.odometer_m} to {odometer_m}"
            raise Conflict(msg)
        changes["odometer_m"] = odometer_m
    if position is not None:
        check_in_service_area(conn, operator_id, position)
        changes["position"] = position
    if changes.get("status", current.status) is not current.status:
        check_not_taken(conn, current)
    if not changes:
        return current
    updated = replace(current, updated_at=clock.now(), **changes)  # validates
    write_if_version(conn, updated, current_row["version"])
    before, after = _public_fields(current), _public_fields(updated)
    diff = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    record(
        conn,
        AuditEntry(
            clock.now(), operator_id, actor_id, "vehicle.update", "vehicle", vehicle_id, diff
        ),
    )
    return updated


#: How long before a shift starts its moped stops being offered to riders: longer than a ride.
SHIFT_CLAIM = timedelta(hours=2)
#: Shift statuses that keep a courier's moped from riders.
_SHIFT_HOLDS = ("scheduled", "on_duty")
#: Classes riders book themselves (work EVs go through their company's reservations).
RIDER_CLASSES = (VehicleClass.E_KICKBOARD, VehicleClass.E_BIKE, VehicleClass.E_MOPED)


def on_courier_shift(now: datetime) -> Any:
    """A condition: the vehicle is a courier's for a shift under way or starting within
    :data:`SHIFT_CLAIM` (never a rider's then); until then riders may take it."""
    return vehicles.c.id.in_(
        select(courier_shifts.c.vehicle_id).where(
            courier_shifts.c.status.in_(_SHIFT_HOLDS),
            courier_shifts.c.end_at > now,
            courier_shifts.c.start_at <= now + SHIFT_CLAIM,
        )
    )


def courier_held(conn: Connection, operator_id: str, at: datetime) -> set[str]:
    """The operator's vehicles that are couriers' at ``at`` (see :func:`on_courier_shift`)."""
    return set(
        conn.execute(
            select(vehicles.c.id).where(vehicles.c.operator_id == operator_id, on_courier_shift(at))
        ).scalars()
    )


def set_vehicle_status(
    conn: Connection,
    vehicle_id: str,
    current: VehicleStatus,
    target: VehicleStatus,
    at: datetime,
    *,
    odometer_increase_m: int = 0,
    only_if: Any = None,
    **values: Any,
) -> bool:
    """Move a vehicle from ``current`` to ``target`` if it is still in ``current`` (one
    conditional UPDATE that bumps the version: a concurrent writer makes it return False instead
    of both winning), and ``only_if`` holds, writing the other ``values`` with it."""
    VEHICLE_MACHINE.check(current, target)
    if odometer_increase_m:
        values["odometer_m"] = vehicles.c.odometer_m + odometer_increase_m
    conditions = [vehicles.c.id == vehicle_id, vehicles.c.status == str(current)]
    if only_if is not None:
        conditions.append(only_if)
    result = conn.execute(
        update(vehicles)
        .where(*conditions)
        .values(status=str(target), updated_at=at, version=vehicles.c.version + 1, **values)
    )
    return result.rowcount == 1


def vehicle_version(conn: Connection, vehicle_id: str) -> tuple[Vehicle, int]:
    """A vehicle (of any operator) and the version it was read at."""
    row = conn.execute(select(vehicles).where(vehicles.c.id == vehicle_id)).mappings().first()
    if row is None:
        msg = f"no vehicle {vehicle_id}"
        raise NotFound(msg)
    return vehicle_from_row(row), int(row["version"])


def write_if_version(conn: Connection, vehicle: Vehicle, seen_version: int) -> None:
    """Write ``vehicle`` over the row only if the row is still at ``seen_version``.

    Raises
    ------
    Conflict
        Someone changed the vehicle since it was read (the caller's transaction must roll back).
    """
    changed = conn.execute(
        update(vehicles)
        .where(vehicles.c.id == vehicle.id, vehicles.c.version == seen_version)
        .values(**_columns(vehicle), version=seen_version + 1)
    ).rowcount
    if changed != 1:
        msg = f"vehicle {vehicle.id} was changed concurrently; retry"
        raise ChangedMeanwhile(msg)


def counts_by(conn: Connection, operator_id: str) -> list[tuple[str, str]]:
    """(status, class) of each of the operator's vehicles."""
    rows = conn.execute(
        select(vehicles.c.status, vehicles.c.vehicle_class).where(
            vehicles.c.operator_id == operator_id
        )
    ).all()
    return [(r.status, r.vehicle_class) for r in rows]
