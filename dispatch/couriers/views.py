"""What merchants, managers and customers see of delivery jobs: the list, one job with its
planned times, and the customer's tracking view.

A merchant sees the jobs they posted; a manager sees every job of the operator. Anything else is
"not found", as for the rest of the API. Customers see one job by its unguessable token.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from dispatch.couriers.service import CourierService
from fleet.db import deliveries as deliveries_db
from fleet.db import identity as identity_db
from fleet.db import stops as stops_db
from fleet.db.engine import Connection, reading
from fleet.delivery import DeliveryJob, JobStatus
from fleet.exceptions import InvalidValue
from fleet.geo import Position
from fleet.identity import Role, User
from fleet.plans import StopKind


@dataclass(frozen=True, slots=True)
class JobSeen:
    """A job with the planned (or made) times of its pickup and drop-off."""

    job: DeliveryJob
    pickup_eta: datetime | None
    dropoff_eta: datetime | None
    courier_name: str | None = None  # the courier's display name, once a courier has it
    moped: tuple[str, str, str | None] | None = None  # (id, code, plate) of the courier's moped

    @property
    def late_by_s(self) -> int:
        """Seconds the drop-off is (planned, or was made) after its window closed; 0 on time."""
        if self.dropoff_eta is None:
            return 0
        return max(0, int((self.dropoff_eta - self.job.dropoff_window.end).total_seconds()))


@dataclass(frozen=True, slots=True)
class JobPage:
    """A page of jobs, newest first, and how many match."""

    jobs: list[JobSeen]
    total: int


def _seen(conn: Connection, jobs: Sequence[DeliveryJob]) -> list[JobSeen]:
    etas = stops_db.etas_of(conn, [j.id for j in jobs])
    people = identity_db.users_by_id(conn, (j.courier_id for j in jobs if j.courier_id))
    mopeds = stops_db.mopeds_of(conn, (j.id for j in jobs))
    return [
        JobSeen(
            j,
            etas.get((j.id, StopKind.PICKUP)),
            etas.get((j.id, StopKind.DROPOFF)),
            people[j.courier_id].display_name if j.courier_id in people else None,
            mopeds.get(j.id),
        )
        for j in jobs
    ]


def _merchant(user: User) -> str | None:
    return user.id if user.role is Role.MERCHANT else None


def parse_job_status(status: str) -> JobStatus:
    """The job status named ``status``; an unknown one is refused listing the known."""
    try:
        return JobStatus(status)
    except ValueError:
        known = ", ".join(str(s) for s in JobStatus)
        msg = f"unknown job status {status!r}; known: {known}"
        raise InvalidValue(msg) from None


def list_jobs(
    service: CourierService, user: User, *, status: str | None, limit: int, offset: int
) -> JobPage:
    """The jobs the user may see, newest first, optionally of one status.

    Raises
    ------
    InvalidValue
        An unknown status (the message lists the known ones).
    """
    wanted = parse_job_status(status) if status is not None else None
    with reading(service.engine) as conn:
        jobs, total = deliveries_db.list_jobs(
            conn,
            user.operator_id,
            merchant_id=_merchant(user),
            status=wanted,
            limit=limit,
            offset=offset,
        )
        return JobPage(_seen(conn, jobs), total)


def get_job(service: CourierService, user: User, job_id: str) -> JobSeen:
    """One job the user may see, with its planned times.

    Raises
    ------
    NotFound
        No such job, or not one the user may see.
    """
    with reading(service.engine) as conn:
        job = deliveries_db.get_job(conn, user.operator_id, job_id, merchant_id=_merchant(user))
        return _seen(conn, [job])[0]


def tracking(service: CourierService, token: str) -> JobSeen:
    """What a customer sees of the job their tracking token names."""
    with reading(service.engine) as conn:
        return _seen(conn, [deliveries_db.job_by_token(conn, token)])[0]


@dataclass(frozen=True, slots=True)
class CourierSeen:
    """Where the customer's courier last reported being (their moped's position) and when."""

    position: Position
    at: datetime


def courier_seen(conn: Connection, job: DeliveryJob) -> CourierSeen | None:
    """The courier's last known place, shown to the customer only while their parcel is on its
    way to them (picked up): before the pick-up the courier is working for others, and after
    the delivery where they ride is none of the customer's business."""
    if job.status is not JobStatus.PICKED_UP:
        return None
    found = stops_db.moped_of_job(conn, job.id)
    return None if found is None else CourierSeen(*found)


def tracking_seen(service: CourierService, token: str) -> tuple[JobSeen, CourierSeen | None]:
    """What a customer sees of the job their tracking token names, with the courier's last
    known place while the parcel is on its way to them."""
    with reading(service.engine) as conn:
        seen = _seen(conn, [deliveries_db.job_by_token(conn, token)])[0]
        return seen, courier_seen(conn, seen.job)


@dataclass(frozen=True, slots=True)
class TrackingPage:
    """What the customer's tracking page shows: the job and its times, the merchant's name and
    the courier's first name only (the first word of their display name; ``None`` before a
    courier has the job), and where the courier last was while the parcel is on its way."""

    seen: JobSeen
    merchant_name: str
    courier_first_name: str | None
    courier_at: CourierSeen | None = None


def tracking_page(service: CourierService, token: str) -> TrackingPage:
    """The customer's view of the job their tracking token names.

    Raises
    ------
    NotFound
        No job has this token.
    """
    with reading(service.engine) as conn:
        seen = _seen(conn, [deliveries_db.job_by_token(conn, token)])[0]
        merchant = identity_db.get_user(conn, seen.job.merchant_id)
        courier = identity_db.get_user(conn, seen.job.courier_id) if seen.job.courier_id else None
        at = courier_seen(conn, seen.job)
    first = courier.display_name.split()[0] if courier and courier.display_name.split() else None
    return TrackingPage(seen, merchant.display_name, first, at)
