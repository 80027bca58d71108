"""RQ job functions. Thin and id-based: each takes the worker's platform (handed in by
``dispatch.queue.worker``, never read from a global) and ids, and calls one use case. The
couriers' re-plans are in ``dispatch.queue.replans``.

Exceptions propagate, so rq records a failure; running a job twice does no harm.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from rq import get_current_job
from rq.job import Job, JobStatus

from dispatch.holds import expire_due_holds
from dispatch.ops.demand import refresh
from dispatch.ops.vehicles import fleet_snapshot as count_fleet
from dispatch.platform import Platform
from dispatch.workev.reservations import handle_overdue
from fleet.db.engine import reading
from fleet.db.identity import list_operators
from fleet.exceptions import InvalidValue

F = TypeVar("F", bound=Callable[..., Any])

#: Marks a function that takes the worker's platform as its first argument.
PLATFORM_ARG = "__fleetops_platform_job__"


def report_progress(**progress: Any) -> None:
    """Put ``progress`` in the running job's meta (where status endpoints read it); outside a
    job (a function called inline), nothing."""
    job = get_current_job()
    if job is not None:
        job.meta["progress"] = progress
        job.save_meta()  # type: ignore[no-untyped-call]


@dataclass(frozen=True, slots=True)
class JobState:
    """What a status endpoint tells of a job: its status, its result once finished, and the
    last line of its failure (the exception) once failed."""

    status: str
    result: Any
    error: str | None


def job_state(job: Job) -> JobState:
    """The job's :class:`JobState`, read from Redis now."""
    raw = job.get_status(refresh=True)
    status = str(raw.value if hasattr(raw, "value") else raw)
    result = job.return_value() if raw == JobStatus.FINISHED else None
    error = None
    if raw == JobStatus.FAILED:
        latest = job.latest_result()
        lines = (latest.exc_string or "").strip().splitlines() if latest else []
        error = lines[-1] if lines else None
    return JobState(status, result, error)


def platform_job(func: F) -> F:
    """Mark ``func`` as a job the worker calls with its platform first."""
    setattr(func, PLATFORM_ARG, True)
    return func


@platform_job
def fleet_snapshot(platform: Platform, operator_id: str) -> dict[str, dict[str, int]]:
    """Counts of an operator's vehicles by status and by class (read-only)."""
    return count_fleet(platform.fleet, operator_id)


@platform_job
def expire_holds(platform: Platform) -> int:
    """Free the vehicles of holds that ran out; how many."""
    return expire_due_holds(platform.engine, platform.clock)


@platform_job
def forecast_refresh(platform: Platform) -> dict[str, str]:
    """Refresh every operator's demand forecast per cell and hour; per operator, what was
    stored or why not (too little history, no service area)."""
    done: dict[str, str] = {}
    with reading(platform.engine) as conn:
        operators = [op.id for op in list_operators(conn)]
    for operator_id in operators:
        try:
            made = refresh(platform.demand, operator_id)
        except InvalidValue as exc:
            done[operator_id] = f"skipped: {exc}"
            continue
        done[operator_id] = f"{made.cells} cells x {made.hours} h from {made.rides} rides"
    return done


@platform_job
def handle_late_returns(platform: Platform) -> int:
    """Move or flag the reservations of EVs not returned on time; how many changed."""
    return len(handle_overdue(platform.workev))
