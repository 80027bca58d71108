"""road-surface index: the edge each telemetry sample was matched to, the index per road and
the network its edge numbers belong to (issue 17, docs/road-surface.md).

Revision ID: 0014_surf17
Revises: 0013_tel17
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fleet.db.types import UTCDateTime

revision = "0014_surf17"
down_revision = "0013_tel17"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("telemetry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("road_edge", sa.Integer(), nullable=True))
    op.create_table(
        "road_surface_networks",
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("network_key", sa.String(length=64), nullable=False),
        sa.Column("computed_at", UTCDateTime(), nullable=True),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("median_ms2", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("mode", name=op.f("pk_road_surface_networks")),
    )
    op.create_table(
        "road_surface",
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("road", sa.Integer(), nullable=False),
        sa.Column("twin", sa.Integer(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("roughness_ms2", sa.Float(), nullable=False),
        sa.Column("low_ms2", sa.Float(), nullable=False),
        sa.Column("high_ms2", sa.Float(), nullable=True),
        sa.Column("confidence", sa.String(length=8), nullable=False),
        sa.Column("percentile", sa.Float(), nullable=True),
        sa.Column("worst", sa.Boolean(), nullable=False),
        sa.Column("penalty", sa.Float(), nullable=False),
        sa.CheckConstraint(
            "confidence IN ('low', 'medium', 'high')",
            name=op.f("ck_road_surface_confidence_is_known"),
        ),
        sa.PrimaryKeyConstraint("mode", "road", name=op.f("pk_road_surface")),
    )


def downgrade() -> None:
    op.drop_table("road_surface")
    op.drop_table("road_surface_networks")
    with op.batch_alter_table("telemetry", schema=None) as batch_op:
        batch_op.drop_column("road_edge")
