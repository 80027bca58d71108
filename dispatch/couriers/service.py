"""What delivery dispatch runs on, and how it asks for a re-plan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import Protocol

from fleet.carbon import EUROPEAN_FACTORS, CarbonFactors
from fleet.catalog import Catalog, VehicleClass, VehicleType
from fleet.clock import Clock
from fleet.db.engine import Engine
from fleet.ids import Ids
from routing.routers import CityRouters


@dataclass(frozen=True, slots=True)
class SolverLimits:
    """How long a re-plan searches: ``time_limit_s`` always bounds it; ``solution_limit`` (a
    count of improving solutions) makes the result independent of the machine's speed."""

    time_limit_s: float
    solution_limit: int | None = None

    def __post_init__(self) -> None:
        if self.time_limit_s <= 0:
            msg = f"time_limit_s must be positive, got {self.time_limit_s}"
            raise ValueError(msg)
        if self.solution_limit is not None and self.solution_limit <= 0:
            msg = f"solution_limit must be positive, got {self.solution_limit}"
            raise ValueError(msg)


class ReplanRequester(Protocol):
    """Told of every posted job; decides when the operator's couriers are re-planned (on the
    queue in the platform, at once in a simulation, never in some tests)."""

    def job_posted(self, operator_id: str, *, unassigned: bool) -> None:
        """A job was posted (``unassigned``: no courier could take it)."""
        ...

    def roads_changed(self, operator_id: str) -> None:
        """The roads the operator's couriers ride changed (a closure made, extended or ended):
        re-plan them soon, however few jobs were posted."""
        ...


class NoReplans:
    """Never asks for a re-plan (the periodic re-plan, if any, takes the jobs up)."""

    def job_posted(self, operator_id: str, *, unassigned: bool) -> None:
        """Nothing to do."""

    def roads_changed(self, operator_id: str) -> None:
        """Nothing to do."""


@dataclass(frozen=True, slots=True)
class CourierService:
    """Everything delivery dispatch runs on."""

    engine: Engine
    routers: CityRouters
    clock: Clock
    ids: Ids
    catalog: Catalog
    limits: SolverLimits
    replans: ReplanRequester
    zone: tzinfo = UTC  # the city's: times in messages are shown in it
    carbon: CarbonFactors = EUROPEAN_FACTORS  # the city's car baseline and grid

    @property
    def moped(self) -> VehicleType:
        """The couriers' two-wheeler."""
        return self.catalog[VehicleClass.E_MOPED]

    def range_m(self, soc_pct: float) -> int:
        """Metres a moped's pack at this charge carries a courier (down to empty)."""
        return self.moped.range_m(soc_pct)

    @property
    def reserve_m(self) -> int:
        """Metres of range a courier keeps at every stop (the moped's low-battery threshold):
        only the ride to a swap station may use them."""
        return self.moped.range_m(self.moped.low_battery_pct)
