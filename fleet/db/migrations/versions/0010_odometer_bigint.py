"""odometer as a 64-bit integer: a vehicle whose odometer staff set to the 32-bit limit
(2,147,483,647 m) overflowed the column at its next trip

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("vehicles", schema=None) as batch_op:
        batch_op.alter_column(
            "odometer_m", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=False
        )


def downgrade() -> None:
    # readings past the 32-bit limit cannot go back: they are capped at it
    op.execute("UPDATE vehicles SET odometer_m = 2147483647 WHERE odometer_m > 2147483647")
    with op.batch_alter_table("vehicles", schema=None) as batch_op:
        batch_op.alter_column(
            "odometer_m", existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False
        )
