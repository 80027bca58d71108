"""Telemetry samples from the operators' gateways: which of a batch's vehicles (named by id or
by code) are the operator's, the operator's vehicles' ids and codes for its gateways, the batch
written as one multi-row insert that skips samples already stored, and a vehicle's track over a
trip (evenly thinned to a cap)."""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, or_, select, text
from sqlalchemy.dialects import sqlite

from fleet.db.tables import telemetry, vehicles
from fleet.records import TelemetrySample


def operator_vehicles(
    conn: Connection, operator_id: str, ids: Collection[str], codes: Collection[str] = ()
) -> dict[str, str]:
    """The operator's vehicles among ``ids`` and with a code among ``codes``, as ``{id: code}``,
    read in one query (another operator's, or none, are left out)."""
    named = []
    if ids:
        named.append(vehicles.c.id.in_(sorted(ids)))
    if codes:
        named.append(vehicles.c.code.in_(sorted(codes)))
    if not named:
        return {}
    query = select(vehicles.c.id, vehicles.c.code).where(
        vehicles.c.operator_id == operator_id, or_(*named)
    )
    return {row.id: row.code for row in conn.execute(query)}


@dataclass(frozen=True, slots=True)
class CodePage:
    """A page of an operator's vehicles as ``(id, code)`` by code, and how many there are."""

    items: list[tuple[str, str]]
    total: int


def vehicle_codes(conn: Connection, operator_id: str, *, limit: int, offset: int) -> CodePage:
    """The operator's vehicles' ids and codes, by code (a gateway maps the one to the other)."""
    mine = vehicles.c.operator_id == operator_id
    total = conn.execute(select(func.count()).select_from(vehicles).where(mine)).scalar_one()
    query = (
        select(vehicles.c.id, vehicles.c.code)
        .where(mine)
        .order_by(vehicles.c.code)
        .limit(limit)
        .offset(offset)
    )
    return CodePage([(row.id, row.code) for row in conn.execute(query)], int(total))


def _row(sample: TelemetrySample) -> dict[str, Any]:
    return {
        "vehicle_id": sample.vehicle_id,
        "sample_id": sample.sample_id,
        "at": sample.at,
        "lat": sample.position.lat,
        "lon": sample.position.lon,
        "soc_pct": sample.soc_pct,
        "speed_kph": sample.speed_kph,
        "vibration_rms_ms2": sample.vibration_rms_ms2,
        "noise_db": sample.noise_db,
    }


def insert_samples(conn: Connection, samples: Sequence[TelemetrySample]) -> int:
    """Store ``samples`` with ``INSERT ... ON CONFLICT DO NOTHING``; answer how many were new.
    (PostgreSQL: one statement of column arrays; SQLite: one cached statement, many rows.)

    A sample whose (vehicle, sample id) is stored already, by an earlier batch or by one
    committing at the same moment, is skipped rather than failing the batch. The rows go in
    the order of their key, so two overlapping batches wait on each other and never deadlock.
    """
    if not samples:
        return 0
    rows = sorted((_row(s) for s in samples), key=lambda r: (r["vehicle_id"], r["sample_id"] or ""))
    if conn.dialect.name == "postgresql":
        return len(conn.execute(_UNNEST_INSERT, _columns(rows)).all())
    statement = (
        sqlite.insert(telemetry)
        .on_conflict_do_nothing(index_elements=["vehicle_id", "sample_id"])
        .returning(telemetry.c.id)  # the rows stored (a driver's rowcount may say -1 here)
    )
    # executemany: one statement compiled once and cached, sent as batched multi-row INSERTs
    return len(conn.execute(statement, rows).all())


_COLUMNS = (
    ("vehicle_id", "varchar"),
    ("sample_id", "varchar"),
    ("at", "timestamptz"),
    ("lat", "float8"),
    ("lon", "float8"),
    ("soc_pct", "float8"),
    ("speed_kph", "float8"),
    ("vibration_rms_ms2", "float8"),
    ("noise_db", "float8"),
)
#: PostgreSQL: the batch as one array per column, unnested into rows. The statement's text never
#: changes, so neither SQLAlchemy nor the driver builds a 9,000-parameter VALUES clause per
#: request (that cost more than the database's work: docs/benchmarks/telemetry.md).
_UNNEST_INSERT = text(
    f"INSERT INTO telemetry ({', '.join(c for c, _ in _COLUMNS)}) "
    f"SELECT * FROM unnest({', '.join(f'CAST(:{c} AS {t}[])' for c, t in _COLUMNS)}) "
    "ON CONFLICT (vehicle_id, sample_id) DO NOTHING RETURNING id"
)


def _columns(rows: Sequence[dict[str, Any]]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {c: [r[c] for r in rows] for c, _ in _COLUMNS}
    out["at"] = [at.astimezone(UTC) for at in out["at"]]
    return out


def track(
    conn: Connection, vehicle_id: str, since: datetime, until: datetime, *, limit: int
) -> list[tuple[datetime, float, float]]:
    """The vehicle's samples taken from ``since`` to ``until`` (both included) as ``(at, lat,
    lon)`` in time order; of more than ``limit``, every k-th from the first, k the least that
    keeps at most ``limit`` (the thinning is done by the database: the rows left out are never
    sent)."""
    where = (telemetry.c.vehicle_id == vehicle_id, telemetry.c.at >= since, telemetry.c.at <= until)
    counting = select(func.count()).select_from(telemetry).where(*where)
    count = int(conn.execute(counting).scalar_one())
    step = max(1, math.ceil(count / max(1, limit)))
    rank = func.row_number().over(order_by=(telemetry.c.at, telemetry.c.id)).label("rank")
    ranked = select(telemetry.c.at, telemetry.c.lat, telemetry.c.lon, rank).where(*where).subquery()
    query = (
        select(ranked.c.at, ranked.c.lat, ranked.c.lon)
        .where((ranked.c.rank - 1) % step == 0)
        .order_by(ranked.c.rank)
    )
    return [(r.at, float(r.lat), float(r.lon)) for r in conn.execute(query)]
