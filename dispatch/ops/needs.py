"""What the fleet needs from crews over the next horizon, from one snapshot: pure, no IO.

**Swaps.** A vehicle of a class with packs needs a swap when its charge is below the class's
threshold, or will be once it has taken the rides the forecast expects of it. A cell's expected
pick-ups are shared among the vehicles there that riders can take (charged enough), the vehicle
itself counted; its prize is the expected rides it cannot serve once below the threshold.

**Moves.** Each cell should hold its demand's P90 (``dispatch.ops.stock.target_stock``). A cell's
stock is the vehicles riders can take there plus half the rides expected to end there (they
arrive over the horizon, so on average half of them are there when needed). Cells above target
give movable, charged vehicles; cells below receive them at a permitted drop point. The k-th
vehicle into a cell is worth P(D ≥ s + k) trips and taking the j-th out of a cell costs
P(D ≥ s - j + 1): slots of all deficit cells are filled best first, each with the nearest
surplus vehicle it gains from.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from dispatch.ops.crew_input import CellDemand, CrewSnapshot, FleetVehicle, LeftUndone, PlanKind
from dispatch.ops.stock import survival, target_stock
from fleet.geo import EARTH_RADIUS_M, Position

#: Share of the rides expected to end in a cell that count as stock over the horizon.
DROPOFF_SHARE = 0.5
#: A vehicle below its threshold in a cell where no ride is expected still gets this prize, so
#: a van passing by swaps it.
MIN_PRIZE = 0.05
#: Moves gaining less than this (trips) are not worth a crew's stop.
MIN_MOVE_GAIN = 0.05
#: At most this many vehicles are brought into one cell in one plan.
MAX_INTO_CELL = 6
#: A vehicle is moved at most this far (metres as the crow flies).
MAX_MOVE_M = 4_000.0

NO_PACK = "no charged pack of this type within reach"
NO_DROP = "no place in the cell where a vehicle may be left (no-parking, no-ride or closed)"


@dataclass(frozen=True, slots=True)
class SwapNeed:
    """A vehicle that needs a fresh pack, the trips lost without one, and why."""

    vehicle: FleetVehicle
    lost_trips: float
    reason: str


@dataclass(frozen=True, slots=True)
class MoveNeed:
    """A vehicle to take from a surplus cell to a drop point of a deficit cell."""

    vehicle: FleetVehicle
    to_cell: str
    drop: Position
    gain_trips: float
    reason: str


@dataclass(frozen=True, slots=True)
class Needs:
    """Swaps and moves to plan, and needs no van could meet whatever it did."""

    swaps: list[SwapNeed] = field(default_factory=list)
    moves: list[MoveNeed] = field(default_factory=list)
    undone: list[LeftUndone] = field(default_factory=list)


def _hours(snapshot: CrewSnapshot) -> str:
    hours = snapshot.horizon_s / 3600
    return f"{hours:g} h" if hours >= 1 else f"{snapshot.horizon_s // 60} min"


def rentable(snapshot: CrewSnapshot, vehicle: FleetVehicle) -> bool:
    """Whether riders can take the vehicle: charged at or above its class's threshold."""
    return vehicle.soc_pct >= snapshot.swap_threshold_pct.get(vehicle.vehicle_class, 0.0)


def swap_needs(snapshot: CrewSnapshot) -> Needs:
    """The vehicles that need a swap over the horizon (module docstring), most urgent first."""
    cells = {c.cell: c for c in snapshot.cells}
    riders_can_take = Counter(v.cell for v in snapshot.vehicles if rentable(snapshot, v))
    packs = Counter[str]()
    for station in snapshot.stations:
        packs.update({str(k): n for k, n in station.charged.items() if n > 0})
    for van in snapshot.vans:
        packs.update({str(k): n for k, n in van.packs_on_board.items() if n > 0})
    swaps, undone = [], []
    for v in snapshot.vehicles:
        threshold = snapshot.swap_threshold_pct.get(v.vehicle_class)
        per_ride = snapshot.soc_per_ride_pct.get(v.vehicle_class)
        if threshold is None or per_ride is None or not v.movable:
            continue
        demand = cells.get(v.cell)
        low = v.soc_pct < threshold
        sharing = riders_can_take[v.cell] + (1 if low else 0)
        expected = demand.pickups / sharing if demand is not None and sharing else 0.0
        can_serve = 0 if low else math.floor((v.soc_pct - threshold) / max(per_ride, 1e-9)) + 1
        lost = max(expected - can_serve, 0.0)
        if not low and lost <= 0:
            continue
        reason = _swap_reason(v.soc_pct, threshold, can_serve, expected, _hours(snapshot))
        prize = max(lost, MIN_PRIZE)
        if packs[str(v.vehicle_class)] <= 0:
            undone.append(LeftUndone(NO_PACK, round(prize, 3), vehicle_id=v.id, cell=v.cell))
            continue
        swaps.append(SwapNeed(v, prize, reason))
    swaps.sort(key=lambda n: (-n.lost_trips, n.vehicle.id))
    return Needs(swaps=swaps, undone=undone)


