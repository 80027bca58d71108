"""Fleet staff and their vehicles: managers register vehicles; managers and crews list the
whole fleet, read one vehicle, and change its status (through the state machine), charge,
position or odometer. Every change is one version-checked, audited write."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from dispatch.holds import expire_due_holds
from fleet.catalog import Catalog, VehicleClass, parse_vehicle_class
from fleet.clock import Clock
from fleet.db import vehicles as vehicles_db
from fleet.db.engine import Engine, reading, writing
from fleet.geo import Position
from fleet.identity import User
from fleet.ids import Ids
from fleet.vehicles import Vehicle, VehicleStatus, parse_vehicle_status, status_for_charge


@dataclass(frozen=True, slots=True)
class FleetService:
    """What fleet staff's vehicle work runs on."""

    engine: Engine
    clock: Clock
    ids: Ids
    catalog: Catalog


@dataclass(frozen=True, slots=True)
class NewVehicle:
    """A vehicle a manager registers."""

    code: str
    vehicle_class: str
    position: Position
    soc_pct: float
    odometer_m: int = 0
    status: str = str(VehicleStatus.AVAILABLE)
    battery_serial: str | None = None
    plate: str | None = None
    model: str | None = None


@dataclass(frozen=True, slots=True)
class VehicleEdit:
    """What fleet staff change on a vehicle (``None``: leave as it is)."""

    status: str | None = None
    soc_pct: float | None = None
    position: Position | None = None
    odometer_m: int | None = None


def parse_classes(names: Sequence[str]) -> list[VehicleClass]:
    """Vehicle classes by name (an unknown one is refused, listing the known)."""
    return [parse_vehicle_class(n) for n in names]


def list_fleet(
    service: FleetService,
    staff: User,
    *,
    statuses: Sequence[str],
    classes: Sequence[str],
    limit: int,
    offset: int,
) -> vehicles_db.VehiclePage:
    """A page of the operator's vehicles by code (holds that ran out freed first)."""
    wanted = [parse_vehicle_status(s) for s in statuses]
    kinds = parse_classes(classes)
    expire_due_holds(service.engine, service.clock)
    with reading(service.engine) as conn:
        return vehicles_db.list_vehicles(
            conn,
            operator_id=staff.operator_id,
            statuses=wanted,
            classes=kinds,
            limit=limit,
            offset=offset,
        )


def get_vehicle(service: FleetService, staff: User, vehicle_id: str) -> Vehicle:
    """One of the operator's vehicles."""
    with reading(service.engine) as conn:
        return vehicles_db.get_vehicle(conn, staff.operator_id, vehicle_id)


def register(service: FleetService, manager: User, new: NewVehicle) -> Vehicle:
    """Store a new vehicle (see ``fleet.db.vehicles.register_vehicle`` for what is checked).
    Its status follows its charge as a change would: one registered below its class's
    low-battery threshold is low on battery, not offered to riders."""
    low = service.catalog[parse_vehicle_class(new.vehicle_class)].low_battery_pct
    status = status_for_charge(parse_vehicle_status(new.status), new.soc_pct, low)
    with writing(service.engine) as conn:
        return vehicles_db.register_vehicle(
            conn,
            operator_id=manager.operator_id,
            code=new.code,
            vehicle_class=new.vehicle_class,
            position=new.position,
            soc_pct=new.soc_pct,
            odometer_m=new.odometer_m,
            status=status,
            battery_serial=new.battery_serial,
            plate=new.plate,
            model=new.model,
            clock=service.clock,
            actor_id=manager.id,
            ids=service.ids,
        )


def edit(service: FleetService, staff: User, vehicle_id: str, change: VehicleEdit) -> Vehicle:
    """Change a vehicle (see ``fleet.db.vehicles.update_vehicle``)."""
    with writing(service.engine) as conn:
        return vehicles_db.update_vehicle(
            conn,
            operator_id=staff.operator_id,
            vehicle_id=vehicle_id,
            clock=service.clock,
            catalog=service.catalog,
            status=change.status,
            soc_pct=change.soc_pct,
            position=change.position,
            odometer_m=change.odometer_m,
            actor_id=staff.id,
        )


def fleet_snapshot(service: FleetService, operator_id: str) -> dict[str, dict[str, int]]:
    """Counts of an operator's vehicles by status and by class (the dashboard's header).
    Read-only, so running it twice does no harm."""
    with reading(service.engine) as conn:
        rows = vehicles_db.counts_by(conn, operator_id)
    return {
        "by_status": dict(sorted(Counter(status for status, _ in rows).items())),
        "by_class": dict(sorted(Counter(kind for _, kind in rows).items())),
    }
