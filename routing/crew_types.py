"""The plain data of the crews' OR-Tools model (``routing.crew_model``): what to plan, what
was planned. Integers where the solver sees them (seconds, places as matrix indices)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

#: What one expected trip served is worth, in seconds of van driving: a visit is made when its
#: trips are worth more than the detour to it. A crew hour costs the operator roughly what 12
#: rides bring in (driver, van, fuel against about ₩2,500 a ride), so a trip pays for ~5 min.
TRIP_VALUE_S = 300


class Status(StrEnum):
    """How a solve ended."""

    IMPROVED = "improved"  # a first solution, then local search until the limit
    FIRST_ONLY = "first-solution"  # local search found nothing better
    EMPTY = "nothing-to-plan"  # no van or no visit
    FAILED = "no-solution"  # not even the empty plan: a van cannot reach its end in time


@dataclass(frozen=True, slots=True)
class VanSpec:
    """A van: start and end places (indices into the matrix), when it may leave and must be
    back (seconds from the plan's time), vehicles it carries per vehicle type, packs it carries
    (charged or spent) and charged packs per pack type on board when it leaves."""

    start: int
    end: int
    ready_s: int
    shift_end_s: int
    capacity_vehicles: tuple[int, ...]
    capacity_packs: int
    packs_on_board: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class VisitSpec:
    """An optional visit: a swap (``pack_type`` set), a pick-up (``carry_type`` set, ``+1``) or
    a drop (``carry_type`` set, ``-1``); ``prize`` in expected trips."""

    place: int
    service_s: int
    prize: float
    pack_type: int | None = None
    carry_type: int | None = None
    carry: int = 0


@dataclass(frozen=True, slots=True)
class StationSpec:
    """A swap station: its place, charged packs per pack type it hands out, service seconds."""

    place: int
    stock: tuple[int, ...]
    service_s: int


@dataclass(frozen=True, slots=True)
class CrewProblem:
    """Everything to plan. ``durations`` is seconds between places; ``pairs`` are (pick-up,
    drop) visit indices; ``vehicle_types``/``pack_types`` count the carry and pack types;
    a move's prize is its pick-up's and is earned at its drop."""

    durations: NDArray[np.int64]
    vans: list[VanSpec]
    visits: list[VisitSpec]
    stations: list[StationSpec] = field(default_factory=list)
    pairs: list[tuple[int, int]] = field(default_factory=list)
    vehicle_types: int = 0
    pack_types: int = 0
    trip_value_s: int = TRIP_VALUE_S
    #: Seconds over which a visit's prize fades to nothing (0: it never fades). Demand comes
    #: through the horizon, so a vehicle charged or brought in at ``t`` serves only the rides
    #: after ``t``: its trips are ``prize × (1 - t / prize_horizon_s)``.
    prize_horizon_s: int = 0


@dataclass(frozen=True, slots=True)
class Stop:
    """One stop of a route: a visit (index into the visits) or a station (index into the
    stations, with the charged packs loaded per pack type); arrival in seconds."""

    arrival_s: int
    visit: int | None = None
    station: int | None = None
    loaded: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class CrewSolution:
    """Per van its stops in order and its end time; the visits left out; status, objective."""

    routes: list[list[Stop]]
    ends_s: list[int]
    dropped: list[int]
    status: Status
    objective: int
