"""demand: ride history that is not bookings (generated or imported), and the latest forecast
per demand cell and hour

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fleet.db.types import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ride_history",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("operator_id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=False),
        sa.Column("start_lat", sa.Float(), nullable=False),
        sa.Column("start_lon", sa.Float(), nullable=False),
        sa.Column("end_lat", sa.Float(), nullable=False),
        sa.Column("end_lon", sa.Float(), nullable=False),
        sa.CheckConstraint(
            "source IN ('generated', 'imported')", name=op.f("ck_ride_history_source_is_known")
        ),
        sa.CheckConstraint(
            "ended_at > started_at", name=op.f("ck_ride_history_ends_after_it_starts")
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_ride_history_operator_id_operators")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ride_history")),
    )
    op.create_index(
        "ix_ride_history_operator_started", "ride_history", ["operator_id", "started_at"]
    )
    op.create_index(
        op.f("ix_ride_history_operator_id"), "ride_history", ["operator_id"], unique=False
    )
    op.create_table(
        "demand_forecasts",
        sa.Column("operator_id", sa.String(length=36), nullable=False),
        sa.Column("cell", sa.String(length=16), nullable=False),
        sa.Column("hour_start", UTCDateTime(), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("run_at", UTCDateTime(), nullable=False),
        *(
            sa.Column(name, sa.Float(), nullable=False)
            for name in (
                "pickups", "pickups_p10", "pickups_p90", "dropoffs", "dropoffs_p10",
                "dropoffs_p90",
            )
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_demand_forecasts_operator_id_operators"),
        ),
        sa.PrimaryKeyConstraint(
            "operator_id", "cell", "hour_start", name=op.f("pk_demand_forecasts")
        ),
    )


def downgrade() -> None:
    op.drop_table("demand_forecasts")
    op.drop_index(op.f("ix_ride_history_operator_id"), table_name="ride_history")
    op.drop_index("ix_ride_history_operator_started", table_name="ride_history")
    op.drop_table("ride_history")
