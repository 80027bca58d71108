"""MDS events from the audit log: which logged state change becomes which micromobility
``vehicle_state`` and ``event_types`` (the table is in docs/mds.md). Pure.

Where an event happened: the place the entry itself records (a trip's start or end, a crew's
drop, a vehicle's new position), else where the change happened by its nature (where a held
vehicle's trip began; a crew task's planned place), else the vehicle's row as it stands — the
vehicle has not moved since unless a later trip or drop moved it (docs/mds.md says so)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dispatch.opendata.mds_items import STATUS_STATE, event_item, name_id
from fleet.catalog import Catalog, VehicleClass
from fleet.db.mds import AuditFact
from fleet.geo import Position
from fleet.vehicles import VehicleStatus

#: (vehicle_state, event type) of a booking's logged move.
BOOKING_EVENTS: Mapping[str, tuple[str, str]] = {
    "booking.hold": ("reserved", "reservation_start"),
    "booking.active": ("on_trip", "trip_start"),
    "booking.completed": ("available", "trip_end"),
    "booking.cancelled": ("available", "reservation_cancel"),
    "booking.expired": ("available", "reservation_cancel"),
}

#: The cause of a vehicle's return to ``available``, by the status it left.
BACK_IN_SERVICE: Mapping[str, str] = {
    "low_battery": "battery_charged",
    "charging": "battery_charged",
    "offline": "comms_restored",
    "maintenance": "maintenance",
    "in_transit": "provider_drop_off",
}


def _after(changes: Mapping[str, Any], key: str) -> Any:
    """The new value of a ``[before, after]`` change, or a plain value as it is."""
    value = changes.get(key)
    if isinstance(value, list) and len(value) == 2:
        return value[1]
    return value


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _place(changes: Mapping[str, Any], lat_key: str, lon_key: str) -> Position | None:
    lat, lon = _number(_after(changes, lat_key)), _number(_after(changes, lon_key))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return Position(lat, lon)


def _booking(fact: AuditFact) -> tuple[str, str, Position, str | None]:
    state, kind = BOOKING_EVENTS[fact.action]
    where = {
        "booking.active": _place(fact.changes, "start_lat", "start_lon"),
        "booking.completed": _place(fact.changes, "end_lat", "end_lon"),
        "booking.hold": fact.booking_start,
    }.get(fact.action)
    on_trip = fact.action in ("booking.active", "booking.completed")
    return state, kind, where or fact.vehicle_position, fact.entity_id if on_trip else None


def _status(value: Any) -> VehicleStatus | None:
    return VehicleStatus(value) if isinstance(value, str) and value in _STATUSES else None


_STATUSES = frozenset(s.value for s in VehicleStatus)


def _vehicle(fact: AuditFact) -> tuple[str, str] | None:
    """A created vehicle, or a changed status; a change of charge or place alone is not an
    event (telemetry carries it)."""
    status = fact.changes.get("status")
    if fact.action == "vehicle.create":
        target = _status(status)
        if target is VehicleStatus.AVAILABLE:
            return "available", "provider_drop_off"
        return STATUS_STATE[target] if target is not None else None
    if not (isinstance(status, list) and len(status) == 2):
        return None
    before, target = str(status[0]), _status(status[1])
    if target is None:
        return None
    if target is VehicleStatus.AVAILABLE:
        return "available", BACK_IN_SERVICE.get(before, "unspecified")
    if target in (VehicleStatus.RESERVED, VehicleStatus.IN_USE):  # no trip of a rider
        return STATUS_STATE[target][0], "unspecified"
    return STATUS_STATE[target]


def _released(fact: AuditFact, catalog: Catalog, soc_pct: float) -> str:
    """The state a crew's release leaves a vehicle in: its status follows its charge."""
    low = catalog[VehicleClass(fact.vehicle_class)].low_battery_pct
    return "non_operational" if soc_pct < low else "available"


def _task(fact: AuditFact, catalog: Catalog) -> tuple[str, str, Position] | None:
    """A crew's task: a swap or a move's pick-up holds the vehicle when started; a pick-up done
    takes it off the street, a drop puts it back, a swap charges it; a failed started task
    gives it back where it is."""
    at_task = fact.task_target or fact.vehicle_position
    soc = _number(_after(fact.changes, "soc_pct"))
    swap, drop = fact.task_kind == "swap", fact.task_is_drop
    pick = fact.task_kind == "rebalance" and not drop
    if fact.action == "task.start" and (swap or pick):
        return "non_operational", "maintenance" if swap else "unspecified", at_task
    if fact.action == "task.complete" and swap:
        state = _released(fact, catalog, soc if soc is not None else fact.vehicle_soc_pct)
        return state, "battery_charged" if state == "available" else "battery_low", at_task
    if fact.action == "task.complete" and pick:
        return "removed", "rebalance_pick_up", at_task
    if fact.action == "task.complete" and drop:
        where = _place(fact.changes, "lat", "lon") or at_task
        return "available", "provider_drop_off", where
    if fact.action == "task.fail" and (swap or pick or drop):
        state = _released(fact, catalog, fact.vehicle_soc_pct)
        kind = "provider_drop_off" if drop else "unspecified"
        return state, kind if state == "available" else "battery_low", fact.vehicle_position
    if fact.action == "task.cancel" and drop and fact.pair_done:  # carried, never dropped
        state = _released(fact, catalog, fact.vehicle_soc_pct)
        kind = "provider_drop_off" if state == "available" else "battery_low"
        return state, kind, fact.vehicle_position
    return None


def event_of(fact: AuditFact, provider_id: str, catalog: Catalog) -> dict[str, Any] | None:
    """The MDS event an audit entry stands for, or ``None`` if it changes no vehicle's state."""
    trip_id: str | None = None
    soc = _number(_after(fact.changes, "soc_pct"))
    if fact.action in BOOKING_EVENTS:
        state, kind, where, trip_id = _booking(fact)
    elif fact.action.startswith("vehicle."):
        found = _vehicle(fact)
        if found is None:
            return None
        (state, kind), where = found, _place(fact.changes, "lat", "lon") or fact.vehicle_position
    else:
        done = _task(fact, catalog)
        if done is None:
            return None
        state, kind, where = done
    return event_item(
        event_id=name_id("audit", fact.audit_id),
        device_id=fact.vehicle_id,
        provider_id=provider_id,
        state=state,
        types=[kind],
        at=fact.at,
        where=where,
        soc_pct=soc,
        trip_id=trip_id,
    )
