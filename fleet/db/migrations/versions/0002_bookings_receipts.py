"""bookings: trip receipts; at most one open booking per vehicle and per rider

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

OPEN = sa.text("status IN ('held', 'active')")
COLUMNS: list[tuple[str, sa.types.TypeEngine[Any]]] = [
    ("start_lat", sa.Float()),
    ("start_lon", sa.Float()),
    ("end_lat", sa.Float()),
    ("end_lon", sa.Float()),
    ("distance_m", sa.Integer()),
    ("duration_s", sa.Integer()),
    ("price_minor", sa.Integer()),
    ("currency", sa.String(length=3)),
    ("co2_avoided_g", sa.Integer()),
]


def upgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        for name, kind in COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
        # no vehicle held or ridden by two riders; no rider with two open bookings
        for name, column in (("uq_bookings_open_vehicle", "vehicle_id"),
                             ("uq_bookings_open_rider", "rider_id")):
            batch_op.create_index(name, [column], unique=True, sqlite_where=OPEN,
                                  postgresql_where=OPEN)


def downgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_index("uq_bookings_open_rider")
        batch_op.drop_index("uq_bookings_open_vehicle")
        for name, _kind in reversed(COLUMNS):
            batch_op.drop_column(name)
