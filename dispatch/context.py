"""What job functions run on, installed by the worker entry point before it starts working.

Jobs are plain importable functions called with ids; rq gives them no arguments of its own, so
the worker entry point installs the engine and clock here once, at start (never at import).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Engine

from fleet.clock import Clock
from routing.routers import CityRouters


@dataclass(frozen=True, slots=True)
class JobContext:
    """The database and clock jobs use."""

    engine: Engine
    clock: Clock
    #: City name → its routers, for jobs that need travel times.
    routers: Mapping[str, CityRouters] | None = None


_installed: list[JobContext] = []


def install(context: JobContext) -> None:
    """Make ``context`` the one jobs in this process use."""
    _installed[:] = [context]


def current() -> JobContext:
    """The installed context; a clear error when a job runs outside a fleetops worker."""
    if not _installed:
        msg = "no job context: run jobs in `fleetops worker` (or install one in tests)"
        raise RuntimeError(msg)
    return _installed[0]
