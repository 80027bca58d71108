"""crews: packs typed by vehicle class that charge in their stations, station slots per pack
type, vans and crew shifts, crew plans, and tasks that belong to a plan and a van's route

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fleet.db.types import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _packs() -> None:
    with op.batch_alter_table("battery_packs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("pack_class", sa.String(length=32), nullable=False, server_default="e_moped")
        )
        batch_op.add_column(sa.Column("soc_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("reserved_by", sa.String(length=36), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_battery_packs_reserved_by"), ["reserved_by"], unique=False
        )
    op.create_table(
        "station_slots",
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("pack_class", sa.String(length=32), nullable=False),
        sa.Column("slots", sa.Integer(), nullable=False),
        sa.CheckConstraint("slots >= 0", name=op.f("ck_station_slots_slots_nonneg")),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_station_slots_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("site_id", "pack_class", name=op.f("pk_station_slots")),
    )
    # every station so far stocked moped packs only
    op.execute(
        "INSERT INTO station_slots (site_id, pack_class, slots) "
        "SELECT id, 'e_moped', slots FROM sites WHERE kind = 'swap_station'"
    )


def _crews() -> None:
    op.create_table(
        "vans",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("operator_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("depot_id", sa.String(length=36), nullable=False),
        sa.Column("capacity_e_kickboard", sa.Integer(), nullable=False),
        sa.Column("capacity_e_bike", sa.Integer(), nullable=False),
        sa.Column("capacity_e_moped", sa.Integer(), nullable=False),
        sa.Column("capacity_packs", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "capacity_e_kickboard >= 0 AND capacity_e_bike >= 0 AND capacity_e_moped >= 0 "
            "AND capacity_packs >= 0",
            name=op.f("ck_vans_capacities_nonneg"),
        ),
        sa.ForeignKeyConstraint(["depot_id"], ["sites.id"], name=op.f("fk_vans_depot_id_sites")),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_vans_operator_id_operators")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vans")),
        sa.UniqueConstraint("operator_id", "name", name="uq_vans_operator_name"),
    )
    op.create_index(op.f("ix_vans_operator_id"), "vans", ["operator_id"], unique=False)
    op.create_table(
        "crew_shifts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("operator_id", sa.String(length=36), nullable=False),
        sa.Column("crew_id", sa.String(length=36), nullable=False),
        sa.Column("van_id", sa.String(length=36), nullable=False),
        sa.Column("start_at", UTCDateTime(), nullable=False),
        sa.Column("end_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("end_at > start_at", name=op.f("ck_crew_shifts_ends_after_it_starts")),
        sa.ForeignKeyConstraint(
            ["crew_id"], ["users.id"], name=op.f("fk_crew_shifts_crew_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_crew_shifts_operator_id_operators")
        ),
        sa.ForeignKeyConstraint(["van_id"], ["vans.id"], name=op.f("fk_crew_shifts_van_id_vans")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crew_shifts")),
    )
    op.create_index(op.f("ix_crew_shifts_crew_id"), "crew_shifts", ["crew_id"], unique=False)
    op.create_index(
        op.f("ix_crew_shifts_operator_id"), "crew_shifts", ["operator_id"], unique=False
    )


def _plans() -> None:
    op.create_table(
        "ops_plans",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("operator_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=36), nullable=True),
        sa.Column("bucket", sa.String(length=32), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.Column("job_id", sa.String(length=64), nullable=True),
        sa.Column("horizon_s", sa.Integer(), nullable=False),
        sa.Column("expected_gain_trips", sa.Float(), nullable=False),
        sa.Column("solver", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_ops_plans_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_ops_plans_operator_id_operators")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ops_plans")),
        sa.UniqueConstraint(
            "operator_id", "kind", "bucket", name="uq_ops_plans_operator_kind_bucket"
        ),
        sa.UniqueConstraint("operator_id", "idempotency_key", name="uq_ops_plans_operator_key"),
    )
    op.create_index(op.f("ix_ops_plans_operator_id"), "ops_plans", ["operator_id"], unique=False)


_TASK_COLUMNS = (
    ("sequence", sa.Integer(), True, None),
    ("target_lat", sa.Float(), True, None),
    ("target_lon", sa.Float(), True, None),
    ("arrive_at", UTCDateTime(), True, None),
    ("reason", sa.Text(), False, ""),
    ("pack_class", sa.String(length=32), True, None),
    ("packs", sa.Integer(), False, "0"),
    ("pair_sequence", sa.Integer(), True, None),
    ("is_drop", sa.Boolean(), False, sa.false()),
    ("gain_trips", sa.Float(), False, "0"),
    ("failure_reason", sa.Text(), True, None),
    ("updated_at", UTCDateTime(), True, None),
    ("version", sa.Integer(), False, "1"),
)


def _tasks() -> None:
    with op.batch_alter_table("ops_tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("plan_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("shift_id", sa.String(length=36), nullable=True))
        for name, type_, nullable, default in _TASK_COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=nullable, server_default=default))
        batch_op.create_index(batch_op.f("ix_ops_tasks_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ops_tasks_shift_id"), ["shift_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_ops_tasks_plan_id_ops_plans"), "ops_plans", ["plan_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_ops_tasks_shift_id_crew_shifts"), "crew_shifts", ["shift_id"], ["id"]
        )


def upgrade() -> None:
    _packs()
    _crews()
    _plans()
    _tasks()


def downgrade() -> None:
    with op.batch_alter_table("ops_tasks", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_ops_tasks_shift_id_crew_shifts"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("fk_ops_tasks_plan_id_ops_plans"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_ops_tasks_shift_id"))
        batch_op.drop_index(batch_op.f("ix_ops_tasks_plan_id"))
        for name, *_ in reversed(_TASK_COLUMNS):
            batch_op.drop_column(name)
        batch_op.drop_column("shift_id")
        batch_op.drop_column("plan_id")
    op.drop_index(op.f("ix_ops_plans_operator_id"), table_name="ops_plans")
    op.drop_table("ops_plans")
    op.drop_index(op.f("ix_crew_shifts_operator_id"), table_name="crew_shifts")
    op.drop_index(op.f("ix_crew_shifts_crew_id"), table_name="crew_shifts")
    op.drop_table("crew_shifts")
    op.drop_index(op.f("ix_vans_operator_id"), table_name="vans")
    op.drop_table("vans")
    op.drop_table("station_slots")
    with op.batch_alter_table("battery_packs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_battery_packs_reserved_by"))
        batch_op.drop_column("reserved_by")
        batch_op.drop_column("soc_at")
        batch_op.drop_column("pack_class")
