"""The telemetry table: vehicles' samples of position, charge, speed and road roughness (issue
17, docs/telemetry.md), and the road-surface index made from them (docs/road-surface.md). Part
of the one schema of ``fleet.db.tables``.

The index is the city's, pooled over every operator's vehicles (it says how rough a road is,
nothing of who rode it): one row per road of a mode's network, and one row per mode saying
which network its edge numbers belong to and when it was computed."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
)

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
    # the bike network's edge the map matcher put the sample on: NULL not matched yet, -1 no
    # road near it (road_surface_networks says which network the numbers belong to)
    Column("road_edge", Integer, nullable=True),
    Index("ix_telemetry_vehicle_at", "vehicle_id", "at"),
    Index("ux_telemetry_vehicle_sample", "vehicle_id", "sample_id", unique=True),
)

#: Which network a mode's edge numbers refer to (a hash of its edges), and the last refresh.
road_surface_networks = Table(
    "road_surface_networks",
    metadata,
    Column("mode", String(16), primary_key=True),
    Column("network_key", String(64), nullable=False),
    Column("computed_at", UTCDateTime(), nullable=True),
    Column("samples", Integer, nullable=False),  # readings the index was made of
    Column("median_ms2", Float, nullable=True),  # the ranked roads' median roughness
)

road_surface = Table(
    "road_surface",
    metadata,
    Column("mode", String(16), nullable=False),
    Column("road", Integer, nullable=False),  # the lower edge number of the way's directions
    Column("twin", Integer, nullable=False),  # the other direction, -1 on a one-way road
    Column("samples", Integer, nullable=False),
    Column("roughness_ms2", Float, nullable=False),  # median vibration RMS
    Column("low_ms2", Float, nullable=False),  # its 95 % interval
    Column("high_ms2", Float, nullable=True),  # NULL: unbounded (a single sample)
    Column("confidence", String(8), nullable=False),
    Column("percentile", Float, nullable=True),  # NULL: not ranked (too few samples)
    Column("worst", Boolean, nullable=False),
    Column("penalty", Float, nullable=False),
    PrimaryKeyConstraint("mode", "road"),
    CheckConstraint("confidence IN ('low', 'medium', 'high')", name="confidence_is_known"),
)
