"""The web's planner threads: couriers' insertions computed off the request threads, at a lower
CPU priority.

A merchant's post costs tens of milliseconds of computation (a travel-time matrix and the
insertion search); a rider's booking is mostly waiting on the database. Run on the request
thread, a burst of posts takes the CPU from bookings: measured in docs/benchmarks/couriers.md.
Here posts hand their planning to a small pool of threads that run at niceness
``PLANNER_NICE`` (Linux sets it per thread), so the operating system gives a booking's thread
the CPU first. Planning of one operator is serialised by its planning turn anyway, so a pool
of two is enough.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

#: Niceness of the planner threads (0 is the request threads').
PLANNER_NICE = 10
PLANNER_THREADS = 2

_pool: ThreadPoolExecutor | None = None
_pool_pid = 0
_guard = threading.Lock()


def _lower_priority() -> None:
    # Per thread on Linux (a thread is a task with its own id); harmless where unsupported.
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), PLANNER_NICE)


def _executor() -> ThreadPoolExecutor:
    global _pool, _pool_pid
    with _guard:
        if _pool is None or _pool_pid != os.getpid():  # a forked gunicorn worker makes its own
            _pool = ThreadPoolExecutor(
                PLANNER_THREADS, thread_name_prefix="planner", initializer=_lower_priority
            )
            _pool_pid = os.getpid()
        return _pool


def plan(work: Callable[[], T]) -> T:
    """Run ``work`` on a planner thread and return its result (or raise its error)."""
    return _executor().submit(work).result()
