"""Re-planning every courier of an operator at once with OR-Tools (the worker's job).

Parcels on board stay with their courier, each courier's stop under way stays first, a job that
no longer fits comes back unassigned with the reason, and the battery's range bounds each plan: a
courier low on charge is routed via a swap station that has charged packs.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update

from dispatch import swaps
from dispatch.couriers import CourierService
from dispatch.exceptions import NoVehicleAvailable
from dispatch.plans import PLAN_ATTEMPTS, StalePlan, claim_plan, open_shifts, planned_stops
from fleet.db.audit import record
from fleet.db.engine import writing
from fleet.db.sites import list_zones
from fleet.db.tables import courier_stops, delivery_jobs
from fleet.delivery import OPEN_JOB_STATUSES, JobStatus
from fleet.geo import Position
from fleet.records import AuditEntry
from routing.courier_model import (
    CourierProblem,
    CourierSpec,
    StationSpec,
    StopSpec,
    solve_couriers,
)
from routing.modes import Mode


def reoptimise(
    service: CourierService, operator_id: str, time_limit_s: float = 1.0
) -> dict[str, int]:
    """Re-plan every open courier shift of an operator with OR-Tools.

    Parcels on board stay with their courier, each courier's first planned stop (under way)
    stays first, and a job that no longer fits comes back unassigned with the reason. Running it
    twice in a row changes nothing the first run did not. A plan changed while the solver ran (a
    job inserted, a stop made) is never overwritten: the re-plan starts again from what is
    stored. Returns counts for the job's result.

    Raises
    ------
    NoVehicleAvailable
        Even dropping every job leaves no feasible plan.
    StalePlan
        The plans kept changing under every attempt (the queue retries the job).
    """
    for attempt in range(PLAN_ATTEMPTS):
        try:
            return _reoptimise_once(service, operator_id, time_limit_s)
        except StalePlan:
            if attempt == PLAN_ATTEMPTS - 1:
                raise
    raise AssertionError  # unreachable: the loop returns or raises


def _reoptimise_once(
    service: CourierService, operator_id: str, time_limit_s: float
) -> dict[str, int]:
    now = service.clock.now()
    with service.engine.connect() as conn:
        shifts = open_shifts(conn, operator_id, now)
        jobs = list(
            conn.execute(
                select(delivery_jobs)
                .where(
                    delivery_jobs.c.operator_id == operator_id,
                    delivery_jobs.c.status.in_([str(s) for s in OPEN_JOB_STATUSES]),
                    delivery_jobs.c.dropoff_end > now,
                )
                .order_by(delivery_jobs.c.created_at)
            ).mappings()
        )
        planned = planned_stops(conn, shifts)
        zones = list_zones(conn, operator_id)
        stations = swaps.stations(conn, operator_id)
    if not shifts or not jobs:
        return {"couriers": len(shifts), "jobs": len(jobs), "dropped": 0}
    courier_of = {s["courier_id"]: v for v, s in enumerate(shifts)}
    places = [Position(s["lat"], s["lon"]) for s in shifts]
    stops: list[StopSpec] = []
    keys: list[tuple[str, str]] = []
    pairs: list[tuple[int, int]] = []
    pinned: dict[int, int] = {}

    def add(job: Mapping[Any, Any], kind: str) -> int:
        where = Position(job[f"{kind}_lat"], job[f"{kind}_lon"])
        places.append(where)
        sign = 1 if kind == "pickup" else -1
        stops.append(
            StopSpec(
                len(places) - 1,
                max(0, int((job[f"{kind}_start"] - now).total_seconds())),
                max(0, int((job[f"{kind}_end"] - now).total_seconds())),
                sign * job["parcel_l"],
            )
        )
        keys.append((job["id"], kind))
        return len(stops) - 1

    on_board = [0] * len(shifts)
    for job in jobs:
        if job["status"] == str(JobStatus.PICKED_UP):
            if job["courier_id"] in courier_of:
                v = courier_of[job["courier_id"]]
                pinned[add(job, "dropoff")] = v
                on_board[v] += job["parcel_l"]
        else:
            pairs.append((add(job, "pickup"), add(job, "dropoff")))
    index_of = {key: k for k, key in enumerate(keys)}
    station_of = {s.site_id: q for q, s in enumerate(stations)}
    first_station = len(places)
    places += [s.position for s in stations]
    committed: list[int | None] = [None] * len(shifts)
    committed_station: list[int | None] = [None] * len(shifts)
    for v, shift in enumerate(shifts):
        first = next((p for p in planned if p["shift_id"] == shift["id"]), None)
        if first is None:
            continue
        if first["kind"] == "swap":
            committed_station[v] = station_of.get(first["site_id"])
        elif (first["job_id"], first["kind"]) in index_of:
            committed[v] = index_of[(first["job_id"], first["kind"])]
    matrix = service.routers.router(Mode.MOPED).matrix(places, places, closures=zones, at=now)
    couriers = [
        CourierSpec(
            v,
            s["box_capacity_l"],
            on_board[v],
            max(0, int((s["end_at"] - now).total_seconds())),
            committed[v],
            swaps.range_m(s["soc_pct"]),
            committed_station[v],
        )
        for v, s in enumerate(shifts)
    ]
    specs = [
        StationSpec(first_station + q, s.charged_packs, s.range_after_m)
        for q, s in enumerate(stations)
    ]
    problem = CourierProblem(
        matrix.duration_s.tolist(),
        couriers,
        stops,
        pairs,
        pinned,
        matrix.distance_m.tolist(),
        specs,
        swaps.RESERVE_M,
    )
    solution = solve_couriers(problem, time_limit_s=time_limit_s)
    if solution is None:
        msg = "the couriers' plans have no feasible solution, even dropping jobs"
        raise NoVehicleAvailable(msg)
    with writing(service.engine) as conn:
        for shift in shifts:
            claim_plan(conn, shift["id"], shift["plan_version"])
        for v, shift in enumerate(shifts):
            conn.execute(
                delete(courier_stops).where(
                    courier_stops.c.shift_id == shift["id"], courier_stops.c.status == "planned"
                )
            )
            for seq, (k, arrival, station) in enumerate(solution.routes[v]):
                if k is None:  # a swap
                    assert station is not None
                    job_id, kind, site_id = None, "swap", stations[station].site_id
                    where = stations[station].position
                else:
                    (job_id, kind), site_id = keys[k], None
                    where = places[stops[k].place]
                conn.execute(
                    insert(courier_stops).values(
                        id=str(uuid.uuid4()),
                        operator_id=operator_id,
                        shift_id=shift["id"],
                        job_id=job_id,
                        site_id=site_id,
                        kind=kind,
                        seq=seq,
                        lat=where.lat,
                        lon=where.lon,
                        eta=now + timedelta(seconds=arrival),
                        status="planned",
                    )
                )
                if kind == "pickup":
                    conn.execute(
                        update(delivery_jobs)
                        .where(delivery_jobs.c.id == job_id)
                        .values(
                            status=str(JobStatus.ASSIGNED),
                            courier_id=shift["courier_id"],
                            reason=None,
                        )
                    )
        dropped = {keys[k][0] for k in solution.dropped}
        for job_id in dropped:
            conn.execute(
                update(delivery_jobs)
                .where(
                    delivery_jobs.c.id == job_id,
                    delivery_jobs.c.status != str(JobStatus.PICKED_UP),
                )
                .values(
                    status=str(JobStatus.UNASSIGNED),
                    courier_id=None,
                    reason="it no longer fits any courier's plan in time",
                )
            )
        record(
            conn,
            AuditEntry(
                now,
                operator_id,
                None,
                "plans.reoptimise",
                "operator",
                operator_id,
                {"couriers": len(shifts), "jobs": len(jobs), "dropped": len(dropped)},
            ),
        )
    return {"couriers": len(shifts), "jobs": len(jobs), "dropped": len(dropped)}
