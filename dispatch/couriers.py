"""Delivery jobs end to end: a merchant posts a job, it is inserted into a courier's plan at
once (cheapest feasible insertion on real moped travel times) or comes back unassigned with the
reason; the customer follows it with an unguessable tracking token."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update

from dispatch import swaps
from dispatch.insertion import CourierPlan, Stop, best_insertion
from dispatch.plans import (
    PLAN_ATTEMPTS,
    StalePlan,
    claim_plan,
    lock_operator,
    open_shifts,
    planned_stops,
)
from fleet.catalog import DEFAULT_CATALOG, VehicleClass
from fleet.clock import Clock
from fleet.db.audit import record
from fleet.db.engine import writing
from fleet.db.sites import check_in_service_area, list_zones
from fleet.db.tables import courier_shifts, courier_stops, delivery_jobs
from fleet.delivery import JobStatus, TimeWindow
from fleet.exceptions import InvalidValue
from fleet.geo import Position
from fleet.identity import User
from fleet.records import AuditEntry
from routing.courier_model import SERVICE_S
from routing.engine import UNREACHABLE
from routing.modes import Mode
from routing.routers import CityRouters

#: Boxes couriers carry when no shift says otherwise (litres).
DEFAULT_BOX_L = DEFAULT_CATALOG[VehicleClass.E_MOPED].cargo_l


@dataclass(frozen=True, slots=True)
class CourierService:
    """What delivery dispatch runs on."""

    engine: Engine
    routers: CityRouters
    clock: Clock


@dataclass(frozen=True, slots=True)
class Posted:
    """A posted job as the merchant sees it."""

    job_id: str
    status: JobStatus
    tracking_token: str
    proof_code: str
    courier_id: str | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class NewJob:
    """What a merchant posts."""

    pickup: Position
    dropoff: Position
    pickup_window: TimeWindow
    dropoff_window: TimeWindow
    parcel_l: int


def post_job(
    service: CourierService,
    merchant: User,
    *,
    pickup: Position,
    dropoff: Position,
    pickup_window: TimeWindow,
    dropoff_window: TimeWindow,
    parcel_l: int,
) -> Posted:
    """Check, store and dispatch a new job (see the module docstring), in one transaction.

    Jobs of one operator are inserted one at a time (``lock_operator``), and a plan is written
    only over the version read: when a re-optimisation or a courier changed the chosen plan
    meanwhile, the insertion is made again on the new plans.

    Raises
    ------
    InvalidValue
        A parcel larger than any box, a window in the past, a drop-off window too short for the
        ride from the pickup.
    OutsideServiceArea
        Pickup or drop-off outside the service area.
    StalePlan
        The plans kept changing under every attempt (a 409: post again).
    """
    job = NewJob(pickup, dropoff, pickup_window, dropoff_window, parcel_l)
    for attempt in range(PLAN_ATTEMPTS):
        try:
            with writing(service.engine) as conn:
                lock_operator(conn, merchant.operator_id)
                return _post_once(conn, service, merchant, job)
        except StalePlan:
            if attempt == PLAN_ATTEMPTS - 1:
                raise
    raise AssertionError  # unreachable: the loop returns or raises


def _post_once(conn: Connection, service: CourierService, merchant: User, job: NewJob) -> Posted:
    pickup, dropoff, parcel_l = job.pickup, job.dropoff, job.parcel_l
    pickup_window, dropoff_window = job.pickup_window, job.dropoff_window
    now = service.clock.now()
    if parcel_l <= 0:
        msg = "parcel_l must be positive"
        raise InvalidValue(msg)
    for name, window in (("pick-up", pickup_window), ("drop-off", dropoff_window)):
        if window.end <= now:
            msg = f"the {name} window is in the past (it closed at {window.end.isoformat()})"
            raise InvalidValue(msg)
    check_in_service_area(conn, merchant.operator_id, pickup)
    check_in_service_area(conn, merchant.operator_id, dropoff)
    zones = list_zones(conn, merchant.operator_id)
    shifts = open_shifts(conn, merchant.operator_id, now)
    biggest = max((s["box_capacity_l"] for s in shifts), default=DEFAULT_BOX_L)
    if parcel_l > biggest:
        msg = f"a {parcel_l} l parcel is larger than any courier's box ({biggest} l)"
        raise InvalidValue(msg)
    planned = planned_stops(conn, shifts)
    windows = _job_windows(conn, [p["job_id"] for p in planned if p["job_id"] is not None])
    stations = swaps.stations(conn, merchant.operator_id)
    router = service.routers.router(Mode.MOPED)
    ride = router.matrix([pickup], [dropoff], closures=zones, at=now).duration_s[0, 0]
    if ride == UNREACHABLE:
        msg = "no open road leads from the pick-up to the drop-off"
        raise InvalidValue(msg)
    earliest = max(pickup_window.start, now).timestamp() + SERVICE_S + int(ride)
    if earliest > dropoff_window.end.timestamp():
        msg = (
            f"the drop-off window closes before the parcel can get there (the ride alone "
            f"takes {int(ride) // 60} min)"
        )
        raise InvalidValue(msg)

    # one travel-time matrix between every place involved
    places = [Position(s["lat"], s["lon"]) for s in shifts]
    places += [Position(p["lat"], p["lon"]) for p in planned]
    first_station = len(places)
    places += [s.position for s in stations] + [pickup, dropoff]
    matrix = router.matrix(places, places, closures=zones, at=now)
    durations, distances = matrix.duration_s, matrix.distance_m
    job_id = str(uuid.uuid4())
    new_pickup = Stop(
        job_id, "pickup", len(places) - 2, pickup_window.start, pickup_window.end, parcel_l
    )
    new_dropoff = Stop(
        job_id, "dropoff", len(places) - 1, dropoff_window.start, dropoff_window.end, -parcel_l
    )
    plans = []
    for k, open_shift in enumerate(shifts):
        mine = [
            (len(shifts) + q, p) for q, p in enumerate(planned) if p["shift_id"] == open_shift["id"]
        ]
        stops = tuple(
            _plan_stop(place, p, windows, stations, open_shift["end_at"], now) for place, p in mine
        )
        on_board = sum(
            -s.load_l
            for s in stops
            if s.kind == "dropoff"
            and not any(o.job_id == s.job_id and o.kind == "pickup" for o in stops)
        )
        charge = swaps.range_m(open_shift["soc_pct"])
        swap = None  # the nearest station, if the plan has no swap and a pack would add range
        if stations and not any(s.kind == "swap" for s in stops):
            q = min(range(len(stations)), key=lambda q: int(durations[k, first_station + q]))
            if stations[q].range_after_m > charge:
                end = open_shift["end_at"]
                after = stations[q].range_after_m
                swap = Stop(
                    None, "swap", first_station + q, now, end, 0, stations[q].site_id, after
                )
        plans.append(
            CourierPlan(
                open_shift["id"],
                k,
                open_shift["end_at"],
                open_shift["box_capacity_l"],
                on_board,
                stops,
                charge,
                swap,
                swaps.RESERVE_M,
            )
        )
    choice = best_insertion(plans, new_pickup, new_dropoff, durations, now, distances)

    token, proof = secrets.token_urlsafe(16), f"{secrets.randbelow(10_000):04d}"
    chosen = [s for s in shifts if choice is not None and s["id"] == choice.shift_id]
    shift = chosen[0] if chosen else None
    status = JobStatus.ASSIGNED if choice else JobStatus.UNASSIGNED
    reason = (
        None
        if choice
        else ("no courier on shift can fit it in time" if shifts else "no courier is on shift")
    )
    conn.execute(
        insert(delivery_jobs).values(
            id=job_id,
            operator_id=merchant.operator_id,
            merchant_id=merchant.id,
            pickup_lat=pickup.lat,
            pickup_lon=pickup.lon,
            dropoff_lat=dropoff.lat,
            dropoff_lon=dropoff.lon,
            pickup_start=pickup_window.start,
            pickup_end=pickup_window.end,
            dropoff_start=dropoff_window.start,
            dropoff_end=dropoff_window.end,
            parcel_l=parcel_l,
            status=str(status),
            created_at=now,
            courier_id=shift["courier_id"] if shift else None,
            reason=reason,
            tracking_token=token,
            proof_code=proof,
        )
    )
    if choice is not None and shift is not None:
        claim_plan(conn, shift["id"], shift["plan_version"])
        _write_plan(conn, merchant.operator_id, choice.shift_id, choice.stops, choice.etas, places)
    record(
        conn,
        AuditEntry(
            now,
            merchant.operator_id,
            merchant.id,
            "job.post",
            "job",
            job_id,
            {
                "status": str(status),
                "reason": reason,
                "shift_id": choice.shift_id if choice else None,
            },
        ),
    )
    return Posted(job_id, status, token, proof, shift["courier_id"] if shift else None, reason)


def _plan_stop(
    place: int,
    row: Mapping[Any, Any],
    windows: dict[tuple[str, str], tuple[datetime, datetime, int]],
    stations: list[swaps.Station],
    shift_end: datetime,
    now: datetime,
) -> Stop:
    """A planned stop as the insertion sees it (a swap keeps its station and what it gives)."""
    if row["kind"] == "swap":
        after = next((s.range_after_m for s in stations if s.site_id == row["site_id"]), None)
        return Stop(None, "swap", place, now, shift_end, 0, row["site_id"], after)
    return Stop(row["job_id"], row["kind"], place, *windows[(row["job_id"], row["kind"])])


def _job_windows(
    conn: Connection, job_ids: list[str]
) -> dict[tuple[str, str], tuple[datetime, datetime, int]]:
    if not job_ids:
        return {}
    rows = conn.execute(select(delivery_jobs).where(delivery_jobs.c.id.in_(job_ids))).mappings()
    out = {}
    for r in rows:
        out[(r["id"], "pickup")] = (r["pickup_start"], r["pickup_end"], r["parcel_l"])
        out[(r["id"], "dropoff")] = (r["dropoff_start"], r["dropoff_end"], -r["parcel_l"])
    return out


def _write_plan(
    conn: Connection,
    operator_id: str,
    shift_id: str,
    stops: tuple[Stop, ...],
    etas: tuple[datetime, ...],
    places: list[Position],
) -> None:
    conn.execute(
        delete(courier_stops).where(
            courier_stops.c.shift_id == shift_id, courier_stops.c.status == "planned"
        )
    )
    for seq, (stop, eta) in enumerate(zip(stops, etas, strict=True)):
        where = places[stop.place]
        conn.execute(
            insert(courier_stops).values(
                id=str(uuid.uuid4()),
                operator_id=operator_id,
                shift_id=shift_id,
                job_id=stop.job_id,
                site_id=stop.site_id,
                kind=stop.kind,
                seq=seq,
                lat=where.lat,
                lon=where.lon,
                eta=eta,
                status="planned",
            )
        )
    courier = conn.execute(
        select(courier_shifts.c.courier_id).where(courier_shifts.c.id == shift_id)
    ).scalar_one()
    for job_id in {s.job_id for s in stops if s.job_id is not None}:
        conn.execute(
            update(delivery_jobs)
            .where(
                delivery_jobs.c.id == job_id,
                delivery_jobs.c.status.in_([str(JobStatus.POSTED), str(JobStatus.UNASSIGNED)]),
            )
            .values(status=str(JobStatus.ASSIGNED), courier_id=courier, reason=None)
        )
