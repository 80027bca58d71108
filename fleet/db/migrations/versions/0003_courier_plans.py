"""courier plans: stops per shift; tracking tokens and proof codes of delivery jobs

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import fleet.db.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("delivery_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tracking_token", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("proof_code", sa.String(length=8), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_delivery_jobs_tracking_token"), ["tracking_token"]
        )
    op.create_table(
        "courier_stops",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("operator_id", sa.String(length=36), nullable=False),
        sa.Column("shift_id", sa.String(length=36), nullable=False),
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("eta", fleet.db.types.UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["delivery_jobs.id"],
                                name=op.f("fk_courier_stops_job_id_delivery_jobs")),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"],
                                name=op.f("fk_courier_stops_operator_id_operators")),
        sa.ForeignKeyConstraint(["shift_id"], ["courier_shifts.id"],
                                name=op.f("fk_courier_stops_shift_id_courier_shifts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courier_stops")),
        sa.UniqueConstraint("job_id", "kind", name="uq_courier_stops_job_kind"),
    )
    with op.batch_alter_table("courier_stops", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_courier_stops_job_id"), ["job_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_courier_stops_operator_id"), ["operator_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_courier_stops_shift_id"), ["shift_id"],
                              unique=False)


def downgrade() -> None:
    op.drop_table("courier_stops")
    with op.batch_alter_table("delivery_jobs", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_delivery_jobs_tracking_token"), type_="unique")
        batch_op.drop_column("proof_code")
        batch_op.drop_column("tracking_token")
