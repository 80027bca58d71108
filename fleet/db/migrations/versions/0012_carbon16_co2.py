"""carbon: each ride's CO2 split into the car baseline and the charging, and each delivery's
road distance and CO2, stored when it ends (issue 16, docs/carbon.md)

Revision ID: 0012_carbon16
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_carbon16"
down_revision = "0011"
branch_labels = None
depends_on = None

BOOKINGS = ("co2_car_g", "co2_charging_g")
DELIVERY_JOBS = ("distance_m", "co2_car_g", "co2_charging_g", "co2_avoided_g")


def upgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        for name in BOOKINGS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))
    with op.batch_alter_table("delivery_jobs", schema=None) as batch_op:
        for name in DELIVERY_JOBS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("delivery_jobs", schema=None) as batch_op:
        for name in reversed(DELIVERY_JOBS):
            batch_op.drop_column(name)
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        for name in reversed(BOOKINGS):
            batch_op.drop_column(name)
