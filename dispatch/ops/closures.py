"""Hazard closures (disaster response): managers close an area's roads for a window, extend
the window as the situation goes on, and end it when the roads are clear.

Nothing keeps closures in memory: bookings, routes and courier plans read the operator's zones
on every request, and the routing engine keys its caches by the closed edges, so a change holds
from the moment it is committed. Every change is audited in its transaction; then the
operator's couriers are re-planned (through the service's requester: on the queue in the
platform), since their routes may cross the area.

A closure's window: it starts at most ``BACKDATE`` before now (a closure entered late) and at
most ``HORIZON`` ahead, and ends after now and at most ``MAX_AHEAD`` after its start or after
now, whichever is later; a longer disaster is extended as it goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum

from dispatch.couriers.service import ReplanRequester
from dispatch.ops.closure_area import closure_area
from fleet.clock import Clock
from fleet.db import closures as closures_db
from fleet.db.audit import record
from fleet.db.engine import Connection, Engine, reading, writing
from fleet.db.sites import insert_zone, list_zones
from fleet.exceptions import Conflict, InvalidValue, OutsideServiceArea
from fleet.identity import User
from fleet.ids import Ids
from fleet.records import AuditEntry
from fleet.zones import Zone, ZoneKind

#: The furthest a closure's end lies after its start, or after now when it is extended.
MAX_AHEAD = timedelta(days=30)
#: How far back a closure may start (entered after the fact), and how far ahead.
BACKDATE = timedelta(hours=24)
HORIZON = timedelta(days=366)
#: Ended closures stay in the managers' list this long.
RECENT = timedelta(days=7)
#: The longest name (the column's width).
MAX_NAME = 200


class ClosureStatus(StrEnum):
    """Where a closure stands at an instant."""

    SCHEDULED = "scheduled"
    ACTIVE = "active"
    ENDED = "ended"


def status_of(closure: Zone, at: datetime) -> ClosureStatus:
    """The closure's status at ``at``."""
    assert closure.active_from is not None and closure.active_until is not None
    if closure.active_until <= at:
        return ClosureStatus.ENDED
    return ClosureStatus.ACTIVE if closure.active_from <= at else ClosureStatus.SCHEDULED


@dataclass(frozen=True, slots=True)
class ClosureService:
    """What managing closures runs on; ``replans`` is told when the roads change."""

    engine: Engine
    clock: Clock
    ids: Ids
    replans: ReplanRequester
    zone: tzinfo = UTC  # the city's: times in messages are shown in it

    def shown(self, at: datetime) -> str:
        """An instant as people of the city read it."""
        return at.astimezone(self.zone).isoformat()


def _name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        msg = "a closure needs a name people recognise, such as 'Flooded underpass'"
        raise InvalidValue(msg)
    if len(cleaned) > MAX_NAME:
        msg = f"a closure's name has at most {MAX_NAME} characters, got {len(cleaned)}"
        raise InvalidValue(msg)
    return cleaned


def _check_end(
    service: ClosureService, active_from: datetime, active_until: datetime, now: datetime
) -> None:
    if active_until <= now:
        shown = service.shown(active_until)
        msg = f"active_until {shown} is in the past: a closure ends after now"
        raise InvalidValue(msg)
    if active_until <= active_from:
        msg = "active_until must be after active_from"
        raise InvalidValue(msg)
    latest = max(active_from, now) + MAX_AHEAD
    if active_until > latest:
        msg = (
            f"a closure reaches at most {MAX_AHEAD.days} days past its start or now (here "
            f"{service.shown(latest)}); extend it later if the roads are still closed"
        )
        raise InvalidValue(msg)


def _check_start(active_from: datetime, now: datetime) -> None:
    if active_from < now - BACKDATE:
        hours = int(BACKDATE.total_seconds()) // 3600
        msg = f"active_from lies more than {hours} hours in the past"
        raise InvalidValue(msg)
    if active_from > now + HORIZON:
        msg = f"a closure starts at most {HORIZON.days} days ahead"
        raise InvalidValue(msg)


def _check_in_service_area(conn: Connection, operator_id: str, closure: Zone) -> None:
    areas = list_zones(conn, operator_id, ZoneKind.SERVICE_AREA)
    if any(a.area.geometry.intersects(closure.area.geometry) for a in areas):
        return
    point = closure.area.geometry.representative_point()
    detail = "a closure must overlap it" if areas else "the operator has no service area"
    raise OutsideServiceArea(point.y, point.x, detail, what="the closure's area around")