def _swap_reason(soc: float, threshold: float, rides: int, expected: float, hours: str) -> str:
    state = (
        f"below {threshold:g}% charge"
        if rides == 0
        else f"at {soc:.0f}% charge, below {threshold:g}% after {rides} ride{'s' * (rides > 1)}"
    )
    return f"{state}; {expected:.1f} trips expected of it in its cell in the next {hours}"


@dataclass(slots=True)
class _Cell:
    demand: CellDemand
    stock: int
    givers: list[FleetVehicle]
    drop: Position | None


def _cells(snapshot: CrewSnapshot) -> dict[str, _Cell]:
    standing = Counter(v.cell for v in snapshot.vehicles if rentable(snapshot, v))
    out = {}
    for c in snapshot.cells:
        allowed = [p for p in c.drop_points if snapshot.may_drop(p)]
        drop = min(allowed, key=c.centre.distance_m) if allowed else None
        stock = standing[c.cell] + round(DROPOFF_SHARE * c.dropoffs)
        out[c.cell] = _Cell(c, stock, [], drop)
    for v in snapshot.vehicles:
        if v.movable and rentable(snapshot, v) and v.cell in out:
            out[v.cell].givers.append(v)
    return out


def move_needs(snapshot: CrewSnapshot) -> Needs:
    """Moves from surplus to deficit cells, best gain first (module docstring)."""
    cells = _cells(snapshot)
    slots: list[tuple[float, str]] = []
    undone = []
    for name, cell in cells.items():
        d = cell.demand
        short = min(target_stock(d.pickups_p90) - cell.stock, MAX_INTO_CELL)
        if short <= 0:
            continue
        gains = survival(d.pickups, d.pickups_p10, d.pickups_p90, cell.stock + short)
        gains = gains[cell.stock :]
        if cell.drop is None:
            undone.append(LeftUndone(NO_DROP, round(float(gains.sum()), 3), cell=name))
            continue
        slots += [(float(g), name) for g in gains]
    slots.sort(key=lambda s: (-s[0], s[1]))
    givers = _givers(cells)
    taken: Counter[str] = Counter()
    moves = []
    for gain, name in slots:
        if not givers:
            break
        target = cells[name]
        assert target.drop is not None
        best = _nearest(givers, target.drop, taken, cells, gain)
        if best is None:
            continue
        vehicle, net = best
        givers.remove(vehicle)
        taken[vehicle.cell] += 1
        reason = (
            f"{name} expects {target.demand.pickups:.1f} trips in the next {_hours(snapshot)} "
            f"for {target.stock} vehicles; this one adds {gain:.2f} there and "
            f"{vehicle.cell} loses {gain - net:.2f}"
        )
        moves.append(MoveNeed(vehicle, name, target.drop, net, reason))
    return Needs(moves=moves, undone=undone)


def _givers(cells: dict[str, _Cell]) -> list[FleetVehicle]:
    """Vehicles of cells above target that may go (no more than the cell's surplus)."""
    out: list[FleetVehicle] = []
    for cell in cells.values():
        spare = cell.stock - target_stock(cell.demand.pickups_p90)
        out += cell.givers[: max(spare, 0)]
    return out


def _nearest(
    givers: Sequence[FleetVehicle],
    drop: Position,
    taken: Counter[str],
    cells: dict[str, _Cell],
    gain: float,
) -> tuple[FleetVehicle, float] | None:
    """The nearest giver within reach whose move still gains, and that net gain."""
    lat = np.radians([v.position.lat for v in givers])
    lon = np.radians([v.position.lon for v in givers])
    a, o = math.radians(drop.lat), math.radians(drop.lon)
    h = np.sin((lat - a) / 2) ** 2 + np.cos(lat) * math.cos(a) * np.sin((lon - o) / 2) ** 2
    metres = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))
    for k in np.argsort(metres, kind="stable"):
        if metres[k] > MAX_MOVE_M:
            return None
        v = givers[int(k)]
        d = cells[v.cell].demand
        left = cells[v.cell].stock - taken[v.cell]
        loss = float(survival(d.pickups, d.pickups_p10, d.pickups_p90, left)[-1]) if left else 1.0
        if gain - loss >= MIN_MOVE_GAIN:
            return v, gain - loss
    return None


def needs_of(snapshot: CrewSnapshot) -> Needs:
    """The needs a plan of the snapshot's kind meets: swaps, or moves."""
    if snapshot.kind is PlanKind.BATTERY_SWAPS:
        return swap_needs(snapshot)
    return move_needs(snapshot)
