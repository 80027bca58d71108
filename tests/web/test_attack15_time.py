"""Attack 15 on the KPIs' clock: the first seconds of the city's day, with the clock in UTC and
a ride under way since before midnight (SQLite and PostgreSQL). Utilisation divides by the
vehicle-hours of the day so far, a tiny number just after midnight and none at midnight."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from fleet.db.engine import writing
from fleet.db.tables import bookings
from tests.web.test_bookings import login
from tests.web.test_dashboard import RIDERS, _courier_held

#: 15:00 UTC on 2 March is midnight in Seoul, the start of 3 March there.
MIDNIGHT = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def test_utilisation_at_and_just_after_midnight_with_rides_across_it(demo, engine, clock):
    app, summary, _prepared = demo
    client = app.test_client()
    clock.at = MIDNIGHT
    manager = login(client, "manager")
    people = [
        client.get("/api/v1/me", headers=login(client, f"rider{i}")).get_json()["id"]
        for i in (1, 2, 3)
    ]  # one open booking a rider
    fleet = client.get("/api/v1/fleet/vehicles?per_page=500", headers=manager).get_json()["data"]
    held = _courier_held(client, manager, MIDNIGHT)
    riders = [v for v in fleet if v["vehicle_class"] in RIDERS and v["id"] not in held]
    started = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # 23:00 in Seoul, still riding
    with writing(engine) as conn:
        for rider, v in zip(people, riders, strict=False):  # under way since 23:00, no end yet
            conn.execute(
                sa.insert(bookings).values(
                    id=str(uuid.uuid4()), operator_id=summary.operator_id, rider_id=rider,
                    vehicle_id=v["id"], status="active", created_at=started, hold_until=started,
                    started_at=started, price_minor=0, currency="KRW",
                )
            )  # fmt: skip
    at_midnight = client.get("/api/v1/ops/kpis", headers=manager).get_json()
    assert at_midnight["day_start"] == "2026-03-03T00:00:00+09:00"
    assert at_midnight["utilisation"] == 0.0  # no vehicle-hours yet: nothing to divide by
    clock.at = MIDNIGHT.replace(second=1)
    just_after = client.get("/api/v1/ops/kpis", headers=manager).get_json()
    # one second of the day: three of the fleet's vehicle-seconds were rides
    # (SQLite's julianday() measures a second to about 1e-5 s: the sixth decimal may differ)
    assert just_after["utilisation"] == pytest.approx(3 / len(riders), rel=1e-4)
    assert 0.0 < just_after["utilisation"] <= 1.0
    assert just_after["co2_avoided_kg_today"] == 0.0  # no ride has ended today
