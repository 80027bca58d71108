"""The telemetry table: vehicles' samples of position, charge, speed and road roughness (issue
17, docs/telemetry.md). Part of the one schema of ``fleet.db.tables``."""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Index, Integer, String, Table

from fleet.db.tables import ID, metadata
from fleet.db.types import UTCDateTime
from fleet.records import MAX_SAMPLE_ID

telemetry = Table(
    "telemetry",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("vehicle_id", String(ID), ForeignKey("vehicles.id"), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("soc_pct", Float, nullable=False),
    Column("speed_kph", Float, nullable=False),
    # the gateway's id of the sample (NULL for rows written before the ingest): a replay of a
    # sample already stored is skipped by the unique index below
    Column("sample_id", String(MAX_SAMPLE_ID), nullable=True),
    # vertical acceleration RMS over the sample's window, and the sound level, if measured
    Column("vibration_rms_ms2", Float, nullable=True),
    Column("noise_db", Float, nullable=True),
    Index("ix_telemetry_vehicle_at", "vehicle_id", "at"),
    Index("ux_telemetry_vehicle_sample", "vehicle_id", "sample_id", unique=True),
)
