"""Demand data: ride history that is not bookings (generated or imported), the rides the
forecasts learn from (that history and the platform's own finished trips), and the latest
forecast per demand cell and hour."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from fleet.db.tables import bookings, demand_forecasts, operators, ride_history
from fleet.exceptions import InvalidValue
from fleet.geo import Position
from fleet.ids import Ids
from fleet.rides import PastRide

SOURCES = ("generated", "imported")
_BATCH = 2000


def add_history(
    conn: Connection, operator_id: str, source: str, rides: Iterable[PastRide], ids: Ids
) -> int:
    """Store rides of the past under ``source`` (in batches); how many.

    Raises
    ------
    InvalidValue
        An unknown source, or a ride that ends before it starts.
    """
    if source not in SOURCES:
        msg = f"unknown ride-history source {source!r}; one of: {', '.join(SOURCES)}"
        raise InvalidValue(msg)
    batch: list[dict[str, Any]] = []
    stored = 0
    for ride in rides:
        if ride.ended_at <= ride.started_at:
            msg = f"a ride ends ({ride.ended_at}) before it starts ({ride.started_at})"
            raise InvalidValue(msg)
        batch.append(
            {
                "id": ids.new_id(),
                "operator_id": operator_id,
                "source": source,
                "started_at": ride.started_at,
                "ended_at": ride.ended_at,
                "start_lat": ride.start.lat,
                "start_lon": ride.start.lon,
                "end_lat": ride.end.lat,
                "end_lon": ride.end.lon,
            }
        )
        if len(batch) == _BATCH:
            conn.execute(insert(ride_history), batch)
            stored, batch = stored + len(batch), []
    if batch:
        conn.execute(insert(ride_history), batch)
        stored += len(batch)
    return stored


def stored_history(
    conn: Connection, operator_id: str, since: datetime, until: datetime
) -> set[PastRide]:
    """The operator's ride history that started from ``since`` to ``until`` (inclusive), as
    values, for telling a ride already stored."""
    h = ride_history.c
    rows = conn.execute(
        select(h.started_at, h.ended_at, h.start_lat, h.start_lon, h.end_lat, h.end_lon).where(
            h.operator_id == operator_id, h.started_at >= since, h.started_at <= until
        )
    ).all()
    return {PastRide(r[0], r[1], Position(r[2], r[3]), Position(r[4], r[5])) for r in rows}


def rides_since(conn: Connection, operator_id: str, since: datetime) -> list[PastRide]:
    """The operator's rides started since ``since``, oldest first: its history and its own
    finished trips."""
    h = ride_history.c
    past = conn.execute(
        select(h.started_at, h.ended_at, h.start_lat, h.start_lon, h.end_lat, h.end_lon).where(
            h.operator_id == operator_id, h.started_at >= since
        )
    ).all()
    b = bookings.c
    own = conn.execute(
        select(b.started_at, b.ended_at, b.start_lat, b.start_lon, b.end_lat, b.end_lon).where(
            b.operator_id == operator_id,
            b.status == "completed",
            b.started_at >= since,
            b.end_lat.is_not(None),
        )
    ).all()
    rides = [
        PastRide(r[0], r[1], Position(r[2], r[3]), Position(r[4], r[5])) for r in [*past, *own]
    ]
    return sorted(rides, key=lambda r: r.started_at)


@dataclass(frozen=True, slots=True)
class CellForecast:
    """A stored forecast of one demand cell and hour."""

    cell: str
    hour_start: datetime
    model: str
    run_at: datetime
    pickups: float
    pickups_p10: float
    pickups_p90: float
    dropoffs: float
    dropoffs_p10: float
    dropoffs_p90: float


def replace_forecasts(conn: Connection, operator_id: str, forecasts: Sequence[CellForecast]) -> int:
    """The operator's forecasts become ``forecasts`` (the old ones go, in the same
    transaction); how many. Refreshes of one operator take turns on its row (``FOR UPDATE``
    on PostgreSQL; SQLite's writers take turns anyway), so two at once never collide."""
    conn.execute(select(operators.c.id).where(operators.c.id == operator_id).with_for_update())
    conn.execute(delete(demand_forecasts).where(demand_forecasts.c.operator_id == operator_id))
    rows = [{"operator_id": operator_id, **_fields(f)} for f in forecasts]
    for n in range(0, len(rows), _BATCH):
        conn.execute(insert(demand_forecasts), rows[n : n + _BATCH])
    return len(rows)


def forecasts_between(
    conn: Connection, operator_id: str, start: datetime, end: datetime
) -> list[CellForecast]:
    """The operator's stored forecasts of the hours from ``start`` to before ``end``."""
    f = demand_forecasts.c
    rows = conn.execute(
        select(demand_forecasts)
        .where(f.operator_id == operator_id, f.hour_start >= start, f.hour_start < end)
        .order_by(f.hour_start, f.cell)
    ).mappings()
    return [CellForecast(**{k: v for k, v in r.items() if k != "operator_id"}) for r in rows]


def _fields(f: CellForecast) -> dict[str, Any]:
    return {name: getattr(f, name) for name in CellForecast.__slots__}