def create_closure(
    service: ClosureService,
    manager: User,
    *,
    name: str,
    geometry: object,
    active_until: datetime,
    active_from: datetime | None = None,
) -> Zone:
    """Close the roads of an area from ``active_from`` (now when not given) to
    ``active_until``.

    Raises
    ------
    InvalidValue
        A bad name, geometry (``closure_area``) or window.
    OutsideServiceArea
        The area does not overlap the operator's service area.
    """
    now = service.clock.now()
    start = active_from if active_from is not None else now
    _check_start(start, now)
    _check_end(service, start, active_until, now)
    closure = Zone(
        id=service.ids.new_id(),
        operator_id=manager.operator_id,
        kind=ZoneKind.HAZARD_CLOSURE,
        name=_name(name),
        area=closure_area(geometry),
        active_from=start,
        active_until=active_until,
    )
    with writing(service.engine) as conn:
        _check_in_service_area(conn, manager.operator_id, closure)
        insert_zone(conn, closure, service.clock, manager.id)
    service.replans.roads_changed(manager.operator_id)
    return closure


def change_closure(
    service: ClosureService,
    manager: User,
    closure_id: str,
    *,
    active_until: datetime | None = None,
    name: str | None = None,
) -> Zone:
    """Extend a closure to a later ``active_until``, or rename it.

    Raises
    ------
    NotFound
        No closure of the operator with this id.
    InvalidValue
        Nothing to change, a bad name, or an end not later than the closure's (to end it
        earlier, end it now) or too far ahead.
    Conflict
        The closure has ended.
    """
    if active_until is None and name is None:
        msg = "nothing to change: send a later active_until, a name, or both"
        raise InvalidValue(msg)
    now = service.clock.now()
    with writing(service.engine) as conn:
        closure = closures_db.get_closure(conn, manager.operator_id, closure_id, lock=True)
        assert closure.active_from is not None and closure.active_until is not None
        _still_open(service, closure, now)
        changed = closure
        if name is not None:
            changed = replace(changed, name=_name(name))
        if active_until is not None:
            if active_until <= closure.active_until:
                msg = (
                    "active_until must be later than the closure's end "
                    f"{service.shown(closure.active_until)}: a closure is only extended "
                    "(to open the roads earlier, end it now)"
                )
                raise InvalidValue(msg)
            _check_end(service, closure.active_from, active_until, now)
            changed = replace(changed, active_until=active_until)
        closures_db.change_closure(conn, changed)
        _audit(conn, service, manager, "closure.change", closure, changed)
    if changed.active_until != closure.active_until:
        service.replans.roads_changed(manager.operator_id)
    return changed


def end_closure(service: ClosureService, manager: User, closure_id: str) -> Zone:
    """End a closure now: its roads open again. One that has not started is called off (its
    window becomes empty, starting and ending now).

    Raises
    ------
    NotFound
        No closure of the operator with this id.
    Conflict
        The closure has ended already.
    """
    now = service.clock.now()
    with writing(service.engine) as conn:
        closure = closures_db.get_closure(conn, manager.operator_id, closure_id, lock=True)
        assert closure.active_from is not None
        _still_open(service, closure, now)
        ended = replace(closure, active_from=min(closure.active_from, now), active_until=now)
        closures_db.change_closure(conn, ended)
        _audit(conn, service, manager, "closure.end", closure, ended)
    service.replans.roads_changed(manager.operator_id)
    return ended


def list_closures(
    service: ClosureService, manager: User, *, limit: int, offset: int
) -> tuple[list[Zone], int]:
    """A page of the operator's closures in force or to come, then those ended in the last
    ``RECENT`` (latest first), and how many there are."""
    now = service.clock.now()
    with reading(service.engine) as conn:
        return closures_db.list_closures(
            conn, manager.operator_id, now, now - RECENT, limit=limit, offset=offset
        )


def _still_open(service: ClosureService, closure: Zone, now: datetime) -> None:
    if status_of(closure, now) is ClosureStatus.ENDED:
        assert closure.active_until is not None
        msg = (
            f"the closure ended at {service.shown(closure.active_until)}: create a new one if "
            "the roads are closed again"
        )
        raise Conflict(msg)


def _audit(
    conn: Connection,
    service: ClosureService,
    manager: User,
    action: str,
    before: Zone,
    after: Zone,
) -> None:
    changes: dict[str, object] = {}
    for field in ("name", "active_from", "active_until"):
        old, new = getattr(before, field), getattr(after, field)
        if old != new:
            changes[field] = [_text(old), _text(new)]
    at = service.clock.now()
    entry = AuditEntry(at, manager.operator_id, manager.id, action, "zone", before.id, changes)
    record(conn, entry)


def _text(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value
