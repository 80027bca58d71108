"""What the MDS provider feeds read: trips from ended bookings (never ``ride_history``), the
audit entries that become MDS events with the rows they refer to, and telemetry samples.

Each query answers plain frozen values; ``dispatch.opendata`` turns them into MDS items."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, func, insert, or_, select
from sqlalchemy.orm import aliased

from fleet.bookings import BookingStatus
from fleet.db.tables import audit_log, bookings, operators, ops_tasks, telemetry, vehicles
from fleet.exceptions import NotFound
from fleet.geo import Position
from fleet.ops import TaskStatus
from fleet.records import TelemetrySample

#: The audit actions that can become an MDS event (the rest say nothing about a vehicle).
BOOKING_ACTIONS = (
    "booking.hold",
    "booking.active",
    "booking.completed",
    "booking.cancelled",
    "booking.expired",
)
VEHICLE_ACTIONS = ("vehicle.create", "vehicle.update")
TASK_ACTIONS = ("task.start", "task.complete", "task.fail", "task.cancel")


@dataclass(frozen=True, slots=True)
class TripRow:
    """An ended booking, as the trips feed reads it."""

    booking_id: str
    vehicle_id: str
    vehicle_class: str
    started_at: datetime
    ended_at: datetime
    start: Position
    end: Position
    distance_m: int
    duration_s: int
    price_minor: int | None
    currency: str | None


@dataclass(frozen=True, slots=True)
class TelemetryRow:
    """A telemetry sample with the trip its vehicle was on then (if any)."""

    sample_id: int
    vehicle_id: str
    at: datetime
    position: Position
    soc_pct: float
    speed_kph: float
    trip_id: str | None


@dataclass(frozen=True, slots=True)
class AuditFact:
    """An audit entry about a vehicle with what its rows say now.

    ``vehicle_position`` and ``vehicle_soc_pct`` are the vehicle's row as it stands (used where
    the entry itself records no place); ``booking_start`` is where the booking's trip began, if
    it did; the ``task_*`` fields describe the crew task of a ``task.*`` entry, ``pair_done``
    whether the pick-up of a drop was done."""

    audit_id: int
    at: datetime
    action: str
    entity_id: str
    vehicle_id: str
    vehicle_class: str
    vehicle_position: Position
    vehicle_soc_pct: float
    changes: Mapping[str, Any] = field(default_factory=dict)
    booking_start: Position | None = None
    task_kind: str | None = None
    task_is_drop: bool = False
    task_target: Position | None = None
    pair_done: bool = False


def operator_since(conn: Connection, operator_id: str) -> datetime:
    """When the operator was created (no operations before).

    Raises
    ------
    NotFound
        No such operator.
    """
    found = conn.execute(
        select(operators.c.created_at).where(operators.c.id == operator_id)
    ).scalar_one_or_none()
    if found is None:
        msg = f"no operator {operator_id}"
        raise NotFound(msg)
    return found  # type: ignore[no-any-return]


def _position(lat: float | None, lon: float | None) -> Position | None:
    return Position(lat, lon) if lat is not None and lon is not None else None


def trips_ended(
    conn: Connection,
    operator_id: str,
    start: datetime,
    end: datetime,
    classes: Collection[str],
) -> list[TripRow]:
    """The operator's completed bookings that ended in ``[start, end)``, by end time. Rides of
    ``ride_history`` are never bookings, so they never appear."""
    rows = conn.execute(
        select(bookings, vehicles.c.vehicle_class)
        .join(vehicles, vehicles.c.id == bookings.c.vehicle_id)
        .where(
            bookings.c.operator_id == operator_id,
            bookings.c.status == str(BookingStatus.COMPLETED),
            bookings.c.ended_at >= start,
            bookings.c.ended_at < end,
            bookings.c.started_at.is_not(None),
            bookings.c.start_lat.is_not(None),
            bookings.c.end_lat.is_not(None),
            vehicles.c.vehicle_class.in_(list(classes)),
        )
        .order_by(bookings.c.ended_at, bookings.c.id)
    ).mappings()
    return [
        TripRow(
            booking_id=r["id"],
            vehicle_id=r["vehicle_id"],
            vehicle_class=r["vehicle_class"],
            started_at=r["started_at"],
            ended_at=r["ended_at"],
            start=Position(r["start_lat"], r["start_lon"]),
            end=Position(r["end_lat"], r["end_lon"]),
            distance_m=r["distance_m"] or 0,
            duration_s=r["duration_s"] or 0,
            price_minor=r["price_minor"],
            currency=r["currency"],
        )
        for r in rows
    ]


def open_trips(conn: Connection, vehicle_ids: Iterable[str]) -> dict[str, str]:
    """The active booking (trip) of each of these vehicles that is on one, by vehicle id."""
    wanted = sorted(set(vehicle_ids))
    if not wanted:
        return {}
    rows = conn.execute(
        select(bookings.c.vehicle_id, bookings.c.id).where(
            bookings.c.vehicle_id.in_(wanted), bookings.c.status == str(BookingStatus.ACTIVE)
        )
    ).all()
    return {r.vehicle_id: r.id for r in rows}


def _telemetry_select() -> Select[Any]:
    """Samples with the trip under way at their time (a booking started, not yet ended)."""
    on_trip = and_(
        bookings.c.vehicle_id == telemetry.c.vehicle_id,
        bookings.c.started_at <= telemetry.c.at,
        or_(bookings.c.ended_at.is_(None), bookings.c.ended_at > telemetry.c.at),
        bookings.c.status.in_([str(BookingStatus.ACTIVE), str(BookingStatus.COMPLETED)]),
    )
    return (
        select(telemetry, bookings.c.id.label("trip_id"))
        .join(vehicles, vehicles.c.id == telemetry.c.vehicle_id)
        .outerjoin(bookings, on_trip)
    )


def _telemetry_row(r: Mapping[Any, Any]) -> TelemetryRow:
    return TelemetryRow(
        sample_id=r["id"],
        vehicle_id=r["vehicle_id"],
        at=r["at"],
        position=Position(r["lat"], r["lon"]),
        soc_pct=r["soc_pct"],
        speed_kph=r["speed_kph"],
        trip_id=r["trip_id"],
    )


def telemetry_between(
    conn: Connection,
    operator_id: str,
    start: datetime,
    end: datetime,
    classes: Collection[str],
) -> list[TelemetryRow]:
    """The samples of the operator's vehicles (of ``classes``) taken in ``[start, end)``."""
    rows = conn.execute(
        _telemetry_select()
        .where(
            vehicles.c.operator_id == operator_id,
            vehicles.c.vehicle_class.in_(list(classes)),
            telemetry.c.at >= start,
            telemetry.c.at < end,
        )
        .order_by(telemetry.c.at, telemetry.c.id)
    ).mappings()
    return [_telemetry_row(r) for r in rows]


