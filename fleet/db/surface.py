"""The road-surface index in the database (docs/road-surface.md): telemetry samples waiting for
the map matcher and the edges it found, the readings the index is made of, and the index of a
mode's network replaced whole in one transaction.

Edge numbers mean something only on the network they were matched on: a mode's row in
``road_surface_networks`` names that network (a hash of its edges); when the network changes
the matches are forgotten and made again.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from fleet.db.tables import road_surface, road_surface_networks, telemetry, vehicles

#: A sample waiting for the matcher: (row id, latitude, longitude, time).
Pending = tuple[int, float, float, datetime]


@dataclass(frozen=True, slots=True)
class NetworkState:
    """Which network a mode's index and matches refer to, and when it was last refreshed."""

    network_key: str
    computed_at: datetime | None
    samples: int
    median_ms2: float | None


def network_state(conn: Connection, mode: str, *, lock: bool = False) -> NetworkState | None:
    """The mode's row (``None`` before its first refresh); ``lock``: held until the caller's
    transaction ends (PostgreSQL), so refreshes running at once take turns."""
    query = select(road_surface_networks).where(road_surface_networks.c.mode == mode)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        return None
    return NetworkState(row.network_key, row.computed_at, row.samples, row.median_ms2)


def adopt_network(conn: Connection, mode: str, network_key: str, classes: Collection[str]) -> bool:
    """Make ``network_key`` the mode's network. If another was, forget its index and the
    matches of the mode's vehicles (``classes``) so they are made again; whether it changed."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(
        dialect.insert(road_surface_networks)
        .values(mode=mode, network_key=network_key, samples=0)
        .on_conflict_do_nothing(index_elements=["mode"])
    )  # a mode's first refresh makes its row (of two at once, one does)
    state = network_state(conn, mode, lock=True)
    if state is None or state.network_key == network_key:
        return False
    conn.execute(
        update(road_surface_networks)
        .where(road_surface_networks.c.mode == mode)
        .values(network_key=network_key, computed_at=None, samples=0, median_ms2=None)
    )
    conn.execute(delete(road_surface).where(road_surface.c.mode == mode))
    ours = select(vehicles.c.id).where(vehicles.c.vehicle_class.in_(sorted(classes)))
    conn.execute(
        update(telemetry)
        .where(telemetry.c.road_edge.is_not(None), telemetry.c.vehicle_id.in_(ours))
        .values(road_edge=None)
    )
    return True


def vehicles_pending(conn: Connection, classes: Collection[str]) -> list[str]:
    """Vehicles of ``classes`` with samples the matcher has not seen, by id."""
    query = (
        select(telemetry.c.vehicle_id)
        .join(vehicles, vehicles.c.id == telemetry.c.vehicle_id)
        .where(telemetry.c.road_edge.is_(None), vehicles.c.vehicle_class.in_(sorted(classes)))
        .distinct()
        .order_by(telemetry.c.vehicle_id)
    )
    return list(conn.scalars(query))


def pending(conn: Connection, vehicle_id: str, limit: int) -> list[Pending]:
    """Up to ``limit`` of the vehicle's unmatched samples, oldest first."""
    query = (
        select(telemetry.c.id, telemetry.c.lat, telemetry.c.lon, telemetry.c.at)
        .where(telemetry.c.vehicle_id == vehicle_id, telemetry.c.road_edge.is_(None))
        .order_by(telemetry.c.at, telemetry.c.id)
        .limit(limit)
    )
    return [(r.id, r.lat, r.lon, r.at) for r in conn.execute(query)]


def set_edges(conn: Connection, matched: Sequence[tuple[int, int]]) -> None:
    """Record the edge of each ``(row id, edge)`` (-1: no road near the sample)."""
    if not matched:
        return
    statement = (
        update(telemetry)
        .where(telemetry.c.id == bindparam("row_id"))
        .values(road_edge=bindparam("edge"))
    )
    conn.execute(statement, [{"row_id": i, "edge": e} for i, e in matched])


def readings(
    conn: Connection, classes: Collection[str], since: datetime
) -> Iterator[tuple[int, float, float]]:
    """``(edge, vibration, speed)`` of the matched samples since ``since`` that carry a
    vibration, of vehicles of ``classes`` (streamed: there may be millions)."""
    query = (
        select(telemetry.c.road_edge, telemetry.c.vibration_rms_ms2, telemetry.c.speed_kph)
        .join(vehicles, vehicles.c.id == telemetry.c.vehicle_id)
        .where(
            telemetry.c.road_edge >= 0,
            telemetry.c.vibration_rms_ms2.is_not(None),
            telemetry.c.at >= since,
            vehicles.c.vehicle_class.in_(sorted(classes)),
        )
    )
    for row in conn.execution_options(yield_per=10_000).execute(query):
        yield int(row[0]), float(row[1]), float(row[2])


def replace_index(
    conn: Connection,
    mode: str,
    roads: Sequence[dict[str, Any]],
    *,
    computed_at: datetime,
    samples: int,
    median_ms2: float | None,
) -> None:
    """Put ``roads`` (column → value) in place of the mode's index, in the caller's
    transaction: readers see the old index or the new one, never a mix. Refreshes that end at
    once take turns on the mode's row (locked first), so neither finds the other's rows."""
    network_state(conn, mode, lock=True)
    conn.execute(delete(road_surface).where(road_surface.c.mode == mode))
    if roads:
        conn.execute(insert(road_surface), [{**r, "mode": mode} for r in roads])
    conn.execute(
        update(road_surface_networks)
        .where(road_surface_networks.c.mode == mode)
        .values(computed_at=computed_at, samples=samples, median_ms2=median_ms2)
    )


def index_rows(conn: Connection, mode: str) -> list[dict[str, Any]]:
    """The mode's index, road by road."""
    query = select(road_surface).where(road_surface.c.mode == mode).order_by(road_surface.c.road)
    return [dict(r._mapping) for r in conn.execute(query)]


def worst_roads(conn: Connection, mode: str) -> set[int]:
    """The ids of the mode's roads in the index's worst decile."""
    query = select(road_surface.c.road).where(road_surface.c.mode == mode, road_surface.c.worst)
    return set(conn.scalars(query))


def penalties(conn: Connection, mode: str) -> dict[int, float]:
    """Edge → travel-time factor of the mode's roads that cost extra (both directions)."""
    query = select(road_surface.c.road, road_surface.c.twin, road_surface.c.penalty).where(
        road_surface.c.mode == mode, road_surface.c.penalty > 1
    )
    found: dict[int, float] = {}
    for road, twin, factor in conn.execute(query):
        found[road] = factor
        if twin >= 0:
            found[twin] = factor
    return found
