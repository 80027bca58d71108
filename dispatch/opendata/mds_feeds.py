"""The MDS provider feeds as use cases: read what a feed needs in one snapshot, check the time
asked for, and build the items (``mds_items``, ``mds_events``). The web layer wraps them in the
provider spec's envelopes."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from dispatch.opendata.mds_events import event_of
from dispatch.opendata.mds_exceptions import MdsParamError
from dispatch.opendata.mds_items import (
    MDS_CLASSES,
    VEHICLE_TYPES,
    telemetry_item,
    trip_item,
    vehicle_item,
    vehicle_status_item,
)
from dispatch.opendata.mds_time import (
    HOUR,
    RECENT_REACH,
    check_hour,
    parse_hour,
    recent_window,
)
from fleet.catalog import Catalog
from fleet.clock import Clock
from fleet.db import mds as mds_db
from fleet.db import mds_last
from fleet.db.engine import Connection, Engine, reading
from fleet.db.vehicles import get_vehicle, list_vehicles
from fleet.exceptions import NotFound
from fleet.vehicles import Vehicle

#: A margin past now for the log's last entries (written at now, read with ``at < end``).
LATE = timedelta(seconds=1)
#: How many of a vehicle's newest log entries a status reads first (most become an event).
FIRST_READ = 4
#: How many times more entries each further read takes, for the vehicles still without one.
READ_GROWTH = 4


@dataclass(frozen=True, slots=True)
class MdsSource:
    """What the feeds read from: the database, the clock, the operator's vehicle types."""

    engine: Engine
    clock: Clock
    catalog: Catalog


@dataclass(frozen=True, slots=True)
class Page:
    """A page of items and how many there are in all."""

    items: list[dict[str, Any]]
    total: int


@dataclass(frozen=True, slots=True)
class EventPage:
    """A page of recent events and the audit entry the next page starts after (``None``: this
    was the last page)."""

    items: list[dict[str, Any]]
    next_after: int | None


def _device(text: str) -> str:
    """A device id as MDS writes it (a lowercase uuid), or 400 naming it."""
    try:
        parsed = uuid.UUID(text)
    except ValueError:
        msg = f"device_id must be a UUID, got {text[:80]!r}"
        raise MdsParamError(msg, param="device_id") from None
    if str(parsed) != text:
        msg = f"device_id must be a lowercase hyphenated UUID, got {text[:80]!r}"
        raise MdsParamError(msg, param="device_id")
    return text


def _one_vehicle(source: MdsSource, operator_id: str, device_id: str) -> Vehicle:
    with reading(source.engine) as conn:
        vehicle = get_vehicle(conn, operator_id, _device(device_id))
    if str(vehicle.vehicle_class) not in MDS_CLASSES:  # work EVs are not in the feed
        msg = f"no vehicle {device_id} in this provider's MDS feed"
        raise NotFound(msg)
    return vehicle


def vehicles(source: MdsSource, operator_id: str, offset: int, limit: int) -> Page:
    """A page of the operator's MDS vehicles, by code."""
    with reading(source.engine) as conn:
        page = list_vehicles(
            conn, operator_id=operator_id, classes=VEHICLE_TYPES, limit=limit, offset=offset
        )
    return Page(
        [vehicle_item(v, operator_id, source.catalog[v.vehicle_class]) for v in page.items],
        page.total,
    )


def vehicle(source: MdsSource, operator_id: str, device_id: str) -> dict[str, Any]:
    """One MDS vehicle.

    Raises
    ------
    MdsParamError
        ``device_id`` is no uuid.
    NotFound
        The operator has no such vehicle in the feed.
    """
    found = _one_vehicle(source, operator_id, device_id)
    return vehicle_item(found, operator_id, source.catalog[found.vehicle_class])


def _last_events(
    source: MdsSource, operator_id: str, conn: Connection, ids: list[str], now: datetime
) -> dict[str, dict[str, Any]]:
    """Each vehicle's last event of the log's last :data:`RECENT_REACH` (the reach of
    ``/events/recent``), by vehicle id: the newest of its entries that becomes an event. Reads
    the newest :data:`FIRST_READ` entries per vehicle, then, for the vehicles none of those
    fits, :data:`READ_GROWTH` times as many before them, until each has its event or no more."""
    found: dict[str, dict[str, Any]] = {}
    pending, skip, count = ids, 0, FIRST_READ
    while pending:
        facts = mds_last.last_facts(
            conn,
            operator_id,
            now - RECENT_REACH,
            now + LATE,
            MDS_CLASSES,
            pending,
            skip=skip,
            count=count,
        )
        read = Counter(f.vehicle_id for f in {f.audit_id: f for f in facts}.values())
        for event in _events(source, operator_id, facts):  # oldest first: the newest stays
            found[event["device_id"]] = event
        pending = [v for v in pending if v not in found and read[v] == count]
        skip, count = skip + count, count * READ_GROWTH
    return found


