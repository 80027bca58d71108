"""telemetry ingest: the gateway's sample id (unique per vehicle, so a replayed batch stores
nothing twice), the vertical vibration RMS and the noise level of a sample (issue 17,
docs/telemetry.md). Rows written before keep a NULL sample id.

Revision ID: 0013_tel17
Revises: 0012_carbon16
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_tel17"
down_revision = "0012_carbon16"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("telemetry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sample_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("vibration_rms_ms2", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("noise_db", sa.Float(), nullable=True))
        batch_op.create_index(
            "ux_telemetry_vehicle_sample", ["vehicle_id", "sample_id"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("telemetry", schema=None) as batch_op:
        batch_op.drop_index("ux_telemetry_vehicle_sample")
        batch_op.drop_column("noise_db")
        batch_op.drop_column("vibration_rms_ms2")
        batch_op.drop_column("sample_id")
