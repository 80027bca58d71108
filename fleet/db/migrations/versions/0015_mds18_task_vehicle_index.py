"""MDS statuses: an index on the vehicle of a crew task, so a vehicle's last entries (the crew
tasks' among them) are found from the vehicle, not by reading every task (issue mds18,
``fleet.db.mds_last``).

Revision ID: 0015_mds18
Revises: 0014_surf17
"""

from __future__ import annotations

from alembic import op

revision = "0015_mds18"
down_revision = "0014_surf17"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_ops_tasks_vehicle_id"), "ops_tasks", ["vehicle_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_ops_tasks_vehicle_id"), table_name="ops_tasks")
