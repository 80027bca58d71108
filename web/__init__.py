"""The Flask app: ``create_app(settings)`` builds it with the API and the pages."""

from __future__ import annotations

from apiflask import APIFlask

from bootstrap import build_platform
from config.settings import Settings
from dispatch.platform import Platform
from fleet.clock import Clock
from fleet.db.engine import Engine
from web import docs, errors, headers, i18n, openapi, ui, vendor
from web.api import api, register_views
from web.context import EXTENSION
from web.log_masks import TrackingCodeFilter
from web.opendata import gbfs, mds, ngsi
from web.ui import tracking

API_VERSION = "1.0.0"


def create_app(
    settings: Settings,
    *,
    engine: Engine | None = None,
    clock: Clock | None = None,
    platform: Platform | None = None,
) -> APIFlask:
    """Build the web app.

    Parameters
    ----------
    settings
        The platform's settings (see ``config.load_settings``).
    engine, clock
        Ready-made parts, for tests; by default built from ``settings``.
    platform
        A platform built already (``bootstrap.build_platform``); by default built here.
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
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        MAX_CONTENT_LENGTH=1 << 20,
        JSON_SORT_KEYS=False,
        INFO={
            "description": "Operations platform for shared electric fleets. Errors share one "
            'shape: {"error": {status, code, message, detail}}. Creating POSTs honour '
            "the Idempotency-Key header."
        },
        SECURITY_SCHEMES={
            "BearerAuth": {"type": "http", "scheme": "bearer"},
            "SessionCookie": {
                "type": "apiKey",
                "in": "cookie",
                "name": app.config["SESSION_COOKIE_NAME"],
                "description": "The session of a browser signed in at /login. POST, PUT, "
                "PATCH and DELETE also need the session's CSRF token in the X-CSRF-Token "
                "header (GET /api/v1/auth/csrf), else 403 csrf_failed.",
            },
        },
        FLEETOPS_PUBLIC_URL=settings.public_url,
        FLEETOPS_FEED_CONTACT_EMAIL=settings.open_data.contact_email,
        HTTP_ERROR_SCHEMA=openapi.ERROR_SCHEMA,
        VALIDATION_ERROR_SCHEMA=openapi.ERROR_SCHEMA,
    )
    app.extensions[EXTENSION] = platform or build_platform(settings, engine=engine, clock=clock)
    app.spec_processor(openapi.processor(app.extensions[EXTENSION]))
    errors.install(app)
    headers.install(app)
    app.logger.addFilter(TrackingCodeFilter())
    i18n.install(app)
    register_views()
    ui.register_pages()
    app.register_blueprint(api)
    app.register_blueprint(docs.bp)
    app.register_blueprint(ui.bp)
    app.register_blueprint(tracking.bp)
    app.register_blueprint(vendor.bp)
    app.register_blueprint(gbfs.bp)
    app.register_blueprint(mds.bp)
    ngsi.install(app, settings.open_data.ngsi_core_context)
    return app
