"""Telemetry samples from the operators' gateways: which of a batch's vehicles are the
operator's, and the batch written as one multi-row insert that skips samples already stored."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from fleet.db.tables import telemetry, vehicles
from fleet.records import TelemetrySample


def operator_vehicles(conn: Connection, operator_id: str, ids: Collection[str]) -> set[str]:
    """The ids among ``ids`` of vehicles of ``operator_id`` (another's, or none, are left out)."""
    if not ids:
        return set()
    query = select(vehicles.c.id).where(
        vehicles.c.operator_id == operator_id, vehicles.c.id.in_(sorted(ids))
    )
    return set(conn.scalars(query))


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
    """Store ``samples`` in one ``INSERT ... ON CONFLICT DO NOTHING``; answer how many were new.

    A sample whose (vehicle, sample id) is stored already, by an earlier batch or by one
    committing at the same moment, is skipped rather than failing the batch. The rows go in
    the order of their key, so two overlapping batches wait on each other and never deadlock.
    """
    if not samples:
        return 0
    rows = sorted((_row(s) for s in samples), key=lambda r: (r["vehicle_id"], r["sample_id"] or ""))
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(telemetry)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["vehicle_id", "sample_id"])
        .returning(telemetry.c.id)  # the rows stored (a driver's rowcount may say -1 here)
    )
    return len(conn.execute(statement).all())
