"""The CO2 ledger: one row per ride or delivery that earned CO2, written in the transaction that
ended it (``fleet.carbon``'s footprint at the city's factors then). Totals sum these rows, so
they stay what they were when roads, factors or the catalog change. Part of the one schema of
``fleet.db.tables``; ``ride_history`` never writes here."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Index, Integer, PrimaryKeyConstraint, String, Table

from fleet.db.tables import ID, _operator, metadata
from fleet.db.types import UTCDateTime

co2_credits = Table(
    "co2_credits",
    metadata,
    Column("kind", String(16), nullable=False),  # ride | delivery
    Column("source_id", String(ID), nullable=False),  # the booking's or the delivery job's id
    _operator(),
    Column("at", UTCDateTime(), nullable=False),  # when the ride ended, the parcel was delivered
    Column("distance_m", Integer, nullable=False),
    Column("car_g", Integer, nullable=False),
    Column("charging_g", Integer, nullable=False),
    Column("net_g", Integer, nullable=False),
    PrimaryKeyConstraint("kind", "source_id"),  # credited once, however often asked
    CheckConstraint("kind IN ('ride', 'delivery')", name="kind_is_known"),
    Index("ix_co2_credits_operator_at", "operator_id", "at"),
)
