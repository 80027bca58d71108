"""Two operators on one platform: a city user reads only its own operator's MDS items and
NGSI-LD entities; another operator's device id is unknown to it, and its cursor or ids give
nothing of the other's."""

from __future__ import annotations

import sqlalchemy as sa

from fleet.db.tables import audit_log, vehicles
from tests.web.tenants import two_tenants


def test_mds_and_ngsi_are_each_operators_own(engine, settings, clock):
    a, b = two_tenants(engine, settings, clock)
    with engine.connect() as conn:
        mine = {
            t.operator_id: set(
                conn.execute(
                    sa.select(vehicles.c.id).where(vehicles.c.operator_id == t.operator_id)
                ).scalars()
            )
            for t in (a, b)
        }
        first_b_entry = conn.execute(
            sa.select(sa.func.min(audit_log.c.id)).where(audit_log.c.operator_id == b.operator_id)
        ).scalar()
    clock.advance(60)  # the changes above have settled (dispatch.opendata.mds_time.SETTLE)
    now_ms = int(clock.now().timestamp() * 1000)
    for me, other in ((a, b), (b, a)):
        city = me.as_("city")
        listed = me.client.get("/mds/vehicles?limit=1000", headers=city).get_json(force=True)
        ids = {v["device_id"] for v in listed["vehicles"]}
        assert ids and ids <= mine[me.operator_id]
        assert {v["provider_id"] for v in listed["vehicles"]} == {me.operator_id}
        for path in ("/mds/vehicles/", "/mds/vehicles/status/"):
            theirs = sorted(mine[other.operator_id])[0]
            r = me.client.get(path + theirs, headers=city)
            assert r.status_code == 404, r.get_data(as_text=True)
        window = f"start_time={now_ms - 86_400_000}&end_time={now_ms - 30_000}"
        for after in (0, first_b_entry - 1):
            r = me.client.get(f"/mds/events/recent?{window}&after={after}", headers=city)
            assert r.status_code == 200, r.get_data(as_text=True)
            devices = {e["device_id"] for e in r.get_json(force=True)["events"]}
            assert devices <= mine[me.operator_id]
        status = me.client.get("/mds/vehicles/status?limit=1000", headers=city).get_json(force=True)
        assert {v["device_id"] for v in status["vehicles_status"]} <= mine[me.operator_id]
        for who in ("city", "manager"):
            r = me.client.get("/ngsi-ld/v1/entities", headers=me.as_(who))
            assert r.status_code == 200
            text = r.get_data(as_text=True)
            assert other.operator_id not in text
            assert not any(v in text for v in mine[other.operator_id])
