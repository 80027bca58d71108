"""return stops: a parcel whose delivery failed (or was cancelled after pick-up) goes back to
its store as a stop of kind 'return' in its courier's plan

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

NAME = "ck_courier_stops_stop_is_a_job_or_a_swap"
WITH_RETURNS = (
    "(kind = 'swap' AND site_id IS NOT NULL AND job_id IS NULL)"
    " OR (kind IN ('pickup', 'dropoff', 'return') AND job_id IS NOT NULL AND site_id IS NULL)"
)
WITHOUT_RETURNS = (
    "(kind = 'swap' AND site_id IS NOT NULL AND job_id IS NULL)"
    " OR (kind IN ('pickup', 'dropoff') AND job_id IS NOT NULL AND site_id IS NULL)"
)


def _check(sql: str) -> None:
    with op.batch_alter_table("courier_stops", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f(NAME), type_="check")
        batch_op.create_check_constraint(batch_op.f(NAME), sql)


def upgrade() -> None:
    _check(WITH_RETURNS)


def downgrade() -> None:
    # a return stop has no kind before this revision: planned ones go (their jobs keep their
    # status), made ones too
    op.execute("DELETE FROM courier_stops WHERE kind = 'return'")
    _check(WITHOUT_RETURNS)
