"""Alembic environment: runs on the engine handed in by ``fleet.db.migrate``."""

from __future__ import annotations

from alembic import context

from fleet.db.tables import metadata

engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=engine.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
