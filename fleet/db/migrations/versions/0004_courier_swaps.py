"""courier swaps: a planned stop is a job's pickup or drop-off, or a swap at a station;
plan versions: a planner writes only over the plan it read

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

A_JOB_OR_A_SWAP = (
    "(kind = 'swap' AND site_id IS NOT NULL AND job_id IS NULL)"
    " OR (kind IN ('pickup', 'dropoff') AND job_id IS NOT NULL AND site_id IS NULL)"
)


def upgrade() -> None:
    with op.batch_alter_table("courier_shifts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("plan_version", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("courier_stops", schema=None) as batch_op:
        batch_op.alter_column("job_id", existing_type=sa.String(length=36), nullable=True)
        batch_op.add_column(sa.Column("site_id", sa.String(length=36), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_courier_stops_site_id_sites"), "sites", ["site_id"], ["id"]
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_courier_stops_stop_is_a_job_or_a_swap"), A_JOB_OR_A_SWAP
        )


def downgrade() -> None:
    # swap stops have no job: they go with the column that names their station
    op.execute("DELETE FROM courier_stops WHERE kind = 'swap'")
    with op.batch_alter_table("courier_stops", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("ck_courier_stops_stop_is_a_job_or_a_swap"), type_="check"
        )
        batch_op.drop_constraint(batch_op.f("fk_courier_stops_site_id_sites"), type_="foreignkey")
        batch_op.drop_column("site_id")
        batch_op.alter_column("job_id", existing_type=sa.String(length=36), nullable=False)
    with op.batch_alter_table("courier_shifts", schema=None) as batch_op:
        batch_op.drop_column("plan_version")