def _statuses(source: MdsSource, operator_id: str, found: list[Vehicle]) -> list[dict[str, Any]]:
    """The statuses of ``found``, each with its last event (:func:`_last_events`)."""
    ids, now = sorted({v.id for v in found}), source.clock.now()
    with reading(source.engine) as conn:
        trips, samples = mds_db.open_trips(conn, ids), mds_db.latest_telemetry(conn, ids)
        last = _last_events(source, operator_id, conn, ids, now)
    return [
        vehicle_status_item(v, operator_id, trips.get(v.id), samples.get(v.id), last.get(v.id))
        for v in found
    ]


def statuses(source: MdsSource, operator_id: str, offset: int, limit: int) -> Page:
    """A page of the operator's MDS vehicle statuses, by code."""
    with reading(source.engine) as conn:
        page = list_vehicles(
            conn, operator_id=operator_id, classes=VEHICLE_TYPES, limit=limit, offset=offset
        )
    return Page(_statuses(source, operator_id, page.items), page.total)


def status(source: MdsSource, operator_id: str, device_id: str) -> dict[str, Any]:
    """One MDS vehicle status (raises as :func:`vehicle`)."""
    return _statuses(source, operator_id, [_one_vehicle(source, operator_id, device_id)])[0]


def _hour(source: MdsSource, operator_id: str, text: str | None, param: str) -> datetime:
    """The hour asked for, checked (see ``mds_time.check_hour``)."""
    start = parse_hour(text, param)
    with reading(source.engine) as conn:
        since = mds_db.operator_since(conn, operator_id)
    check_hour(start, source.clock.now(), since, param)
    return start


def trips(source: MdsSource, operator_id: str, end_time: str | None) -> list[dict[str, Any]]:
    """The trips that ended in the hour ``end_time`` (never a ride of ``ride_history``).

    Raises
    ------
    MdsParamError, HourNotOver, HourOutOfService
    """
    start = _hour(source, operator_id, end_time, "end_time")
    with reading(source.engine) as conn:
        rows = mds_db.trips_ended(conn, operator_id, start, start + HOUR, MDS_CLASSES)
    return [trip_item(r, operator_id) for r in rows]


def _events(
    source: MdsSource, operator_id: str, facts: list[mds_db.AuditFact]
) -> list[dict[str, Any]]:
    built = (event_of(f, operator_id, source.catalog) for f in facts)
    return [e for e in built if e is not None]


def events(source: MdsSource, operator_id: str, event_time: str | None) -> list[dict[str, Any]]:
    """The events of the hour ``event_time``, in the order they were logged (raises as
    :func:`trips`)."""
    start = _hour(source, operator_id, event_time, "event_time")
    with reading(source.engine) as conn:
        facts = mds_db.audit_facts(conn, operator_id, start, start + HOUR, MDS_CLASSES)
    return _events(source, operator_id, facts)


def recent_events(
    source: MdsSource,
    operator_id: str,
    start_time: str | None,
    end_time: str | None,
    *,
    after: int,
    limit: int,
) -> EventPage:
    """The events of ``[start_time, end_time)`` (milliseconds) logged after entry ``after``,
    reading at most ``limit`` log entries.

    Raises
    ------
    MdsParamError
        A time missing, malformed, reversed, too long, or more than two weeks back.
    """
    start, end = recent_window(start_time, end_time, source.clock.now())
    with reading(source.engine) as conn:
        facts = mds_db.audit_facts(
            conn, operator_id, start, end, MDS_CLASSES, after_id=after, limit=limit
        )
    more = len(facts) == limit
    return EventPage(_events(source, operator_id, facts), facts[-1].audit_id if more else None)


def telemetry(
    source: MdsSource, operator_id: str, telemetry_time: str | None
) -> list[dict[str, Any]]:
    """The telemetry of the hour ``telemetry_time`` (raises as :func:`trips`)."""
    start = _hour(source, operator_id, telemetry_time, "telemetry_time")
    with reading(source.engine) as conn:
        rows = mds_db.telemetry_between(conn, operator_id, start, start + HOUR, MDS_CLASSES)
    return [telemetry_item(r, operator_id) for r in rows]
