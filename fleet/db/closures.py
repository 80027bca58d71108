"""Hazard closures as managers change them: one of an operator's read (locked for a change),
a page of them, and a change to its name or window. Inserting one is ``sites.insert_zone``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, case, func, select, update

from fleet.db.sites import zone_from_row
from fleet.db.tables import zones
from fleet.exceptions import NotFound
from fleet.zones import Zone, ZoneKind

_CLOSURE = str(ZoneKind.HAZARD_CLOSURE)


def get_closure(conn: Connection, operator_id: str, closure_id: str, *, lock: bool) -> Zone:
    """One of the operator's closures; ``lock`` holds its row to the end of the transaction
    (PostgreSQL; SQLite's writers queue for the whole database already).

    Raises
    ------
    NotFound
        No closure of this id, or another operator's (the answer is the same).
    """
    query = select(zones).where(
        zones.c.id == closure_id, zones.c.operator_id == operator_id, zones.c.kind == _CLOSURE
    )
    if lock:
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    if row is None:
        msg = f"no closure {closure_id}"
        raise NotFound(msg)
    return zone_from_row(row)


def list_closures(
    conn: Connection,
    operator_id: str,
    now: datetime,
    ended_since: datetime,
    *,
    limit: int,
    offset: int,
) -> tuple[list[Zone], int]:
    """A page of the operator's closures not ended before ``ended_since`` (those in force or
    to come first, by start; then the ended, latest end first), and how many there are."""
    where = [
        zones.c.operator_id == operator_id,
        zones.c.kind == _CLOSURE,
        zones.c.active_until > ended_since,
    ]
    ended = case((zones.c.active_until <= now, 1), else_=0)
    rows = conn.execute(
        select(zones)
        .where(*where)
        .order_by(
            ended,
            case((zones.c.active_until <= now, None), else_=zones.c.active_from),
            zones.c.active_until.desc(),
            zones.c.id,
        )
        .limit(limit)
        .offset(offset)
    ).mappings()
    found = [zone_from_row(r) for r in rows]
    total = conn.execute(select(func.count()).select_from(zones).where(*where)).scalar_one()
    return found, int(total)


def change_closure(conn: Connection, changed: Zone) -> None:
    """Store a closure's new name and window (the caller read it locked and checked the
    change)."""
    conn.execute(
        update(zones)
        .where(zones.c.id == changed.id, zones.c.operator_id == changed.operator_id)
        .values(
            name=changed.name,
            active_from=changed.active_from,
            active_until=changed.active_until,
        )
    )
