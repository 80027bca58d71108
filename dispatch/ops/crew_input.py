"""What a crew plan is computed from, and what it proposes: plain values, no IO.

The crew room's planner (rebalancing moves and battery swaps for crews in vans) reads one
:class:`CrewSnapshot` — the fleet, the stations' charged packs, the vans on shift, the demand
forecast per cell — and returns a :class:`Proposal`: tasks per van in route order, and what it
leaves undone with the reason. Persistence builds the snapshot and stores the proposal; the
planner never touches a database, Redis or a clock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from fleet.catalog import VehicleClass
from fleet.clock import require_aware
from fleet.exceptions import InvalidValue
from fleet.geo import Position
from fleet.ops import TaskKind
from fleet.vehicles import check_soc

#: (durations s, distances m) between every pair of the given positions by van on the car
#: graph, closures of the snapshot's time applied; ``routing.engine.UNREACHABLE`` where no road.
MatrixFn = Callable[[Sequence[Position]], tuple[Sequence[Sequence[int]], Sequence[Sequence[int]]]]


class PlanKind(StrEnum):
    """What a plan is for."""

    REBALANCING = "rebalancing"
    BATTERY_SWAPS = "battery_swaps"


@dataclass(frozen=True, slots=True)
class FleetVehicle:
    """A vehicle as the planner sees it. ``movable``: a crew may take it (not booked, ridden,
    held or already in another plan's open task)."""

    id: str
    vehicle_class: VehicleClass
    position: Position
    soc_pct: float
    movable: bool
    cell: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "soc_pct", check_soc(self.soc_pct))


@dataclass(frozen=True, slots=True)
class StationStock:
    """A swap station and the charged packs per vehicle class it can hand out now (packs
    already reserved by an approved plan are not counted)."""

    site_id: str
    name: str
    position: Position
    charged: Mapping[VehicleClass, int]
    free_slots: Mapping[VehicleClass, int]


@dataclass(frozen=True, slots=True)
class Van:
    """A crew on shift with its van. The van starts at ``start`` (its depot, or where the crew
    is) no earlier than ``available_from`` and must be back at ``end`` by ``shift_end``.
    ``capacity_vehicles``: how many vehicles of each class it carries at once (0: none of
    that class); ``capacity_packs``: how many packs (charged or spent) it carries at once;
    ``packs_on_board``: charged packs per class loaded when it leaves."""

    shift_id: str
    crew_id: str
    start: Position
    end: Position
    available_from: datetime
    shift_end: datetime
    capacity_vehicles: Mapping[VehicleClass, int]
    capacity_packs: int
    packs_on_board: Mapping[VehicleClass, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        require_aware("available_from", self.available_from)
        require_aware("shift_end", self.shift_end)
        if self.shift_end <= self.available_from:
            msg = f"shift {self.shift_id} ends before its van is available"
            raise InvalidValue(msg)
        if self.capacity_packs < 0 or any(v < 0 for v in self.capacity_vehicles.values()):
            msg = f"shift {self.shift_id}: van capacities must not be negative"
            raise InvalidValue(msg)


@dataclass(frozen=True, slots=True)
class CellDemand:
    """Expected rides starting (``pickups``) and ending (``dropoffs``) in a demand cell over the
    plan's horizon, with P10/P90 of the pick-ups; ``drop_points``: positions in the cell where a
    vehicle may be left (outside no-parking, no-ride zones and active closures; empty: none)."""

    cell: str
    centre: Position
    pickups: float
    pickups_p10: float
    pickups_p90: float
    dropoffs: float
    drop_points: Sequence[Position]


@dataclass(frozen=True, slots=True)
class ServiceTimes:
    """Seconds a crew spends per task kind on site (the city profile's ``[crews]``)."""

    pickup_s: int = 120
    drop_s: int = 90
    swap_s: int = 180
    load_packs_s: int = 300


@dataclass(frozen=True, slots=True)
class CrewSnapshot:
    """Everything one plan is computed from, read at ``at`` for ``horizon_s`` ahead."""

    operator_id: str
    kind: PlanKind
    at: datetime
    horizon_s: int
    vehicles: Sequence[FleetVehicle]
    stations: Sequence[StationStock]
    vans: Sequence[Van]
    cells: Sequence[CellDemand]
    #: per class: charge below which a vehicle needs a swap (percent)
    swap_threshold_pct: Mapping[VehicleClass, float]
    #: per class: charge used per expected ride (percent), to foresee who falls below
    soc_per_ride_pct: Mapping[VehicleClass, float]
    service: ServiceTimes
    matrix: MatrixFn
    #: whether a vehicle may be left at this position (no no-parking/no-ride zone, no closure)
    may_drop: Callable[[Position], bool]

    def __post_init__(self) -> None:
        require_aware("at", self.at)
        if self.horizon_s <= 0:
            msg = "a plan's horizon must be positive"
            raise InvalidValue(msg)
        for cls, pct in self.swap_threshold_pct.items():
            if not 0 <= pct <= 100:
                msg = f"the swap threshold of {cls} must be within 0-100, got {pct}"
                raise InvalidValue(msg)


@dataclass(frozen=True, slots=True)
class ProposedTask:
    """One visit of a van, in route order (``sequence`` from 1 per van).

    - ``REBALANCE`` pick-up: ``vehicle_id`` taken at ``target`` (where it stands);
      drop: the same ``vehicle_id`` left at ``target``; ``pair`` links the two.
    - ``SWAP``: the pack of ``vehicle_id`` at ``target`` exchanged for a charged one.
    - ``CHARGE`` at a station (``site_id``): ``packs`` charged packs of ``pack_class`` loaded
      (positive) and spent packs unloaded.
    ``gain_trips``: expected trips this visit serves (its share of the plan's gain).
    """

    shift_id: str
    sequence: int
    kind: TaskKind
    target: Position
    arrive_at: datetime
    reason: str
    gain_trips: float
    vehicle_id: str | None = None
    site_id: str | None = None
    pack_class: VehicleClass | None = None
    packs: int = 0
    pair: int | None = None  # the sequence of the other half of a move
    is_drop: bool = False


@dataclass(frozen=True, slots=True)
class LeftUndone:
    """A need the plan does not meet, and why (no van capacity, no time in any shift, no
    charged pack, cost more than it serves...)."""

    reason: str
    lost_trips: float
    vehicle_id: str | None = None
    cell: str | None = None


@dataclass(frozen=True, slots=True)
class VanRoute:
    """A van's route: the stops' positions in order from start to end, metres and seconds."""

    shift_id: str
    stops: Sequence[Position]
    distance_m: int
    duration_s: int


@dataclass(frozen=True, slots=True)
class Proposal:
    """A plan as proposed: tasks per van in route order, routes, what is left undone."""

    kind: PlanKind
    tasks: Sequence[ProposedTask]
    routes: Sequence[VanRoute]
    undone: Sequence[LeftUndone]
    expected_gain_trips: float
    solver: str  # "or-tools" or "greedy", with the status, for the record
