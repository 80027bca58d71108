"""What an approval keeps of a plan: tasks whose vehicle moved, was booked or taken, whose
place a closure now covers, or whose van is busy with another plan are dropped with the reason;
a move is whole or not at all; station visits reserve only the packs the kept swaps need."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from dispatch.ops.crews import TAKEABLE
from fleet.db import ops_plans as plans_db
from fleet.db import stock as stock_db
from fleet.db.engine import Connection
from fleet.db.sites import list_zones
from fleet.db.vehicles import vehicles_by_id
from fleet.geo import haversine_m
from fleet.ops import OpsTask, TaskKind
from fleet.zones import first_inside

#: A vehicle farther than this from where the plan found it has moved: its task is stale.
MOVED_M = 50.0


def _stale(
    conn: Connection, operator_id: str, tasks: Sequence[OpsTask], at: datetime
) -> dict[str, str]:
    """Tasks whose vehicle is no longer where and as the plan found it, or whose place a
    closure in force now covers, with the reason."""
    busy = plans_db.vehicles_in_active_tasks(conn, operator_id)
    found = vehicles_by_id(conn, operator_id, [t.vehicle_id for t in tasks if t.vehicle_id])
    closed = [z for z in list_zones(conn, operator_id) if z.closes_roads(at)]
    stale = {}
    for t in tasks:
        here = found[t.vehicle_id].position if t.vehicle_id in found and not t.is_drop else None
        for place in (here, t.target):
            shut = first_inside(closed, place) if place is not None else None
            if shut is not None and t.id not in stale:
                stale[t.id] = f"inside the closure {shut.name!r} now"
        if t.vehicle_id is None or t.is_drop or t.id in stale:
            continue
        v = found.get(t.vehicle_id)
        if v is None:
            stale[t.id] = "the vehicle is gone from the fleet"
        elif v.status not in TAKEABLE:
            stale[t.id] = f"the vehicle is {v.status} now"
        elif v.id in busy:
            stale[t.id] = "another approved plan has the vehicle"
        elif (
            t.target is not None
            and haversine_m(v.position.lat, v.position.lon, t.target.lat, t.target.lon) > MOVED_M
        ):
            stale[t.id] = "the vehicle has moved since the plan was made"
    return stale


def _reserve(conn: Connection, tasks: Sequence[OpsTask], drop: dict[str, str]) -> list[OpsTask]:
    """Reserve each kept station visit's packs, no more than the van's kept swaps of that class
    still need (a visit left with none to serve is dropped); a van's swaps beyond the packs it
    could get are dropped, in route order. The kept tasks, with the packs actually reserved."""
    need: dict[tuple[str | None, object], int] = defaultdict(int)
    for t in tasks:
        if t.kind is TaskKind.SWAP and t.id not in drop:
            need[(t.shift_id, t.pack_class)] += 1
    kept = []
    packs: dict[tuple[str | None, object], int] = defaultdict(int)
    for t in tasks:
        if t.id in drop:
            continue
        key = (t.shift_id, t.pack_class)
        if t.kind is TaskKind.CHARGE and t.site_id and t.pack_class and t.packs > 0:
            wanted = min(t.packs, need[key] - packs[key])
            if wanted <= 0:
                drop[t.id] = "no swap left in the plan needs its packs"
                continue
            got = stock_db.reserve_packs(conn, t.site_id, t.pack_class, wanted, t.id)
            packs[key] += got
            t = replace(t, packs=got)
        elif t.kind is TaskKind.SWAP:
            if packs[key] <= 0:
                drop[t.id] = "no charged pack left for it: the station's packs are gone"
                continue
            packs[key] -= 1
            need[key] -= 1
        kept.append(t)
    return kept


def _busy_crews(conn: Connection, tasks: Sequence[OpsTask], drop: dict[str, str]) -> None:
    """Drop the tasks of vans that carry out another approved plan now: one van, one plan at a
    time (two plans made before either was approved would overload it)."""
    busy = plans_db.busy_until(conn, {t.shift_id for t in tasks if t.shift_id})
    for t in tasks:
        if t.shift_id in busy and t.id not in drop:
            drop[t.id] = "the crew is busy with another approved plan: ask for a new plan"


def settle(
    conn: Connection, operator_id: str, tasks: Sequence[OpsTask], drop: dict[str, str],
    now: datetime,
) -> list[OpsTask]:  # fmt: skip
    """Decide which tasks an approval keeps (``drop`` gets the others with their reason) and
    reserve their packs; the kept tasks."""
    _busy_crews(conn, tasks, drop)
    stale = _stale(conn, operator_id, tasks, now)
    drop.update({k: v for k, v in stale.items() if k not in drop})
    _pairs(tasks, drop)
    kept = _reserve(conn, tasks, drop)
    _pairs(tasks, drop)
    kept = [t for t in kept if t.id not in drop]
    stock_db.release_packs(conn, list(drop))
    return kept


def _pairs(tasks: Sequence[OpsTask], drop: dict[str, str]) -> None:
    """A move is whole or not at all: drop the other half of every dropped half."""
    by_seq = {(t.shift_id, t.sequence): t for t in tasks}
    for t in tasks:
        if t.id in drop and t.pair_sequence is not None:
            other = by_seq.get((t.shift_id, t.pair_sequence))
            if other is not None and other.id not in drop:
                drop[other.id] = f"its other half was dropped: {drop[t.id]}"
