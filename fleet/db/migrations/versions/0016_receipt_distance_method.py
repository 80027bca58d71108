"""bookings.distance_method: how a receipt's distance was measured (map-matched telemetry, or
the road from start to end), kept with the receipt; the answer of ending the trip said it, and
nothing afterwards could

Revision ID: 0016_receipt_method
Revises: 0015_mds18
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_receipt_method"
down_revision = "0015_mds18"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("distance_method", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_column("distance_method")
