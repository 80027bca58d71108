"""Holds that ran out: their vehicles go back to riders. Every listing of vehicles and every
booking step runs this first, and the scheduler runs it every ``expire_holds_every_s``."""

from __future__ import annotations

from fleet.clock import Clock
from fleet.db import bookings as bookings_db
from fleet.db.engine import Engine, reading, writing


def expire_due_holds(engine: Engine, clock: Clock) -> int:
    """Free the vehicles of holds that ran out; how many (a cheap read first, a write only when
    some are due). Safe to run any number of times."""
    now = clock.now()
    with reading(engine) as conn:
        if not bookings_db.any_hold_due(conn, now):
            return 0
    with writing(engine) as conn:
        return bookings_db.expire_holds(conn, now)
