"""Delivery jobs in the database: store a posted job, read jobs as merchants, managers,
customers and planners see them, and move a job through its status machine (audited)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, func, insert, or_, select, update

from fleet.db.audit import record
from fleet.db.tables import delivery_jobs
from fleet.db.transitions import Move, move_status
from fleet.delivery import (
    JOB_MACHINE,
    ON_BOARD_STATUSES,
    OPEN_JOB_STATUSES,
    DeliveryJob,
    JobStatus,
    TimeWindow,
)
from fleet.exceptions import NotFound
from fleet.geo import Position
from fleet.records import AuditEntry


def job_from_row(row: Mapping[Any, Any]) -> DeliveryJob:
    """The job of a ``delivery_jobs`` row."""
    return DeliveryJob(
        id=row["id"],
        operator_id=row["operator_id"],
        merchant_id=row["merchant_id"],
        pickup=Position(row["pickup_lat"], row["pickup_lon"]),
        dropoff=Position(row["dropoff_lat"], row["dropoff_lon"]),
        pickup_window=TimeWindow(row["pickup_start"], row["pickup_end"]),
        dropoff_window=TimeWindow(row["dropoff_start"], row["dropoff_end"]),
        parcel_l=row["parcel_l"],
        status=JobStatus(row["status"]),
        created_at=row["created_at"],
        courier_id=row["courier_id"],
        reason=row["reason"],
        tracking_token=row["tracking_token"],
        proof_code=row["proof_code"],
    )


def insert_job(conn: Connection, job: DeliveryJob, audit: Mapping[str, Any]) -> DeliveryJob:
    """Store a posted job, audited with ``audit``."""
    conn.execute(
        insert(delivery_jobs).values(
            id=job.id,
            operator_id=job.operator_id,
            merchant_id=job.merchant_id,
            pickup_lat=job.pickup.lat,
            pickup_lon=job.pickup.lon,
            dropoff_lat=job.dropoff.lat,
            dropoff_lon=job.dropoff.lon,
            pickup_start=job.pickup_window.start,
            pickup_end=job.pickup_window.end,
            dropoff_start=job.dropoff_window.start,
            dropoff_end=job.dropoff_window.end,
            parcel_l=job.parcel_l,
            status=str(job.status),
            created_at=job.created_at,
            courier_id=job.courier_id,
            reason=job.reason,
            tracking_token=job.tracking_token,
            proof_code=job.proof_code,
        )
    )
    record(
        conn,
        AuditEntry(
            job.created_at, job.operator_id, job.merchant_id, "job.post", "job", job.id, dict(audit)
        ),
    )
    return job


def jobs_by_id(conn: Connection, job_ids: Sequence[str]) -> dict[str, DeliveryJob]:
    """These jobs, by id."""
    if not job_ids:
        return {}
    rows = conn.execute(
        select(delivery_jobs).where(delivery_jobs.c.id.in_(sorted(set(job_ids))))
    ).mappings()
    return {r["id"]: job_from_row(r) for r in rows}


def open_jobs(conn: Connection, operator_id: str, now: datetime) -> list[DeliveryJob]:
    """The operator's jobs still to do whose drop-off window has not closed, and the parcels on
    board whatever their window (they must still be delivered), oldest first."""
    rows = conn.execute(
        select(delivery_jobs)
        .where(
            delivery_jobs.c.operator_id == operator_id,
            delivery_jobs.c.status.in_([str(s) for s in OPEN_JOB_STATUSES]),
            or_(
                delivery_jobs.c.dropoff_end > now,
                delivery_jobs.c.status.in_([str(s) for s in ON_BOARD_STATUSES]),
            ),
        )
        .order_by(delivery_jobs.c.created_at, delivery_jobs.c.id)
    ).mappings()
    return [job_from_row(r) for r in rows]


def _visible(operator_id: str, merchant_id: str | None) -> Select[Any]:
    query = select(delivery_jobs).where(delivery_jobs.c.operator_id == operator_id)
    if merchant_id is not None:
        query = query.where(delivery_jobs.c.merchant_id == merchant_id)
    return query


def list_jobs(
    conn: Connection,
    operator_id: str,
    *,
    merchant_id: str | None,
    status: JobStatus | None,
    limit: int,
    offset: int,
) -> tuple[list[DeliveryJob], int]:
    """A page of the operator's jobs (one merchant's if ``merchant_id``), newest first, and how
    many match."""
    query = _visible(operator_id, merchant_id)
    if status is not None:
        query = query.where(delivery_jobs.c.status == str(status))
    total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = conn.execute(
        query.order_by(delivery_jobs.c.created_at.desc(), delivery_jobs.c.id)
        .limit(limit)
        .offset(offset)
    ).mappings()
    return [job_from_row(r) for r in rows], int(total)


def get_job(
    conn: Connection, operator_id: str, job_id: str, *, merchant_id: str | None = None
) -> DeliveryJob:
    """One of the operator's jobs (one of the merchant's if ``merchant_id``).

    Raises
    ------
    NotFound
        No such job, or not one of theirs.
    """
    row = (
        conn.execute(_visible(operator_id, merchant_id).where(delivery_jobs.c.id == job_id))
        .mappings()
        .first()
    )
    if row is None:
        msg = f"no delivery job {job_id}"
        raise NotFound(msg)
    return job_from_row(row)


def job_by_token(conn: Connection, token: str) -> DeliveryJob:
    """The job a customer's tracking token names.

    Raises
    ------
    NotFound
        No job has this token.
    """
    row = (
        conn.execute(select(delivery_jobs).where(delivery_jobs.c.tracking_token == token))
        .mappings()
        .first()
    )
    if row is None:
        msg = "no delivery with this tracking code"
        raise NotFound(msg)
    return job_from_row(row)


def move_job(
    conn: Connection,
    job: DeliveryJob,
    target: JobStatus,
    at: datetime,
    actor_id: str | None,
    **values: Any,
) -> None:
    """Move a job through its machine (conditional on its status as read), audited."""
    move_status(
        conn,
        delivery_jobs,
        JOB_MACHINE,
        Move("job", job.id, job.operator_id, job.status, target, at, actor_id),
        values,
    )


def proof_failed(conn: Connection, job_id: str) -> int:
    """Count a wrong proof code at the job's delivery; how many there have been."""
    conn.execute(
        update(delivery_jobs)
        .where(delivery_jobs.c.id == job_id)
        .values(proof_failures=delivery_jobs.c.proof_failures + 1)
    )
    return proof_failures(conn, job_id)


def proof_failures(conn: Connection, job_id: str) -> int:
    """Wrong proof codes tried at the job's delivery since its code was issued."""
    found = conn.execute(
        select(delivery_jobs.c.proof_failures).where(delivery_jobs.c.id == job_id)
    ).scalar_one()
    return int(found)


def reissue_proof(conn: Connection, job_id: str, code: str) -> None:
    """Give the job a new proof code and forget the wrong tries of the old one."""
    conn.execute(
        update(delivery_jobs)
        .where(delivery_jobs.c.id == job_id)
        .values(proof_code=code, proof_failures=0)
    )


def litres_on_board(conn: Connection, courier_id: str) -> int:
    """Litres of the parcels the courier has picked up and not yet delivered or returned."""
    total = conn.execute(
        select(func.coalesce(func.sum(delivery_jobs.c.parcel_l), 0)).where(
            delivery_jobs.c.courier_id == courier_id,
            delivery_jobs.c.status.in_([str(s) for s in ON_BOARD_STATUSES]),
        )
    ).scalar_one()
    return int(total)
