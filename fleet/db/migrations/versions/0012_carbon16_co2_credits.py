"""carbon: the CO2 ledger, a row per ride or delivery that earned CO2 with its distance, the car
baseline's, the charging's and the net grams (issue 16, docs/carbon.md). Rides ended before it
are credited what their receipts said (then the car's grams alone, no charging).

Revision ID: 0012_carbon16
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fleet.db.types import UTCDateTime

revision = "0012_carbon16"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "co2_credits",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=False),
        sa.Column("operator_id", sa.String(length=36), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("distance_m", sa.Integer(), nullable=False),
        sa.Column("car_g", sa.Integer(), nullable=False),
        sa.Column("charging_g", sa.Integer(), nullable=False),
        sa.Column("net_g", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('ride', 'delivery')", name=op.f("ck_co2_credits_kind_is_known")
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_co2_credits_operator_id_operators")
        ),
        sa.PrimaryKeyConstraint("kind", "source_id", name=op.f("pk_co2_credits")),
    )
    op.create_index(
        op.f("ix_co2_credits_operator_id"), "co2_credits", ["operator_id"], unique=False
    )
    op.create_index(
        "ix_co2_credits_operator_at", "co2_credits", ["operator_id", "at"], unique=False
    )
    op.execute(
        "INSERT INTO co2_credits "
        "(kind, source_id, operator_id, at, distance_m, car_g, charging_g, net_g) "
        "SELECT 'ride', id, operator_id, ended_at, distance_m, co2_avoided_g, 0, co2_avoided_g "
        "FROM bookings WHERE status = 'completed' AND ended_at IS NOT NULL "
        "AND distance_m IS NOT NULL AND co2_avoided_g IS NOT NULL AND receipt_flag IS NULL"
    )


def downgrade() -> None:
    op.drop_index("ix_co2_credits_operator_at", table_name="co2_credits")
    op.drop_index(op.f("ix_co2_credits_operator_id"), table_name="co2_credits")
    op.drop_table("co2_credits")