def latest_telemetry(conn: Connection, vehicle_ids: Iterable[str]) -> dict[str, TelemetryRow]:
    """The newest sample of each of these vehicles that has one, by vehicle id."""
    wanted = sorted(set(vehicle_ids))
    if not wanted:
        return {}
    newest = (
        select(func.max(telemetry.c.id))
        .where(telemetry.c.vehicle_id.in_(wanted))
        .group_by(telemetry.c.vehicle_id)
    )
    rows = conn.execute(_telemetry_select().where(telemetry.c.id.in_(newest))).mappings()
    return {r["vehicle_id"]: _telemetry_row(r) for r in rows}


def record_telemetry(conn: Connection, sample: TelemetrySample) -> None:
    """Store one telemetry sample (the gateways' batches go through
    ``fleet.db.telemetry.insert_samples``)."""
    conn.execute(
        insert(telemetry).values(
            vehicle_id=sample.vehicle_id,
            at=sample.at,
            lat=sample.position.lat,
            lon=sample.position.lon,
            soc_pct=sample.soc_pct,
            speed_kph=sample.speed_kph,
            sample_id=sample.sample_id,
            vibration_rms_ms2=sample.vibration_rms_ms2,
            noise_db=sample.noise_db,
        )
    )


def facts_where(
    operator_id: str,
    start: datetime,
    end: datetime,
    after_id: int,
    classes: Collection[str],
    vehicle_ids: Collection[str] | None,
    ids: Collection[int] | None = None,
) -> list[Any]:
    """The conditions of :func:`audit_facts` (for :func:`fact_sources`)."""
    where = [
        audit_log.c.operator_id == operator_id,
        audit_log.c.at >= start,
        audit_log.c.at < end,
        audit_log.c.id > after_id,
        vehicles.c.vehicle_class.in_(list(classes)),
    ]
    if vehicle_ids is not None:
        where.append(vehicles.c.id.in_(sorted(set(vehicle_ids))))
    if ids is not None:
        where.append(audit_log.c.id.in_(sorted(set(ids))))
    return where


