"""What couriers do: read their route, and make its stops (picked up, delivered with the
customer's proof code, failed with a reason). Each action is one transaction that also marks
the shift's plan changed, so a planner that read it plans again."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from dispatch.couriers import CourierService
from dispatch.plans import touch_plan
from fleet.db.audit import record
from fleet.db.engine import writing
from fleet.db.tables import courier_shifts, courier_stops, delivery_jobs, sites
from fleet.delivery import JOB_MACHINE, JobStatus
from fleet.exceptions import InvalidValue, NotFound
from fleet.identity import User
from fleet.records import AuditEntry


def route_of(engine: Engine, courier: User, now: datetime) -> list[Mapping[Any, Any]]:
    """The courier's planned stops in order (all open shifts); a swap names its station."""
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(courier_stops, delivery_jobs.c.parcel_l, sites.c.name.label("site_name"))
                .join(courier_shifts, courier_shifts.c.id == courier_stops.c.shift_id)
                .outerjoin(delivery_jobs, delivery_jobs.c.id == courier_stops.c.job_id)
                .outerjoin(sites, sites.c.id == courier_stops.c.site_id)
                .where(
                    courier_shifts.c.courier_id == courier.id,
                    courier_shifts.c.end_at > now,
                    courier_stops.c.status == "planned",
                )
                .order_by(courier_stops.c.shift_id, courier_stops.c.seq)
            ).mappings()
        )


def _my_stop(conn: Connection, courier: User, job_id: str, kind: str) -> Mapping[Any, Any]:
    stop = (
        conn.execute(
            select(courier_stops, courier_shifts.c.courier_id)
            .join(courier_shifts, courier_shifts.c.id == courier_stops.c.shift_id)
            .where(courier_stops.c.job_id == job_id, courier_stops.c.kind == kind)
        )
        .mappings()
        .first()
    )
    if stop is None or stop["courier_id"] != courier.id:
        msg = f"job {job_id} is not in your plan"
        raise NotFound(msg)
    return stop


def _move_job(
    conn: Connection, courier: User, job_id: str, target: JobStatus, now: datetime, **values: Any
) -> Mapping[Any, Any]:
    job = conn.execute(select(delivery_jobs).where(delivery_jobs.c.id == job_id)).mappings().one()
    JOB_MACHINE.check(JobStatus(job["status"]), target)
    conn.execute(
        update(delivery_jobs)
        .where(delivery_jobs.c.id == job_id, delivery_jobs.c.status == job["status"])
        .values(status=str(target), **values)
    )
    record(
        conn,
        AuditEntry(
            now,
            courier.operator_id,
            courier.id,
            f"job.{target}",
            "job",
            job_id,
            {"status": [job["status"], str(target)], **values},
        ),
    )
    return job


def picked_up(service: CourierService, courier: User, job_id: str) -> None:
    """The courier has the parcel."""
    now = service.clock.now()
    with writing(service.engine) as conn:
        stop = _my_stop(conn, courier, job_id, "pickup")
        _move_job(conn, courier, job_id, JobStatus.PICKED_UP, now)
        touch_plan(conn, stop["shift_id"])
        conn.execute(
            update(courier_stops)
            .where(courier_stops.c.id == stop["id"])
            .values(status="done", eta=now)
        )


def delivered(service: CourierService, courier: User, job_id: str, proof_code: str) -> bool:
    """The customer took the parcel and gave the proof code; whether it was on time (within
    the drop-off window).

    Raises
    ------
    InvalidValue
        The proof code does not match (nothing changes).
    """
    now = service.clock.now()
    with writing(service.engine) as conn:
        stop = _my_stop(conn, courier, job_id, "dropoff")
        job = (
            conn.execute(select(delivery_jobs).where(delivery_jobs.c.id == job_id)).mappings().one()
        )
        if not secrets.compare_digest(str(job["proof_code"]), proof_code):
            msg = "the proof code does not match: ask the customer for the code they received"
            raise InvalidValue(msg)
        _move_job(conn, courier, job_id, JobStatus.DELIVERED, now)
        touch_plan(conn, stop["shift_id"])
        conn.execute(
            update(courier_stops)
            .where(courier_stops.c.id == stop["id"])
            .values(status="done", eta=now)
        )
        return bool(job["dropoff_start"] <= now <= job["dropoff_end"])


def failed(service: CourierService, courier: User, job_id: str, reason: str) -> None:
    """The delivery could not be made; the reason is kept for the merchant."""
    if not reason.strip():
        msg = "say why the delivery failed"
        raise InvalidValue(msg)
    now = service.clock.now()
    with writing(service.engine) as conn:
        stop = _my_stop(conn, courier, job_id, "dropoff")
        _move_job(conn, courier, job_id, JobStatus.FAILED, now, reason=reason.strip())
        touch_plan(conn, stop["shift_id"])
        conn.execute(
            update(courier_stops)
            .where(courier_stops.c.id == stop["id"])
            .values(status="failed", eta=now)
        )
