"""Web fixtures in the flaskr style: ``app`` and ``client`` over the ``world`` database."""

from __future__ import annotations

import pytest
import redis

from cli.demo import seed_demo
from cli.main import prepare_city
from fleet.catalog import DEFAULT_CATALOG
from fleet.db.engine import writing
from fleet.ids import RandomIds
from web import create_app


@pytest.fixture
def app(settings, world, redis_url):
    """The app on the world's database (SQLite, then PostgreSQL), the test Redis and clock.

    Sign-in failures counted by earlier tests (the Redis database lives for the whole run) are
    forgotten first, so no test is refused for another's wrong passwords."""
    connection = redis.Redis.from_url(redis_url)
    for key in connection.scan_iter(match="fleetops:sign-in:*"):
        connection.delete(key)
    connection.close()
    return create_app(
        settings.with_overrides(redis_url=redis_url), engine=world.engine, clock=world.clock
    )


@pytest.fixture
def client(app):
    """A test client of ``app``."""
    return app.test_client()


@pytest.fixture
def auth(world):
    """``auth(role_or_user)`` → headers with a fresh bearer token of that user."""

    def headers(who) -> dict[str, str]:
        user = world.users[who] if not hasattr(who, "id") else who
        return {"Authorization": f"Bearer {world.token(user.id)}"}

    return headers


@pytest.fixture
def demo(engine, settings, clock):
    """The demo operator seeded on the synthetic city (60 vehicles), and its app."""
    prepared = prepare_city(settings, "synthetic")
    with writing(engine) as conn:
        summary = seed_demo(
            conn,
            profile=prepared.profile,
            layout=prepared.layout,
            graphs=prepared.graphs,
            n_vehicles=60,
            clock=clock,
            ids=RandomIds(),
            catalog=DEFAULT_CATALOG,
            seed=3,
        )
    app = create_app(settings, engine=engine, clock=clock)
    return app, summary, prepared
