"""vehicle plate and model: what staff and riders read on a vehicle besides its fleet code
(work EVs and mopeds carry registration plates)

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("vehicles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("plate", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("model", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_vehicles_operator_plate", ["operator_id", "plate"])


def downgrade() -> None:
    with op.batch_alter_table("vehicles", schema=None) as batch_op:
        batch_op.drop_constraint("uq_vehicles_operator_plate", type_="unique")
        batch_op.drop_column("model")
        batch_op.drop_column("plate")
