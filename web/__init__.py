"""The Flask app: ``create_app(settings)`` builds it with the API and the pages."""

from __future__ import annotations

import redis
from apiflask import APIFlask
from sqlalchemy import Engine

from config.cities import load_city, resolve_city_name
from config.exceptions import SettingsError
from config.settings import Settings
from dispatch.bookings import RiderService
from dispatch.couriers import CourierService
from dispatch.riders import RiderRules
from fleet.clock import Clock
from fleet.db.engine import make_engine
from routing.routers import CityRouters
from web import docs, errors, ui
from web.api import api, register_views
from web.context import EXTENSION, AppContext

API_VERSION = "1.0.0"


def create_app(
    settings: Settings,
    *,
    engine: Engine | None = None,
    clock: Clock | None = None,
    redis_client: redis.Redis | None = None,
) -> APIFlask:
    """Build the web app.

    Parameters
    ----------
    settings
        The platform's settings (see ``config.load_settings``).
    engine, clock, redis_client
        Ready-made parts, for tests; by default built from ``settings``.
    """
    app = APIFlask(
        __name__,
        title="fleetops API",
        version=API_VERSION,
        spec_path="/api/openapi.json",
        docs_path=None,
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=1 << 20,
        JSON_SORT_KEYS=False,
        INFO={
            "description": "Operations platform for shared electric fleets. Errors share one "
            'shape: {"error": {status, code, message, detail}}. Creating POSTs honour '
            "the Idempotency-Key header."
        },
        SECURITY_SCHEMES={"BearerAuth": {"type": "http", "scheme": "bearer"}},
    )
    city_name, _why = resolve_city_name(settings.city, settings.data_dir)
    if redis_client is None and settings.redis_url is not None:
        redis_client = redis.Redis.from_url(settings.redis_url)
    city = load_city(city_name, settings.data_dir)
    engine = engine or make_engine(settings.database_url)
    clock = clock or settings.clock()
    if city.tariff is None:
        msg = f"city {city.name!r} has no [pricing] in its profile"
        raise SettingsError(msg)
    routers = CityRouters(city.source, settings.cache_dir, settings.max_snap_distance_m)
    riders = RiderService(
        engine=engine,
        routers=routers,
        clock=clock,
        rules=RiderRules(settings.walk_limit_s, settings.reserve_pct, settings.min_range_m),
        hold_s=settings.booking_hold_s,
        tariff=city.tariff,
    )
    app.extensions[EXTENSION] = AppContext(
        settings=settings,
        engine=engine,
        redis=redis_client,
        clock=clock,
        city=city,
        riders=riders,
        couriers=CourierService(engine=engine, routers=routers, clock=clock),
    )
    errors.install(app)
    register_views()
    app.register_blueprint(api)
    app.register_blueprint(docs.bp)
    app.register_blueprint(ui.bp)
    return app
