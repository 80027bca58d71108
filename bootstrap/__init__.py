"""The composition root: :func:`build_platform` turns ``Settings`` into a
:class:`dispatch.platform.Platform`. The web app, the worker, the scheduler, the CLI and a
simulation all start here; below it nothing reads settings.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

from bootstrap.demand_points import prior_points
from bootstrap.probes import process_probe
from config.cities import load_city, resolve_city_name
from config.exceptions import SettingsError
from config.settings import Settings
from dispatch.accounts import AccountService
from dispatch.couriers.replan import InlineReplans, reoptimise
from dispatch.couriers.service import (
    CourierService,
    NoReplans,
    ReplanRequester,
    SolverLimits,
)
from dispatch.ops.closures import ClosureService
from dispatch.ops.crew_input import ServiceTimes
from dispatch.ops.crews import CrewService
from dispatch.ops.demand import DemandService
from dispatch.ops.surface import StoredPenalties
from dispatch.ops.vehicles import FleetService
from dispatch.platform import Paging, Platform
from dispatch.queue.attempts import RedisAttempts
from dispatch.queue.connection import connect
from dispatch.queue.crew_jobs import QueueCrewPlans
from dispatch.queue.health import queue_probes
from dispatch.queue.replans import QueueReplans
from dispatch.queue.schedule import ScheduleRules
from dispatch.queue.surface_jobs import QueueSurface
from dispatch.riders.bookings import RiderService
from dispatch.riders.ranking import RiderRules
from dispatch.sign_in_limits import Attempts, MemoryAttempts, SignInLimits
from dispatch.workev.reservations import EvService
from fleet.catalog import DEFAULT_CATALOG, Catalog
from fleet.city import CityProfile
from fleet.clock import Clock
from fleet.db.engine import Engine, make_engine
from fleet.db.migrate import health as database_health
from fleet.ids import Ids, RandomIds
from routing.modes import Mode
from routing.routers import CityRouters
from routing.warm import warm_routing

#: How posted jobs lead to re-plans: on the queue (when Redis is configured), at once in the
#: caller's process, or never (the periodic re-plan alone).
Replans = Literal["queue", "inline", "none"]


#: How long the platform's own Redis calls (health, re-plan requests) may take.
REDIS_TIMEOUT_S = 1.0


def schedule_rules(settings: Settings) -> ScheduleRules:
    """What the scheduler runs how often."""
    return ScheduleRules(
        reoptimise_every_s=settings.reoptimise_every_s,
        reoptimise_after_jobs=settings.reoptimise_after_jobs,
        expire_holds_every_s=settings.expire_holds_every_s,
        late_returns_every_s=settings.late_returns_every_s,
        forecast_every_s=settings.forecast_every_s,
        crew_plans_every_s=settings.crew_plans_every_s,
        road_surface_every_s=settings.road_surface_every_s,
    )


def city_routers(city: CityProfile, settings: Settings, engine: Engine) -> CityRouters:
    """The city's routers; the bike router's penalties follow the road-surface index the queue
    refreshes (``dispatch.ops.surface``)."""
    return CityRouters(
        city.source,
        settings.cache_dir,
        settings.max_snap_distance_m,
        penalty_source=StoredPenalties(engine),
    )


def solver_limits(settings: Settings) -> SolverLimits:
    """How long a re-plan searches (``reoptimise_solution_limit`` 0: the time limit alone)."""
    return SolverLimits(
        time_limit_s=float(settings.reoptimise_time_limit_s),
        solution_limit=settings.reoptimise_solution_limit or None,
    )


def sign_in_limits(settings: Settings) -> SignInLimits:
    """How many wrong passwords sign-in takes, and in what window."""
    return SignInLimits(
        per_username=settings.max_failures_per_username,
        per_address=settings.max_failures_per_address,
        window_s=settings.failure_window_s,
    )


def plan_queue(settings: Settings, redis: Any) -> QueueCrewPlans | None:
    """Where crew plan requests go: the operations queue, when there is Redis."""
    if redis is None:
        return None
    return QueueCrewPlans(redis, float(settings.crew_plan_time_limit_s))


def build_platform(
    settings: Settings,
    *,
    engine: Engine | None = None,
    clock: Clock | None = None,
    ids: Ids | None = None,
    catalog: Catalog | None = None,
    replans: Replans = "queue",
    limits: SolverLimits | None = None,
) -> Platform:
    """The platform ``settings`` describe. Ready-made parts (an engine on a test database, a
    fixed clock, seeded ids, an operator's own vehicle catalog, deterministic solver limits)
    replace what the settings would build.

    Raises
    ------
    SettingsError
        The city is unknown or its profile lacks what the platform needs.
    """
    city = load_city(resolve_city_name(settings.city, settings.data_dir)[0], settings.data_dir)
    if city.tariff is None:
        msg = f"city {city.name!r} has no [pricing] in its profile"
        raise SettingsError(msg)
    engine = engine or make_engine(settings.database_url)
    clock = clock or settings.clock()
    ids = ids or RandomIds()
    catalog = dict(catalog or DEFAULT_CATALOG)
    routers = city_routers(city, settings, engine)
    couriers = CourierService(
        engine, routers, clock, ids, catalog, limits or solver_limits(settings), NoReplans()
    )
    redis = (
        connect(settings.redis_url, timeout_s=REDIS_TIMEOUT_S)
        if settings.redis_url is not None
        else None
    )
    requester: ReplanRequester = NoReplans()
    if replans == "inline":
        requester = InlineReplans(
            lambda operator_id: reoptimise(couriers, operator_id), settings.reoptimise_after_jobs
        )
    elif replans == "queue" and redis is not None:
        requester = QueueReplans(redis, settings.reoptimise_after_jobs, settings.reoptimise_every_s)
    # Sign-in failures counted where every web worker sees them: in Redis when there is one.
    attempts: Attempts = RedisAttempts(redis) if redis is not None else MemoryAttempts()
    rules = RiderRules(settings.walk_limit_s, settings.reserve_pct, settings.min_range_m)
    demand = DemandService(
        engine, clock, city.zone, prior_points(city.demand, routers), ids, city.demand.resolution
    )
    times, limit_s = ServiceTimes(**city.crew_service_s), float(settings.crew_plan_time_limit_s)
    crews = CrewService(engine, clock, catalog, routers, demand, times, ids, limit_s)
    hold_s = settings.booking_hold_s
    riders = RiderService(engine, routers, clock, ids, catalog, rules, hold_s, city.tariff)
    return Platform(
        engine=engine,
        clock=clock,
        ids=ids,
        city=city,
        catalog=catalog,
        routers=routers,
        paging=Paging(settings.page_size_default, settings.page_size_max),
        accounts=AccountService(
            engine, clock, ids, settings.token_ttl_s, attempts, sign_in_limits(settings)
        ),
        riders=replace(riders, carbon=city.carbon),
        couriers=CourierService(
            engine, routers, clock, ids, catalog, couriers.limits, requester, city.zone, city.carbon
        ),
        workev=EvService(engine, clock, ids, catalog, settings.reserve_pct, city.zone),
        fleet=FleetService(engine, clock, ids, catalog),
        demand=demand,
        crews=replace(crews, queue=plan_queue(settings, redis)),
        closures=ClosureService(engine, clock, ids, requester, city.zone),
        probes={
            "database": lambda: database_health(engine),
            **queue_probes(redis),
            **process_probe(settings.process_state),
        },
        surface_queue=QueueSurface(redis) if redis is not None else None,
    )


def warm_up(platform: Platform) -> list[Mode]:
    """Load the city's road networks of every mode and compile the routing kernels, so that a
    process is fast from its first request (a web worker calls it before it serves); the modes
    warmed."""
    return warm_routing(platform.routers)
