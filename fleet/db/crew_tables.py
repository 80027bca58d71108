"""The crew room's tables: swap stations' slots per pack type, vans, crew shifts and crew plans
(their tasks are rows of ``ops_tasks``). Part of the one schema of ``fleet.db.tables``."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from fleet.db.tables import ID, _id, _operator, metadata
from fleet.db.types import UTCDateTime

station_slots = Table(
    # a swap station's slots per pack type
    "station_slots",
    metadata,
    Column("site_id", String(ID), ForeignKey("sites.id"), primary_key=True),
    Column("pack_class", String(32), primary_key=True),
    Column("slots", Integer, nullable=False),
    CheckConstraint("slots >= 0", name="slots_nonneg"),
)

vans = Table(
    "vans",
    metadata,
    _id(),
    _operator(),
    Column("name", String(200), nullable=False),
    Column("depot_id", String(ID), ForeignKey("sites.id"), nullable=False),
    Column("capacity_e_kickboard", Integer, nullable=False),
    Column("capacity_e_bike", Integer, nullable=False),
    Column("capacity_e_moped", Integer, nullable=False),
    Column("capacity_packs", Integer, nullable=False),
    UniqueConstraint("operator_id", "name", name="uq_vans_operator_name"),
    CheckConstraint(
        "capacity_e_kickboard >= 0 AND capacity_e_bike >= 0 AND capacity_e_moped >= 0 "
        "AND capacity_packs >= 0",
        name="capacities_nonneg",
    ),
)

crew_shifts = Table(
    "crew_shifts",
    metadata,
    _id(),
    _operator(),
    Column("crew_id", String(ID), ForeignKey("users.id"), nullable=False, index=True),
    Column("van_id", String(ID), ForeignKey("vans.id"), nullable=False),
    Column("start_at", UTCDateTime(), nullable=False),
    Column("end_at", UTCDateTime(), nullable=False),
    CheckConstraint("end_at > start_at", name="ends_after_it_starts"),
)

ops_plans = Table(
    # a crew plan (rebalancing or battery swaps) from proposal to approval, rejection or expiry
    "ops_plans",
    metadata,
    _id(),
    _operator(),
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("decided_at", UTCDateTime(), nullable=True),
    Column("decided_by", String(ID), ForeignKey("users.id"), nullable=True),
    # the 15-minute bucket a scheduled or requested plan belongs to: one plan per bucket
    Column("bucket", String(32), nullable=False),
    Column("idempotency_key", String(255), nullable=True),
    Column("job_id", String(64), nullable=True),
    Column("horizon_s", Integer, nullable=False),
    Column("expected_gain_trips", Float, nullable=False),
    Column("solver", String(64), nullable=False),
    Column("summary", JSON, nullable=False),
    Column("version", Integer, nullable=False, default=1),
    UniqueConstraint("operator_id", "kind", "bucket", name="uq_ops_plans_operator_kind_bucket"),
    UniqueConstraint("operator_id", "idempotency_key", name="uq_ops_plans_operator_key"),
)
