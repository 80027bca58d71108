"""Crew plans on the queue: ``plan_rebalancing`` and ``plan_battery_swaps``, requested by a
manager or by the scheduler, and the status a manager follows.

A request names its 15-minute bucket when it is made, and the job's id is the operator's, kind's
and bucket's (or the Idempotency-Key's): asking twice in a bucket finds the first job, and a job
that runs twice (a retry after its worker was killed) finds the plan it stored, since
``dispatch.ops.crew_plans.propose`` stores one plan per bucket. Progress is in the job's meta;
failures stay in rq's failed registry for a week.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import redis
from rq import Retry, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from dispatch.ops.crew_input import PlanKind
from dispatch.ops.crew_plans import propose
from dispatch.ops.crews import PlanRequest
from dispatch.platform import Platform
from dispatch.queue.connection import queue
from dispatch.queue.jobs import job_state, platform_job, report_progress
from fleet.crews import bucket_of
from fleet.db import crews as crews_db
from fleet.db import ops_plans as plans_db
from fleet.db.engine import reading, writing
from fleet.db.identity import list_operators
from fleet.exceptions import NotFound

QUEUE = "operations"
#: A planning job may run this much longer than the solver's time limit (reading, matrix,
#: storing) before rq kills it; rq finds an abandoned job only after its timeout.
TIMEOUT_MARGIN_S = 120
RESULT_TTL_S = 24 * 3600
FAILURE_TTL_S = 7 * 24 * 3600
RETRY = Retry(max=3, interval=[5, 30, 120])


def _progress(fraction: float, message: str) -> None:
    report_progress(fraction=round(fraction, 3), message=message)


def _plan(
    platform: Platform, operator_id: str, kind: PlanKind, bucket: str, options: dict[str, Any]
) -> dict[str, Any]:
    job = get_current_job()
    request = PlanRequest(kind, options.get("threshold_pct"), frozenset(options.get("cells", ())))
    plan, new = propose(
        platform.crews,
        operator_id,
        request,
        bucket=bucket,
        time_limit_s=float(options.get("time_limit_s", platform.crews.time_limit_s)),
        job_id=job.id if job is not None else None,
        idempotency_key=options.get("idempotency_key"),
        progress=_progress,
    )
    _progress(1.0, "plan proposed" if new else "the bucket's plan was made already")
    return {"plan_id": plan.id, "new": new, "expected_gain_trips": plan.expected_gain_trips}


@platform_job
def plan_battery_swaps(
    platform: Platform, operator_id: str, bucket: str, options: dict[str, Any]
) -> dict[str, Any]:
    """Propose the operator's battery-swap plan for ``bucket``."""
    return _plan(platform, operator_id, PlanKind.BATTERY_SWAPS, bucket, options)


@platform_job
def plan_rebalancing(
    platform: Platform, operator_id: str, bucket: str, options: dict[str, Any]
) -> dict[str, Any]:
    """Propose the operator's rebalancing plan for ``bucket``."""
    return _plan(platform, operator_id, PlanKind.REBALANCING, bucket, options)


JOBS = {PlanKind.BATTERY_SWAPS: plan_battery_swaps, PlanKind.REBALANCING: plan_rebalancing}


def job_id(operator_id: str, kind: PlanKind, bucket: str, key: str | None) -> str:
    """The id of the operator's plan job of ``kind`` in ``bucket`` (or under ``key``)."""
    scope = f"{operator_id}|{kind}|{bucket}" if key is None else f"{operator_id}|{kind}|key|{key}"
    return "crew-plan-" + hashlib.sha256(scope.encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class QueueCrewPlans:
    """Puts crew plan jobs on the ``operations`` queue and reads their status."""

    connection: redis.Redis
    time_limit_s: float
    timeout_margin_s: int = TIMEOUT_MARGIN_S

    def request(
        self, operator_id: str, kind: PlanKind, options: dict[str, Any], bucket: str
    ) -> str:
        """Enqueue the plan job unless the bucket's (or key's) job is queued, running or done;
        its id either way."""
        jid = job_id(operator_id, kind, bucket, options.get("idempotency_key"))
        try:
            found = Job.fetch(jid, connection=self.connection)
            if found.get_status(refresh=True) not in (JobStatus.FAILED, JobStatus.CANCELED):
                return jid
        except NoSuchJobError:
            pass
        job = queue(self.connection, QUEUE).enqueue(
            JOBS[kind],
            operator_id,
            bucket,
            {"time_limit_s": self.time_limit_s, **options},
            job_id=jid,
            retry=RETRY,
            job_timeout=int(self.time_limit_s) + self.timeout_margin_s,
            result_ttl=RESULT_TTL_S,
            failure_ttl=FAILURE_TTL_S,
            meta={"operator_id": operator_id, "kind": str(kind), "bucket": bucket},
        )
        return str(job.id)

    def status(self, operator_id: str, jid: str) -> dict[str, Any]:
        """A plan job's status, progress and plan (``NotFound`` for another operator's job).

        Raises
        ------
        NotFound
            No such job of the operator's (or its result has expired).
        """
        try:
            job = Job.fetch(jid, connection=self.connection)
        except (NoSuchJobError, ValueError):  # rq refuses ids of other characters outright
            job = None
        if job is None or job.meta.get("operator_id") != operator_id:
            msg = f"no plan job {jid}"
            raise NotFound(msg)
        state = job_state(job)
        return {
            "id": job.id,
            "kind": job.meta.get("kind"),
            "status": state.status,
            "progress": job.meta.get("progress", {"fraction": 0.0, "message": state.status}),
            "plan_id": state.result.get("plan_id") if isinstance(state.result, dict) else None,
            "error": state.error,
        }


@platform_job
def scheduled_swap_plans(platform: Platform) -> dict[str, str]:
    """The scheduler's battery-swap plans (see :func:`scheduled_plans`)."""
    return scheduled_plans(platform, PlanKind.BATTERY_SWAPS)


@platform_job
def scheduled_rebalancing_plans(platform: Platform) -> dict[str, str]:
    """The scheduler's rebalancing plans (see :func:`scheduled_plans`)."""
    return scheduled_plans(platform, PlanKind.REBALANCING)


def scheduled_plans(platform: Platform, plan_kind: PlanKind) -> dict[str, str]:
    """Expire the proposals nobody decided in time, then propose a plan of ``plan_kind`` for
    every operator with a crew on shift (each stored once per bucket); per operator, the plan or
    why none, and per expired plan "expired"."""
    now = platform.clock.now()
    bucket = bucket_of(now)
    done: dict[str, str] = {}
    with writing(platform.engine) as conn:  # proposals nobody decided in time
        for plan_id in plans_db.expire_due(conn, now):
            done[plan_id] = "expired"
    with reading(platform.engine) as conn:
        operators = [op.id for op in list_operators(conn) if crews_db.shifts_on(conn, op.id, now)]
    for operator_id in operators:
        try:
            plan, _new = propose(
                platform.crews,
                operator_id,
                PlanRequest(plan_kind),
                bucket=bucket,
                time_limit_s=platform.crews.time_limit_s,
                progress=_progress,
            )
        except NotFound as exc:
            done[operator_id] = f"skipped: {exc}"
            continue
        done[operator_id] = plan.id
    return done