_FACT_COLUMNS = (
    audit_log.c.id,
    audit_log.c.at,
    audit_log.c.action,
    audit_log.c.entity_id,
    audit_log.c.changes,
    vehicles.c.id.label("vehicle_id"),
    vehicles.c.vehicle_class,
    vehicles.c.lat,
    vehicles.c.lon,
    vehicles.c.soc_pct,
)


def fact_sources(where: list[Any], *, full: bool = True) -> tuple[Select[Any], ...]:
    """The entries of ``where`` about a vehicle, one select per kind: a booking's, the
    vehicle's own, a crew task's. ``full``: every column a fact is made of; else only the
    entry's ``id`` and its ``vehicle_id`` (to rank entries without reading them)."""
    columns = _FACT_COLUMNS if full else (audit_log.c.id, vehicles.c.id.label("vehicle_id"))
    by_booking = (
        select(*columns, *((bookings.c.start_lat, bookings.c.start_lon) if full else ()))
        .select_from(audit_log)
        .join(bookings, bookings.c.id == audit_log.c.entity_id)
        .join(vehicles, vehicles.c.id == bookings.c.vehicle_id)
        .where(audit_log.c.entity == "booking", audit_log.c.action.in_(BOOKING_ACTIONS), *where)
    )
    by_vehicle = (
        select(*columns)
        .select_from(audit_log)
        .join(vehicles, vehicles.c.id == audit_log.c.entity_id)
        .where(audit_log.c.entity == "vehicle", audit_log.c.action.in_(VEHICLE_ACTIONS), *where)
    )
    by_task = (
        select(*columns)
        .select_from(audit_log)
        .join(ops_tasks, ops_tasks.c.id == audit_log.c.entity_id)
        .join(vehicles, vehicles.c.id == ops_tasks.c.vehicle_id)
        .where(audit_log.c.entity == "ops_task", audit_log.c.action.in_(TASK_ACTIONS), *where)
    )
    if full:
        pair = aliased(ops_tasks)
        pair_on = and_(
            pair.c.plan_id == ops_tasks.c.plan_id,
            pair.c.shift_id == ops_tasks.c.shift_id,
            pair.c.sequence == ops_tasks.c.pair_sequence,
        )
        by_task = by_task.add_columns(
            ops_tasks.c.kind,
            ops_tasks.c.is_drop,
            ops_tasks.c.target_lat,
            ops_tasks.c.target_lon,
            pair.c.status.label("pair_status"),
        ).outerjoin(pair, pair_on)
    return by_booking, by_vehicle, by_task


def audit_facts(
    conn: Connection,
    operator_id: str,
    start: datetime,
    end: datetime,
    classes: Collection[str],
    *,
    after_id: int = 0,
    limit: int | None = None,
    vehicle_ids: Collection[str] | None = None,
    ids: Collection[int] | None = None,
) -> list[AuditFact]:
    """The audit entries of ``[start, end)`` about the operator's vehicles of ``classes``
    (bookings, vehicle changes, crew tasks), in the order the log recorded them; with
    ``after_id`` and ``limit``, the first ``limit`` after that entry; with ``vehicle_ids``,
    only those vehicles'; with ``ids``, only those entries."""
    where = facts_where(operator_id, start, end, after_id, classes, vehicle_ids, ids)
    facts: list[AuditFact] = []
    for query in fact_sources(where):
        query = query.order_by(audit_log.c.id)
        if limit is not None:
            query = query.limit(limit)
        facts.extend(_fact(r) for r in conn.execute(query).mappings())
    facts.sort(key=lambda f: f.audit_id)
    return facts if limit is None else facts[:limit]


def _fact(row: Mapping[Any, Any]) -> AuditFact:
    # A plain dict: each query selects some of the optional columns, and a row mapping's get()
    # of a column it lacks takes SQLAlchemy's slow path (µs each, seven per entry of a page)
    r = dict(row)
    return AuditFact(
        audit_id=r["id"],
        at=r["at"],
        action=r["action"],
        entity_id=r["entity_id"],
        vehicle_id=r["vehicle_id"],
        vehicle_class=r["vehicle_class"],
        vehicle_position=Position(r["lat"], r["lon"]),
        vehicle_soc_pct=r["soc_pct"],
        changes=dict(r["changes"] or {}),
        booking_start=_position(r.get("start_lat"), r.get("start_lon")),
        task_kind=r.get("kind"),
        task_is_drop=bool(r.get("is_drop")),
        task_target=_position(r.get("target_lat"), r.get("target_lon")),
        pair_done=r.get("pair_status") == str(TaskStatus.DONE),
    )
