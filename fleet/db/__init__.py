"""Persistence: SQLAlchemy Core tables, engines for SQLite and PostgreSQL, Alembic migrations,
and the repositories that turn rows into domain values. Writes that belong together take one
``Connection`` from ``engine.begin()``, so they commit or roll back as one."""
