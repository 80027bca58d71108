"""What the web app runs on, built once by ``create_app`` and read by the views."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

import redis
from flask import current_app
from sqlalchemy import Engine

from config.settings import Settings
from dispatch.bookings import RiderService
from dispatch.couriers import CourierService
from fleet.city import CityProfile
from fleet.clock import Clock

EXTENSION = "fleetops"


@dataclass(frozen=True, slots=True)
class AppContext:
    """Settings, the database engine, the Redis client, the clock and the city."""

    settings: Settings
    engine: Engine
    redis: redis.Redis | None
    clock: Clock
    city: CityProfile
    riders: RiderService
    couriers: CourierService

    @property
    def zone(self) -> ZoneInfo:
        """The city's time zone: every time the API returns is shown in it."""
        return self.city.zone


def ctx() -> AppContext:
    """The running app's context."""
    context: AppContext = current_app.extensions[EXTENSION]
    return context
