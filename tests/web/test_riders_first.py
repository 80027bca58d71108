"""What riders hit first (issue 11): vehicles near me that they can book, couriers' mopeds kept
for couriers, their own bookings listed, and rides too fast to be true credited nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from fleet.db.tables import courier_shifts, vehicles
from tests.web.test_bookings import available, login
from tests.web.test_delivery import courier_headers, job


def shift_mopeds(engine) -> set[str]:
    with engine.connect() as conn:
        return {r.vehicle_id for r in conn.execute(select(courier_shifts.c.vehicle_id))}


@pytest.fixture
def client(demo):
    return demo[0].test_client()


def test_riders_get_the_vehicles_they_can_book_nearest_first(client, demo):
    engine = demo[0].extensions["fleetops"].engine
    kick = available(client, "e_kickboard")[0]
    near = client.get(f"/api/v1/vehicles?lat={kick['lat']}&lon={kick['lon']}&radius_m=800")
    assert near.status_code == 200, near.get_json()
    found = near.get_json()["data"]
    assert found and found[0]["id"] == kick["id"] and found[0]["walk_s"] == 0
    assert [v["walk_s"] for v in found] == sorted(v["walk_s"] for v in found)
    assert all(v["distance_m"] <= 800 and v["range_m"] > 0 and "soc_pct" in v for v in found)
    everything = client.get("/api/v1/vehicles?per_page=500").get_json()["data"]
    for listed in (found, everything):
        assert "work_ev" not in {v["vehicle_class"] for v in listed}
        assert not {v["id"] for v in listed} & shift_mopeds(engine)
    manager = login(client, "manager")
    fleet = client.get("/api/v1/fleet/vehicles?per_page=500", headers=manager).get_json()["data"]
    assert {"work_ev", "e_moped"} <= {v["vehicle_class"] for v in fleet}  # managers see all
    bad = client.get(f"/api/v1/vehicles?lat={kick['lat']}&radius_m=800")
    assert bad.status_code == 422 and "lon" in bad.get_json()["error"]["message"]


def test_a_couriers_moped_is_not_for_riders_and_a_courier_without_one_gets_no_jobs(
    client, demo, clock
):
    engine = demo[0].extensions["fleetops"].engine
    theirs = shift_mopeds(engine)
    with engine.begin() as conn:  # the only mopeds left standing are the couriers'
        conn.execute(
            update(vehicles)
            .where(vehicles.c.vehicle_class == "e_moped", vehicles.c.id.notin_(theirs))
            .values(status="maintenance")
        )
        spot = conn.execute(
            select(vehicles.c.lat, vehicles.c.lon).where(vehicles.c.id.in_(theirs))
        ).first()
    rider = login(client, "rider1")
    asked = client.post(
        "/api/v1/bookings",
        headers=rider,
        json={"lat": spot.lat, "lon": spot.lon, "vehicle_classes": ["e_moped"]},
    )
    assert asked.status_code == 409, asked.get_json()
    assert asked.get_json()["error"]["code"] == "no_vehicle_available"

    # a courier whose moped is in the workshop gets no job
    merchant = login(client, "merchant1")
    first = client.post("/api/v1/delivery-jobs", headers=merchant, json=job(client, clock))
    courier_id = first.get_json()["courier_id"]
    with engine.begin() as conn:
        moped = conn.execute(
            select(courier_shifts.c.vehicle_id).where(courier_shifts.c.courier_id == courier_id)
        ).scalar_one()
        conn.execute(update(vehicles).where(vehicles.c.id != moped).values(soc_pct=0))
        conn.execute(update(vehicles).where(vehicles.c.id == moped).values(status="maintenance"))
    second = client.post("/api/v1/delivery-jobs", headers=merchant, json=job(client, clock))
    assert second.get_json()["status"] == "unassigned", second.get_json()
    assert courier_headers(client, courier_id)  # the courier still signs in


def test_riders_list_their_bookings_and_the_conflict_names_the_open_one(client):
    rider = login(client, "rider1")
    kick = available(client, "e_kickboard")[0]
    ask = {"lat": kick["lat"], "lon": kick["lon"], "vehicle_classes": ["e_kickboard"]}
    first = client.post("/api/v1/bookings", headers=rider, json=ask).get_json()
    again = client.post("/api/v1/bookings", headers=rider, json=ask)
    assert again.status_code == 409
    assert again.get_json()["error"]["detail"]["open_booking_id"] == first["id"]
    mine = client.get("/api/v1/bookings", headers=rider)
    assert mine.status_code == 200, mine.get_json()
    assert [b["id"] for b in mine.get_json()["data"]] == [first["id"]]
    assert mine.get_json()["pagination"]["total"] == 1
    held = client.get("/api/v1/bookings?status=held", headers=rider).get_json()["data"]
    done = client.get("/api/v1/bookings?status=completed", headers=rider).get_json()["data"]
    assert [b["id"] for b in held] == [first["id"]] and done == []
    other = client.get("/api/v1/bookings", headers=login(client, "rider2")).get_json()["data"]
    assert other == []  # another rider's bookings are not listed
    bad = client.get("/api/v1/bookings?status=flying", headers=rider)
    assert bad.status_code == 422 and "flying" in bad.get_json()["error"]["message"]


def test_a_ride_faster_than_the_class_can_go_is_flagged_and_credited_nothing(client, clock):
    rider = login(client, "rider1")
    kick = available(client, "e_kickboard")[0]
    far = available(client, "e_bike")[-1]
    ask = {"lat": kick["lat"], "lon": kick["lon"], "vehicle_classes": ["e_kickboard"]}
    booking = client.post("/api/v1/bookings", headers=rider, json=ask).get_json()
    client.post(f"/api/v1/bookings/{booking['id']}/unlock", headers=rider)
    clock.advance(2)
    ended = client.post(
        f"/api/v1/bookings/{booking['id']}/end",
        headers=rider,
        json={"lat": far["lat"], "lon": far["lon"]},
    ).get_json()
    receipt = ended["receipt"]
    assert receipt["implausible"] is True and receipt["co2_avoided_g"] == 0
    assert receipt["distance_m"] <= 25 / 3.6 * 2 + 1  # no more than 25 km/h allows in 2 s
    assert "flag" in receipt and "25 km/h" in receipt["flag"]


def test_riders_see_the_rule_zones_and_the_demo_has_no_parking_zones_to_try(client, clock):
    from shapely.geometry import shape

    answer = client.get("/api/v1/zones")
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["type"] == "FeatureCollection"
    kinds = [f["properties"]["kind"] for f in body["features"]]
    assert "service_area" in kinds and kinds.count("no_parking") >= 3
    no_parking = next(f for f in body["features"] if f["properties"]["kind"] == "no_parking")
    assert no_parking["geometry"]["type"] == "Polygon" and no_parking["properties"]["name"]
    only = client.get("/api/v1/zones?kind=no_parking").get_json()["features"]
    assert {f["properties"]["kind"] for f in only} == {"no_parking"}
    assert client.get("/api/v1/zones?kind=volcano").status_code == 422

    # the parking rule can be tried: a ride ended inside one is refused
    inside = shape(no_parking["geometry"]).centroid
    rider = login(client, "rider1")
    kick = available(client, "e_kickboard")[0]
    ask = {"lat": kick["lat"], "lon": kick["lon"], "vehicle_classes": ["e_kickboard"]}
    booking = client.post("/api/v1/bookings", headers=rider, json=ask).get_json()
    client.post(f"/api/v1/bookings/{booking['id']}/unlock", headers=rider)
    clock.advance(15 * 60)
    refused = client.post(
        f"/api/v1/bookings/{booking['id']}/end",
        headers=rider,
        json={"lat": inside.y, "lon": inside.x},
    )
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "parking_refused"
