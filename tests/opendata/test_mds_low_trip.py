"""A ride that leaves its vehicle low on battery: the MDS events say trip_end (the vehicle
available, as the micromobility mode has a trip end) and then battery_low (non_operational), and
the vehicle's status agrees; a ride that does not drain it says trip_end alone."""

from __future__ import annotations

from datetime import UTC, timedelta

from dispatch.opendata.mds_items import percent
from fleet.catalog import DEFAULT_CATALOG, VehicleClass
from tests.opendata import mds_schemas
from tests.opendata import test_mds_access as access
from tests.web.test_bookings import available, login

#: The seeded demo, its client, the city's token and the MDS schemas' folder (fixtures).
demo, client, city, mds_root = access.demo, access.client, access.city, access.mds_root
MEDIA = access.MEDIA


def _ride(client, clock, soc_pct: float):
    """rider1 rides a kickboard that had ``soc_pct`` about 2 km away over ten minutes."""
    manager, rider = login(client, "manager"), login(client, "rider1")
    kicks = available(client, "e_kickboard")
    kick, far = kicks[0], max(kicks, key=lambda k: abs(k["lat"] - kicks[0]["lat"]))
    set_soc = client.patch(
        f"/api/v1/fleet/vehicles/{kick['id']}", headers=manager, json={"soc_pct": soc_pct}
    )
    assert set_soc.status_code == 200, set_soc.get_json()
    ask = {"lat": kick["lat"], "lon": kick["lon"], "vehicle_classes": ["e_kickboard"]}
    held = client.post("/api/v1/bookings", headers=rider, json=ask).get_json()
    assert held["vehicle"]["id"] == kick["id"], held
    assert client.post(f"/api/v1/bookings/{held['id']}/unlock", headers=rider).status_code == 200
    clock.advance(600)
    end = {"lat": far["lat"], "lon": far["lon"]}
    done = client.post(f"/api/v1/bookings/{held['id']}/end", headers=rider, json=end)
    assert done.status_code == 200, done.get_json()
    return kick["id"], done.get_json()


def _events(client, city, clock, device_id):
    clock.advance(3600)  # the hour is over
    hour = (clock.now() - timedelta(hours=1)).astimezone(UTC)
    r = client.get(
        f"/mds/events/historical?event_time={hour:%Y-%m-%dT%H}",
        headers={**city, "Accept": MEDIA},
    )
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    return r.get_json(), [e for e in r.get_json()["events"] if e["device_id"] == device_id]


def test_a_ride_that_drains_the_battery_ends_then_runs_low(client, city, clock, mds_root):
    low = DEFAULT_CATALOG[VehicleClass.E_KICKBOARD].low_battery_pct
    device, ended = _ride(client, clock, low + 0.5)
    manager = login(client, "manager")
    seen = client.get(f"/api/v1/fleet/vehicles/{device}", headers=manager).get_json()
    assert seen["status"] == "low_battery", (ended, seen)
    _body, mine = _events(client, city, clock, device)
    kinds = [(e["vehicle_state"], e["event_types"]) for e in mine]
    assert kinds[-2:] == [("available", ["trip_end"]), ("non_operational", ["battery_low"])]
    assert mine[-1]["battery_percent"] == percent(seen["soc_pct"])
    checker = mds_schemas.model(mds_root, "event")
    for event in mine:
        assert mds_schemas.problems(checker, event) == [], event


def test_a_ride_that_leaves_charge_ends_available(client, city, clock):
    device, _ended = _ride(client, clock, 90)
    _body, mine = _events(client, city, clock, device)
    assert [(e["vehicle_state"], e["event_types"]) for e in mine][-1] == (
        "available",
        ["trip_end"],
    )
