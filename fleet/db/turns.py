"""Planning turns: one planner of an operator's couriers at a time, across processes.

Planning a job into the couriers' plans reads them, computes, and writes them over the version
read. Twenty merchants posting at once would each compute on the same version and all but one
would find it changed and compute again, round after round. A turn makes them queue instead:
each takes the operator's turn, reads, computes and writes, and hands the turn on.

A turn is not a row lock: nothing else waits for it. Riders' bookings, couriers' stops and
every foreign-key check on the operator go on while a planner holds it. Within a process the
planners first queue on a plain lock, holding nothing else, so that one thread per process at
most waits with a database connection; across processes, on PostgreSQL, the turn is a session
advisory lock on a connection of its own (released if the process dies), and on SQLite an
exclusive ``flock`` on a file beside the database (released likewise).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from fleet.exceptions import Conflict

#: How often a SQLite waiter tries the lock file again.
POLL_S = 0.01
_local_turns: dict[str, threading.Lock] = {}
_local_guard = threading.Lock()


class TurnTimeout(Conflict):
    """The turn was not free within the time given."""


def _key(operator_id: str) -> int:
    """A signed 64-bit advisory-lock key for the operator's turn."""
    digest = hashlib.blake2b(f"planning:{operator_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def planning_turn(engine: Engine, operator_id: str, wait_s: float) -> Iterator[None]:
    """Hold the operator's planning turn for the block.

    Raises
    ------
    TurnTimeout
        Another planner held it for ``wait_s`` seconds.
    """
    deadline = time.monotonic() + wait_s
    with _local_turn(f"{engine.url}|{operator_id}", wait_s):
        left = max(deadline - time.monotonic(), 0.001)
        if engine.dialect.name == "postgresql":
            with _postgres_turn(engine, operator_id, left):
                yield
            return
        database = engine.url.database
        if not database or database == ":memory:":
            yield
            return
        with _file_turn(Path(database), operator_id, left):
            yield


@contextmanager
def _postgres_turn(engine: Engine, operator_id: str, wait_s: float) -> Iterator[None]:
    key = _key(operator_id)
    with engine.connect() as conn:
        try:
            # lock_timeout bounds the wait; the lock is the session's, so it is taken outside
            # any transaction the caller writes in.
            conn.execute(text(f"SET lock_timeout = {max(int(wait_s * 1000), 1)}"))
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
            conn.commit()
        except DBAPIError as exc:
            conn.rollback()
            if getattr(exc.orig, "sqlstate", None) == "55P03":  # lock_not_available
                msg = f"another planner held the couriers' plans for {wait_s:g} s"
                raise TurnTimeout(msg) from exc
            raise
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.execute(text("RESET lock_timeout"))
            conn.commit()


@contextmanager
def _file_turn(database: Path, operator_id: str, wait_s: float) -> Iterator[None]:
    folder = database.parent / f".{database.name}.turns"
    folder.mkdir(parents=True, exist_ok=True)
    name = hashlib.blake2b(operator_id.encode(), digest_size=12).hexdigest()
    fd = os.open(folder / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # per open file: threads too
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    msg = f"another planner held the couriers' plans for {wait_s:g} s"
                    raise TurnTimeout(msg) from None
                time.sleep(POLL_S)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)


@contextmanager
def _local_turn(key: str, wait_s: float) -> Iterator[None]:
    with _local_guard:
        lock = _local_turns.setdefault(key, threading.Lock())
    if not lock.acquire(timeout=wait_s):
        msg = f"another planner held the couriers' plans for {wait_s:g} s"
        raise TurnTimeout(msg)
    try:
        yield
    finally:
        lock.release()
