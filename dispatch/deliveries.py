"""What merchants, managers and customers see of delivery jobs: the list, one job with its
plan, and the customer's tracking view.

A merchant sees the jobs they posted; a manager sees every job of the operator. Anything else is
"not found", as for the rest of the API. Customers see one job by its unguessable token.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Select, func, select

from fleet.db.tables import courier_stops, delivery_jobs
from fleet.delivery import JobStatus
from fleet.exceptions import InvalidValue, NotFound
from fleet.identity import Role, User


@dataclass(frozen=True, slots=True)
class JobPage:
    """A page of jobs, newest first, each with its planned arrival times, and the total."""

    jobs: list[dict[str, Any]]
    total: int


def _visible(user: User) -> Select[Any]:
    query = select(delivery_jobs).where(delivery_jobs.c.operator_id == user.operator_id)
    if user.role is Role.MERCHANT:
        query = query.where(delivery_jobs.c.merchant_id == user.id)
    return query


def _with_etas(conn: Connection, rows: Sequence[Mapping[Any, Any]]) -> list[dict[str, Any]]:
    ids = [r["id"] for r in rows]
    etas: dict[tuple[str, str], Any] = {}
    if ids:
        for stop in conn.execute(
            select(courier_stops.c.job_id, courier_stops.c.kind, courier_stops.c.eta).where(
                courier_stops.c.job_id.in_(ids)
            )
        ):
            etas[(stop.job_id, stop.kind)] = stop.eta
    return [
        {
            **dict(r),
            "pickup_eta": etas.get((r["id"], "pickup")),
            "dropoff_eta": etas.get((r["id"], "dropoff")),
        }
        for r in rows
    ]


def list_jobs(
    engine: Engine, user: User, *, status: str | None, limit: int, offset: int
) -> JobPage:
    """The jobs the user may see, newest first, optionally of one status.

    Raises
    ------
    InvalidValue
        An unknown status (the message lists the known ones).
    """
    query = _visible(user)
    if status is not None:
        known = [str(s) for s in JobStatus]
        if status not in known:
            msg = f"unknown job status {status!r}; known: {', '.join(known)}"
            raise InvalidValue(msg)
        query = query.where(delivery_jobs.c.status == status)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = list(
            conn.execute(
                query.order_by(delivery_jobs.c.created_at.desc(), delivery_jobs.c.id)
                .limit(limit)
                .offset(offset)
            ).mappings()
        )
        return JobPage(_with_etas(conn, rows), int(total))


def get_job(engine: Engine, user: User, job_id: str) -> dict[str, Any]:
    """One job the user may see, with its planned arrival times.

    Raises
    ------
    NotFound
        No such job, or not one the user may see.
    """
    with engine.connect() as conn:
        row = conn.execute(_visible(user).where(delivery_jobs.c.id == job_id)).mappings().first()
        if row is None:
            msg = f"no delivery job {job_id}"
            raise NotFound(msg)
        return _with_etas(conn, [row])[0]


def tracking(engine: Engine, token: str) -> dict[str, Any]:
    """What a customer sees: the job's status and the planned times of its stops."""
    with engine.connect() as conn:
        job = (
            conn.execute(select(delivery_jobs).where(delivery_jobs.c.tracking_token == token))
            .mappings()
            .first()
        )
        if job is None:
            msg = "no delivery with this tracking code"
            raise NotFound(msg)
        stops = {
            r["kind"]: r
            for r in conn.execute(
                select(courier_stops).where(courier_stops.c.job_id == job["id"])
            ).mappings()
        }
    return {
        "status": job["status"],
        "reason": job["reason"],
        "pickup_eta": stops["pickup"]["eta"] if "pickup" in stops else None,
        "dropoff_eta": stops["dropoff"]["eta"] if "dropoff" in stops else None,
        "dropoff_window": (job["dropoff_start"], job["dropoff_end"]),
    }
