"""An independent walk of a crew plan against the snapshot it was made from: every broken rule.

It shares nothing with the planners but their input: it asks the snapshot's own matrix for the
travel times between the places the proposal names, recomputes each van's earliest times with
the service times, and follows what each van carries. A planner's answer, or a plan re-checked
before approval, is right when :func:`problems` returns an empty list.

Rules: a task belongs to a van on shift and the tasks of a van are numbered 1, 2, … in route
order; a van leaves no earlier than ``available_from``, never arrives anywhere sooner than its
driving and service allow, and is back at its end by ``shift_end``; it carries no more vehicles
of a class than its capacity and none at the end; a swap uses a charged pack of the vehicle's
class on board; a station hands out no more than its charged packs (over all vans) and a van
holds no more than ``capacity_packs`` packs, charged or spent (a station takes back the spent
ones); a drop is at a permitted drop point of a cell; only movable vehicles are touched, each at
most once per kind; a move's drop follows its pick-up on the same van, for the same vehicle.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from dispatch.ops.crew_input import CrewSnapshot, Proposal, ProposedTask, Van
from fleet.geo import Position
from fleet.ops import TaskKind

#: Rounding of times to whole seconds may put an arrival this much early.
TOLERANCE = timedelta(seconds=2)

Drive = Callable[[Position, Position], int]


def problems(snapshot: CrewSnapshot, proposal: Proposal) -> list[str]:
    """Every rule the proposal breaks, in plain words (empty: none)."""
    vans = {v.shift_id: v for v in snapshot.vans}
    found = [
        f"task for unknown shift {t.shift_id}" for t in proposal.tasks if t.shift_id not in vans
    ]
    by_van: dict[str, list[ProposedTask]] = {}
    for t in proposal.tasks:
        by_van.setdefault(t.shift_id, []).append(t)
    places = {p for v in snapshot.vans for p in (v.start, v.end)}
    places |= {t.target for t in proposal.tasks}
    ordered = sorted(places, key=lambda p: (p.lat, p.lon))
    index = {p: i for i, p in enumerate(ordered)}
    seconds = snapshot.matrix(ordered)[0] if ordered else []
    stock_used: Counter[tuple[str, str]] = Counter()
    for shift_id, tasks in by_van.items():
        if shift_id not in vans:
            continue
        tasks = sorted(tasks, key=lambda t: t.sequence)
        if [t.sequence for t in tasks] != list(range(1, len(tasks) + 1)):
            found.append(f"{shift_id}: tasks are not numbered 1..{len(tasks)}")
        found += _times(
            snapshot, vans[shift_id], tasks, lambda a, b: int(seconds[index[a]][index[b]])
        )
        found += _loads(snapshot, vans[shift_id], tasks, stock_used)
    found += _stations(snapshot, stock_used)
    found += _vehicles(snapshot, proposal.tasks)
    return found


def _service(snapshot: CrewSnapshot, task: ProposedTask, following: ProposedTask | None) -> int:
    """Seconds on site; a station stop loading several classes (one task each, same arrival)
    takes its service once, counted after its last task."""
    s = snapshot.service
    if task.kind is TaskKind.SWAP:
        return s.swap_s
    if task.kind is TaskKind.CHARGE:
        if following is not None and following.kind is TaskKind.CHARGE:
            return 0 if following.site_id == task.site_id else s.load_packs_s
        return s.load_packs_s
    if task.kind is TaskKind.REBALANCE:
        return s.drop_s if task.is_drop else s.pickup_s
    return 0


def _times(
    snapshot: CrewSnapshot, van: Van, tasks: Sequence[ProposedTask], drive: Drive
) -> list[str]:
    out = []
    clock: datetime = max(van.available_from, snapshot.at)
    here: Position = van.start
    for n, t in enumerate(tasks):
        service = _service(snapshot, t, tasks[n + 1] if n + 1 < len(tasks) else None)
        earliest = clock + timedelta(seconds=drive(here, t.target))
        if t.arrive_at + TOLERANCE < earliest:
            out.append(f"{van.shift_id} task {t.sequence}: arrives {t.arrive_at} before {earliest}")
        if t.arrive_at < van.available_from - TOLERANCE:
            out.append(f"{van.shift_id} task {t.sequence}: before the van is available")
        clock = max(earliest, t.arrive_at) + timedelta(seconds=service)
        here = t.target
    back = clock + timedelta(seconds=drive(here, van.end))
    if back > van.shift_end + TOLERANCE:
        out.append(f"{van.shift_id}: back at {back}, after the shift ends at {van.shift_end}")
    return out


def _loads(
    snapshot: CrewSnapshot,
    van: Van,
    tasks: Sequence[ProposedTask],
    stock_used: Counter[tuple[str, str]],
) -> list[str]:
    out = []
    classes = {v.id: v.vehicle_class for v in snapshot.vehicles}
    carried: Counter[str] = Counter()
    charged: Counter[str] = Counter({str(k): n for k, n in van.packs_on_board.items()})
    spent = 0
    for t in tasks:
        where = f"{van.shift_id} task {t.sequence}"
        cls = str(classes.get(t.vehicle_id or "", t.pack_class))
        if t.kind is TaskKind.REBALANCE:
            carried[cls] += -1 if t.is_drop else 1
            limit = (
                van.capacity_vehicles.get(classes[t.vehicle_id], 0)
                if t.vehicle_id in classes
                else 0
            )
            if carried[cls] > limit:
                out.append(f"{where}: carries {carried[cls]} {cls}, capacity {limit}")
            if carried[cls] < 0:
                out.append(f"{where}: drops a {cls} it does not carry")
        elif t.kind is TaskKind.SWAP:
            charged[cls] -= 1
            spent += 1
            if charged[cls] < 0:
                out.append(f"{where}: swaps a {cls} pack with no charged one on board")
        elif t.kind is TaskKind.CHARGE:
            if t.site_id is None or t.pack_class is None or t.packs < 0:
                out.append(f"{where}: a station visit without a site, class or pack count")
                continue
            stock_used[(t.site_id, str(t.pack_class))] += t.packs
            charged[str(t.pack_class)] += t.packs
            spent = 0
        total = sum(max(n, 0) for n in charged.values()) + spent
        if total > max(van.capacity_packs, sum(van.packs_on_board.values())):
            out.append(f"{where}: {total} packs on board, capacity {van.capacity_packs}")
    if any(carried.values()):
        out.append(f"{van.shift_id}: ends its route with vehicles still in the van")
    return out


def _stations(snapshot: CrewSnapshot, used: Counter[tuple[str, str]]) -> list[str]:
    have = {(s.site_id, str(k)): n for s in snapshot.stations for k, n in s.charged.items()}
    return [
        f"station {site} hands out {n} {cls} packs, has {have.get((site, cls), 0)}"
        for (site, cls), n in used.items()
        if n > have.get((site, cls), 0)
    ]


def _vehicles(snapshot: CrewSnapshot, tasks: Sequence[ProposedTask]) -> list[str]:
    out = []
    fleet = {v.id: v for v in snapshot.vehicles}
    drop_points = {p for c in snapshot.cells for p in c.drop_points}
    seen: Counter[tuple[str, TaskKind, bool]] = Counter()
    by_seq = {(t.shift_id, t.sequence): t for t in tasks}
    for t in tasks:
        where = f"{t.shift_id} task {t.sequence}"
        if t.kind not in (TaskKind.SWAP, TaskKind.REBALANCE):
            continue
        v = fleet.get(t.vehicle_id or "")
        if v is None:
            out.append(f"{where}: unknown vehicle {t.vehicle_id}")
            continue
        if not v.movable:
            out.append(f"{where}: touches vehicle {v.id}, which may not be taken")
        seen[(v.id, t.kind, t.is_drop)] += 1
        if seen[(v.id, t.kind, t.is_drop)] == 2:
            out.append(f"{where}: vehicle {v.id} is planned twice for the same task")
        if not t.is_drop and t.target != v.position:
            out.append(f"{where}: vehicle {v.id} is not at the task's place")
        if t.kind is TaskKind.REBALANCE:
            out += _pair(t, by_seq, where)
        if t.is_drop and (not snapshot.may_drop(t.target) or t.target not in drop_points):
            out.append(f"{where}: drops vehicle {v.id} where vehicles may not be left")
    return out


def _pair(t: ProposedTask, by_seq: dict[tuple[str, int], ProposedTask], where: str) -> list[str]:
    other = by_seq.get((t.shift_id, t.pair)) if t.pair is not None else None
    if other is None or other.vehicle_id != t.vehicle_id or other.is_drop == t.is_drop:
        return [f"{where}: its move has no other half on the same van"]
    pickup, drop = (other, t) if t.is_drop else (t, other)
    if drop.sequence < pickup.sequence:
        return [f"{where}: the drop comes before the pick-up"]
    return []
