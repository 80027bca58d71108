"""What runs without anyone asking: the periodic jobs the scheduler process (``fleetops
scheduler``, part of ``fleetops run``) puts on the queue with RQ's cron scheduler: hold expiry,
late EV returns, a re-plan of every operator's couriers, demand forecasts, crews' plans and the
road-surface index. Between those, posting jobs requests re-plans (``dispatch.queue.replans``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dispatch.queue import crew_jobs, jobs, replans, surface_jobs


@dataclass(frozen=True, slots=True)
class ScheduleRules:
    """How often what runs (from the ``[schedule]`` settings)."""

    reoptimise_every_s: int
    reoptimise_after_jobs: int
    expire_holds_every_s: int
    late_returns_every_s: int
    forecast_every_s: int = 3600
    crew_plans_every_s: int = 1800
    road_surface_every_s: int = 3600


@dataclass(frozen=True, slots=True)
class Periodic:
    """A job the scheduler enqueues every ``every_s`` seconds, with ``args``."""

    name: str
    func: Callable[..., Any]
    queue_name: str
    every_s: int
    args: tuple[Any, ...] = ()


def periodic_jobs(rules: ScheduleRules) -> list[Periodic]:
    """The platform's periodic jobs."""
    return [
        Periodic("expire-holds", jobs.expire_holds, "dispatch", rules.expire_holds_every_s),
        Periodic("late-returns", jobs.handle_late_returns, "dispatch", rules.late_returns_every_s),
        Periodic("replan-couriers", replans.replan_all, "dispatch", rules.reoptimise_every_s),
        Periodic("forecast-refresh", jobs.forecast_refresh, "dispatch", rules.forecast_every_s),
        Periodic(
            "battery-swap-plans",
            crew_jobs.scheduled_swap_plans,
            "operations",
            rules.crew_plans_every_s,
        ),
        Periodic(
            "rebalancing-plans",
            crew_jobs.scheduled_rebalancing_plans,
            "operations",
            rules.crew_plans_every_s,
        ),
        Periodic(
            "road-surface",
            surface_jobs.scheduled_refresh,
            surface_jobs.QUEUE,
            rules.road_surface_every_s,
        ),
    ]
