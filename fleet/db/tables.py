"""The schema, as SQLAlchemy Core tables. Alembic migrations in ``migrations/`` must match it
(a test compares them)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

from fleet.db.types import UTCDateTime

metadata: MetaData = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = 36  # uuid4 text


def _id() -> Column[str]:
    return Column("id", String(ID), primary_key=True)


def _operator() -> Column[str]:
    return Column("operator_id", String(ID), ForeignKey("operators.id"), nullable=False, index=True)


operators = Table(
    "operators",
    metadata,
    _id(),
    Column("name", String(200), nullable=False, unique=True),
    Column("city", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

companies = Table(
    "companies",
    metadata,
    _id(),
    _operator(),
    Column("name", String(200), nullable=False),
    UniqueConstraint("operator_id", "name", name="uq_companies_operator_name"),
)

users = Table(
    "users",
    metadata,
    _id(),
    _operator(),
    Column("username", String(63), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("role", String(32), nullable=False),
    Column("company_id", String(ID), ForeignKey("companies.id"), nullable=True),
    Column("password_hash", String(255), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", String(ID), ForeignKey("users.id"), nullable=False, index=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
)

vehicles = Table(
    "vehicles",
    metadata,
    _id(),
    _operator(),
    Column("code", String(64), nullable=False),
    Column("vehicle_class", String(32), nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("soc_pct", Float, nullable=False),
    Column("odometer_m", BigInteger, nullable=False),
    Column("status", String(32), nullable=False, index=True),
    Column("battery_serial", String(64), nullable=True),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False, default=1),
    Column("plate", String(32), nullable=True),  # registration plate, where the class has one
    Column("model", String(64), nullable=True),
    UniqueConstraint("operator_id", "code", name="uq_vehicles_operator_code"),
    UniqueConstraint("operator_id", "plate", name="uq_vehicles_operator_plate"),
    CheckConstraint("soc_pct >= 0 AND soc_pct <= 100", name="soc_range"),
    CheckConstraint("odometer_m >= 0", name="odometer_nonneg"),
)

sites = Table(
    "sites",
    metadata,
    _id(),
    _operator(),
    Column("kind", String(32), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("capacity", Integer, nullable=False, default=0),
    Column("slots", Integer, nullable=False, default=0),
    Column("chargers", Integer, nullable=False, default=0),
    Column("charger_power_kw", Float, nullable=False, default=0.0),
    Column("parking_kind", String(32), nullable=True),
    UniqueConstraint("operator_id", "name", name="uq_sites_operator_name"),
)

battery_packs = Table(
    "battery_packs",
    metadata,
    Column("serial", String(64), primary_key=True),
    _operator(),
    Column("capacity_wh", Integer, nullable=False),
    Column("soc_pct", Float, nullable=False),
    Column("health_pct", Float, nullable=False),
    Column("location", String(16), nullable=False),
    Column("location_id", String(ID), nullable=False, index=True),
    Column("slot", Integer, nullable=True),
    # the vehicle class the pack fits (moped, kickboard, e-bike packs are not interchangeable)
    Column("pack_class", String(32), nullable=False, server_default="e_moped"),
    # when soc_pct was last set: a docked pack charges from then on (fleet.charging)
    Column("soc_at", UTCDateTime(), nullable=True),
    # the crew task an approved plan reserved this pack for (planners do not count it)
    Column("reserved_by", String(ID), nullable=True, index=True),
    UniqueConstraint("location_id", "slot", name="uq_battery_packs_location_slot"),
    CheckConstraint("soc_pct >= 0 AND soc_pct <= 100", name="soc_range"),
)

zones = Table(
    "zones",
    metadata,
    _id(),
    _operator(),
    Column("kind", String(32), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("geometry", JSON, nullable=False),
    Column("speed_limit_kph", Integer, nullable=True),
    Column("active_from", UTCDateTime(), nullable=True),
    Column("active_until", UTCDateTime(), nullable=True),
)

bookings = Table(
    "bookings",
    metadata,
    _id(),
    _operator(),
    Column("rider_id", String(ID), ForeignKey("users.id"), nullable=False, index=True),
    Column("vehicle_id", String(ID), ForeignKey("vehicles.id"), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("hold_until", UTCDateTime(), nullable=False),
    Column("started_at", UTCDateTime(), nullable=True),
    Column("ended_at", UTCDateTime(), nullable=True),
    Column("start_lat", Float, nullable=True),
    Column("start_lon", Float, nullable=True),
    Column("end_lat", Float, nullable=True),
    Column("end_lon", Float, nullable=True),
    Column("distance_m", Integer, nullable=True),
    Column("duration_s", Integer, nullable=True),
    Column("price_minor", Integer, nullable=True),
    Column("currency", String(3), nullable=True),
    Column("co2_avoided_g", Integer, nullable=True),
    Column("receipt_flag", String(200), nullable=True),
    Column("distance_method", String(16), nullable=True),
    # The guarantee that no vehicle is held or ridden by two riders lives here, in the database:
    # at most one open booking per vehicle, whatever process writes.
    Index(
        "uq_bookings_open_vehicle",
        "vehicle_id",
        unique=True,
        sqlite_where=text("status IN ('held', 'active')"),
        postgresql_where=text("status IN ('held', 'active')"),
    ),
    Index(
        "uq_bookings_open_rider",
        "rider_id",
        unique=True,
        sqlite_where=text("status IN ('held', 'active')"),
        postgresql_where=text("status IN ('held', 'active')"),
    ),
)

delivery_jobs = Table(
    "delivery_jobs",
    metadata,
    _id(),
    _operator(),
    Column("merchant_id", String(ID), ForeignKey("users.id"), nullable=False, index=True),
    Column("pickup_lat", Float, nullable=False),
    Column("pickup_lon", Float, nullable=False),
    Column("dropoff_lat", Float, nullable=False),
    Column("dropoff_lon", Float, nullable=False),
    Column("pickup_start", UTCDateTime(), nullable=False),
    Column("pickup_end", UTCDateTime(), nullable=False),
    Column("dropoff_start", UTCDateTime(), nullable=False),
    Column("dropoff_end", UTCDateTime(), nullable=False),
    Column("parcel_l", Integer, nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("courier_id", String(ID), ForeignKey("users.id"), nullable=True),
    Column("reason", Text, nullable=True),
    Column("tracking_token", String(64), nullable=True, unique=True),
    Column("proof_code", String(8), nullable=True),
    # wrong codes tried at the door; at MAX_PROOF_FAILURES the delivery waits for a new code
    Column("proof_failures", Integer, nullable=False, server_default="0"),
)

courier_shifts = Table(
    "courier_shifts",
    metadata,
    _id(),
    _operator(),
    Column("courier_id", String(ID), ForeignKey("users.id"), nullable=False, index=True),
    Column("vehicle_id", String(ID), ForeignKey("vehicles.id"), nullable=False),
    Column("start_at", UTCDateTime(), nullable=False),
    Column("end_at", UTCDateTime(), nullable=False),
    Column("box_capacity_l", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    # bumped by every change to the shift's plan: a planner writes only over the plan it read
    Column("plan_version", Integer, nullable=False, default=0, server_default="0"),
)

#: A courier's plan: the stops of a shift in order, with their planned arrival.
courier_stops = Table(
    "courier_stops",
    metadata,
    _id(),
    _operator(),
    Column("shift_id", String(ID), ForeignKey("courier_shifts.id"), nullable=False, index=True),
    Column("job_id", String(ID), ForeignKey("delivery_jobs.id"), nullable=True, index=True),
    Column("kind", String(8), nullable=False),  # pickup | dropoff | swap | return
    # the swap station of a swap stop (which has no job)
    Column("site_id", String(ID), ForeignKey("sites.id"), nullable=True),
    Column("seq", Integer, nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("eta", UTCDateTime(), nullable=False),
    Column("status", String(16), nullable=False),  # planned | done | failed
    UniqueConstraint("job_id", "kind", name="uq_courier_stops_job_kind"),
    CheckConstraint(
        "(kind = 'swap' AND site_id IS NOT NULL AND job_id IS NULL)"
        " OR (kind IN ('pickup', 'dropoff', 'return') AND job_id IS NOT NULL AND site_id IS NULL)",
        name="stop_is_a_job_or_a_swap",
    ),
)

reservations = Table(
    "reservations",
    metadata,
    _id(),
    _operator(),
    Column("company_id", String(ID), ForeignKey("companies.id"), nullable=False, index=True),
    Column("employee_id", String(ID), ForeignKey("users.id"), nullable=False, index=True),
    Column("hub_id", String(ID), ForeignKey("sites.id"), nullable=False),
    Column("vehicle_id", String(ID), ForeignKey("vehicles.id"), nullable=True, index=True),
    Column("start_at", UTCDateTime(), nullable=False),
    Column("end_at", UTCDateTime(), nullable=False),
    Column("planned_distance_m", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", Text, nullable=True),
)

ops_tasks = Table(
    "ops_tasks",
    metadata,
    _id(),
    _operator(),
    Column("kind", String(16), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("vehicle_id", String(ID), ForeignKey("vehicles.id"), nullable=True, index=True),
    Column("site_id", String(ID), ForeignKey("sites.id"), nullable=True),
    Column("assignee_id", String(ID), ForeignKey("users.id"), nullable=True),
    Column("note", Text, nullable=False, default=""),
    Column("plan_id", String(ID), ForeignKey("ops_plans.id"), nullable=True, index=True),
    Column("shift_id", String(ID), ForeignKey("crew_shifts.id"), nullable=True, index=True),
    Column("sequence", Integer, nullable=True),
    Column("target_lat", Float, nullable=True),
    Column("target_lon", Float, nullable=True),
    Column("arrive_at", UTCDateTime(), nullable=True),
    Column("reason", Text, nullable=False, server_default=""),
    Column("pack_class", String(32), nullable=True),
    Column("packs", Integer, nullable=False, server_default="0"),
    Column("pair_sequence", Integer, nullable=True),
    Column("is_drop", Boolean, nullable=False, server_default=false()),
    Column("gain_trips", Float, nullable=False, server_default="0"),
    Column("failure_reason", Text, nullable=True),
    Column("updated_at", UTCDateTime(), nullable=True),
    Column("version", Integer, nullable=False, server_default="1"),
)

ride_history = Table(
    # rides of the past that were never bookings: generated for a city without data, or
    # imported from an operator's records. Forecasts learn from them; receipts, CO2 totals and
    # open-data trips never see them.
    "ride_history",
    metadata,
    _id(),
    _operator(),
    Column("source", String(16), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime(), nullable=False),
    Column("start_lat", Float, nullable=False),
    Column("start_lon", Float, nullable=False),
    Column("end_lat", Float, nullable=False),
    Column("end_lon", Float, nullable=False),
    CheckConstraint("source IN ('generated', 'imported')", name="source_is_known"),
    CheckConstraint("ended_at > started_at", name="ends_after_it_starts"),
    Index("ix_ride_history_operator_started", "operator_id", "started_at"),
)

demand_forecasts = Table(
    # the latest forecast of each operator's demand cell and hour (a refresh replaces them)
    "demand_forecasts",
    metadata,
    Column("operator_id", String(ID), ForeignKey("operators.id"), primary_key=True),
    Column("cell", String(16), primary_key=True),
    Column("hour_start", UTCDateTime(), primary_key=True),
    Column("model", String(64), nullable=False),
    Column("run_at", UTCDateTime(), nullable=False),
    Column("pickups", Float, nullable=False),
    Column("pickups_p10", Float, nullable=False),
    Column("pickups_p90", Float, nullable=False),
    Column("dropoffs", Float, nullable=False),
    Column("dropoffs_p10", Float, nullable=False),
    Column("dropoffs_p90", Float, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime(), nullable=False, index=True),
    Column("operator_id", String(ID), nullable=False, index=True),
    Column("actor_id", String(ID), nullable=True),
    Column("action", String(64), nullable=False),
    Column("entity", String(32), nullable=False),
    Column("entity_id", String(64), nullable=False),
    Column("changes", JSON, nullable=False),
    Index("ix_audit_log_entity", "entity", "entity_id"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("user_id", String(ID), ForeignKey("users.id"), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("method", String(8), nullable=False),
    Column("path", String(255), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=True),  # NULL while the first request runs
    Column("response_body", Text, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

# The crew room's tables live beside this module (the schema is one MetaData).
# (import fleet.db.tables, never fleet.db.crew_tables itself: this line completes the schema)
from fleet.db.carbon_tables import co2_credits as co2_credits  # noqa: E402
from fleet.db.crew_tables import crew_shifts as crew_shifts  # noqa: E402
from fleet.db.crew_tables import ops_plans as ops_plans  # noqa: E402
from fleet.db.crew_tables import station_slots as station_slots  # noqa: E402
from fleet.db.crew_tables import vans as vans  # noqa: E402
from fleet.db.telemetry_tables import road_surface as road_surface  # noqa: E402
from fleet.db.telemetry_tables import road_surface_networks as road_surface_networks  # noqa: E402
from fleet.db.telemetry_tables import telemetry as telemetry  # noqa: E402
