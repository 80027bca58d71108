"""The platform as one value: every room's service, built once by the composition root
(``bootstrap.build_platform``) and handed to the web app, the worker, the scheduler, the CLI and
a simulation alike. Nothing in it reads settings or a process-global."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from dispatch.accounts import AccountService
from dispatch.couriers.service import CourierService
from dispatch.ops.closures import ClosureService
from dispatch.ops.crews import CrewService
from dispatch.ops.demand import DemandService
from dispatch.ops.surface_map import SurfaceQueue
from dispatch.ops.vehicles import FleetService
from dispatch.riders.bookings import RiderService
from dispatch.workev.reservations import EvService
from fleet.catalog import Catalog
from fleet.city import CityProfile
from fleet.clock import Clock
from fleet.db.engine import Engine
from fleet.ids import Ids
from routing.routers import CityRouters


@dataclass(frozen=True, slots=True)
class Paging:
    """Page sizes of listings."""

    default: int
    maximum: int


@dataclass(frozen=True, slots=True)
class Platform:
    """Everything fleetops runs on (see the module docstring)."""

    engine: Engine
    clock: Clock
    ids: Ids
    city: CityProfile
    catalog: Catalog
    routers: CityRouters
    paging: Paging
    accounts: AccountService
    riders: RiderService
    couriers: CourierService
    workev: EvService
    fleet: FleetService
    demand: DemandService
    crews: CrewService
    closures: ClosureService
    #: Checks of the parts the platform depends on, by name ("database", "redis"): each
    #: answers ``{"ok": bool, ...}`` with a ``message`` when it is not ok.
    probes: dict[str, Callable[[], dict[str, Any]]]
    #: Where road-surface refreshes are requested; ``None`` without Redis.
    surface_queue: SurfaceQueue | None = None

    @property
    def zone(self) -> ZoneInfo:
        """The city's time zone: every time shown to people is in it."""
        return self.city.zone
