"""A battery swap moves only packs of the courier's own operator (issue 12), on SQLite and
PostgreSQL.

A manager registers a moped with any ``battery_serial``; a swap puts the moped's pack, found by
that serial, into the station's slot. With another operator's serial (the demo's are
``PK-00001``…, a real fleet's are printed on the packs) the swap moved the other operator's pack
into this operator's station.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from fleet.db.tables import battery_packs
from tests.web.tenants import Tenant, two_tenants
from tests.web.test_delivery import job


def pack_row(engine, serial: str) -> tuple:
    with engine.connect() as conn:
        return tuple(
            conn.execute(sa.select(battery_packs).where(battery_packs.c.serial == serial)).one()
        )


def only_shift_on(a: Tenant, clock, courier: str, moped: dict) -> None:
    """Cancel every shift of A's demo, then give ``courier`` a shift from now on ``moped``."""
    for shift in a.get("manager", "/api/v1/courier-shifts")["data"]:
        a.client.patch(
            f"/api/v1/courier-shifts/{shift['id']}",
            headers=a.as_("manager"),
            json={"status": "cancelled"},
        )
    start = clock.now()
    a.post(
        "manager",
        "/api/v1/courier-shifts",
        {
            "courier_id": a.get(courier, "/api/v1/me")["id"],
            "vehicle_id": moped["id"],
            "start": start.isoformat(),
            "end": (start + timedelta(hours=8)).isoformat(),
        },
    )


def test_a_moped_with_another_operators_pack_serial_never_moves_that_pack(engine, settings, clock):
    a, b = two_tenants(engine, settings, clock)
    b_moped = b.get("manager", f"/api/v1/fleet/vehicles/{b.ids['moped_id']}")
    theirs = b_moped["battery_serial"]
    assert theirs and theirs.startswith("b-PK-")
    a_moped = a.get("manager", f"/api/v1/fleet/vehicles/{a.ids['moped_id']}")
    low = a.post(
        "manager",
        "/api/v1/fleet/vehicles",
        {
            "code": "M-9001",
            "vehicle_class": "e_moped",
            "lat": a_moped["lat"],
            "lon": a_moped["lon"],
            "soc_pct": 21,
            "battery_serial": theirs,
        },
    )
    only_shift_on(a, clock, "courier1", low)
    before = pack_row(engine, theirs)
    posted = a.post("merchant1", "/api/v1/delivery-jobs", job(a.client, clock))
    assert posted["status"] == "assigned", posted
    stops = a.get("courier1", "/api/v1/couriers/me/route")["stops"]
    assert stops[0]["kind"] == "swap", stops
    done = a.post("courier1", f"/api/v1/couriers/me/swaps/{stops[0]['id']}", {})
    assert done["pack_serial"] != theirs
    assert pack_row(engine, theirs) == before
