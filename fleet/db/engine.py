"""Engines for SQLite (WAL, foreign keys on) and PostgreSQL (psycopg 3, optional schema), and
the two ways the rooms above use them: :func:`reading` and :func:`writing`.

Only ``fleet/db`` imports SQLAlchemy; the rooms above hold an ``Engine`` and a ``Connection``
by these names and hand the connection to the repositories.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.pool import NullPool

from fleet.exceptions import ChangedMeanwhile, Unreachable

#: What a statement raises when the database fails it (unreachable, refused, lost): code outside
#: fleet/db catches this name rather than importing SQLAlchemy.
DatabaseFailure = DBAPIError

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def normalise_url(url: str) -> str:
    """Accept the usual ``postgres://``/``postgresql://`` forms and pick the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from the sqlite3 module so SAVEPOINT and BEGIN IMMEDIATE work
    # (the SQLAlchemy "pysqlite serializable" recipe); ``_sqlite_begin`` emits BEGIN itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # Writers take the write lock up front: a deferred transaction that reads and then writes
    # can fail with SQLITE_BUSY at once when another writer got there first.
    write = conn.get_execution_options().get(WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


WRITE_OPTION = "fleetops_write"


__all__ = [
    "Connection",
    "Engine",
    "after_fork",
    "check_database",
    "make_engine",
    "masked_url",
    "ping",
    "reading",
    "writing",
]


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection for reads (one snapshot per statement; nothing is written)."""
    with engine.connect() as conn:
        yield conn


def ping(engine: Engine) -> None:
    """Run ``SELECT 1`` (raises the driver's error when the database cannot be reached)."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


#: PostgreSQL's codes for "this transaction lost to another; run it again": a deadlock, a
#: serialisation failure.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction meant to write: commits on success, rolls back on error.

    On SQLite it begins with ``BEGIN IMMEDIATE`` so concurrent writers queue (busy timeout)
    instead of failing; on PostgreSQL it is a plain transaction. A transaction PostgreSQL chose
    as a deadlock's victim is rolled back and reported as ``ChangedMeanwhile``, which callers
    answer by reading again.
    """
    try:
        with engine.connect().execution_options(**{WRITE_OPTION: True}) as conn, conn.begin():
            yield conn
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) in RETRYABLE_SQLSTATES:
            msg = "another change to the same rows won; read again and retry"
            raise ChangedMeanwhile(msg) from exc
        raise


def make_engine(url: str, *, schema: str | None = None) -> Engine:
    """An engine for ``url``.

    SQLite files get WAL journaling (readers do not block the writer), foreign keys and a busy
    timeout; their folder is created. On PostgreSQL, ``schema`` sets the ``search_path`` so a
    test run (or a tenant of the server) keeps to its own schema.

    A failed statement's error names its SQL but never its values (``hide_parameters``): the
    error is logged, and values include password hashes, tokens and proof codes.
    """
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # One connection per checkout: SQLite connections are cheap and must not cross threads.
        engine = create_engine(url, poolclass=NullPool, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    connect_args: dict[str, Any] = {}
    if schema is not None:
        if not _SCHEMA_NAME.match(schema):
            msg = f"not a safe schema name: {schema!r}"
            raise ValueError(msg)
        connect_args["options"] = f"-csearch_path={schema}"
    # Up to 30 connections a process: the web runs dozens of threads (server.web_threads) and
    # a thread should not queue for a connection behind others waiting on a slow request.
    return create_engine(
        url,
        connect_args=connect_args,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        hide_parameters=True,
    )


def after_fork(engine: Engine) -> None:
    """In a forked child: forget the parent's pooled connections without closing them (they
    stay the parent's), so the child opens its own."""
    engine.dispose(close=False)


def masked_url(url: str) -> str:
    """``url`` as it may be shown: its password replaced by ``***``."""
    try:
        return make_url(normalise_url(url)).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a database URL)"


def check_database(url: str) -> None:
    """Connect to the database at ``url`` once, at a start.

    Raises
    ------
    Unreachable
        It cannot be reached or opened: the message names it (password masked) and the
        driver's reason in one line.
    """
    try:
        engine = make_engine(url)
    except (ArgumentError, ImportError, ValueError, OSError) as exc:
        raise Unreachable(_unreachable(url, str(exc))) from None
    try:
        ping(engine)
    except DBAPIError as exc:
        raise Unreachable(_unreachable(url, str(exc.orig or exc))) from None
    finally:
        engine.dispose()


def _unreachable(url: str, reason: str) -> str:
    short = " ".join(reason.strip().splitlines()[:1]) or "no reason given"
    return f"cannot reach the database at {masked_url(url)}: {short}"
