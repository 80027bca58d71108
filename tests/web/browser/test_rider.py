"""A rider on a phone finds the vehicles near them, books one, unlocks it, rides and ends the
ride, and reads the receipt; in Korean and in English."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from fleet.db.engine import writing
from fleet.db.identity import create_operator
from fleet.db.sites import insert_zone
from fleet.geo import Area, haversine_m
from fleet.zones import Zone, ZoneKind
from tests.web.browser.conftest import ON_SQLITE, PHONE, shoot, sign_in
from tests.web.test_bookings import available, login
from web.i18n import messages

pytestmark = ON_SQLITE
#: The first map of a run builds the streets' layer from the road graph: on a busy machine that
#: takes a while, and a test never fails on wall time.
SLOW_MS = 120_000

TITLES = {"ko": "영수증", "en": "Receipt"}
#: What the receipt says of a distance measured by road from start to end, in each language.
MEASURED_ROAD = {lang: messages(lang)["rider.measured_road"] for lang in TITLES}


def _near(client, lat, lon):
    q = f"/api/v1/vehicles?lat={lat:.6f}&lon={lon:.6f}&radius_m=800&per_page=100"
    return client.get(q).get_json()["data"]


def _square(lat: float, lon: float, d: float = 0.0003) -> dict:
    ring = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d]]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def _close_near(client, clock, start, clear_of) -> dict:
    """A manager's closure in force for two hours, 150 m south of ``start`` (in the rider's
    view, out of the way of the ride) and clear of ``clear_of`` (where the ride ends)."""
    lat = start["lat"] - 150 / 111_320
    assert haversine_m(lat, start["lon"], clear_of["lat"], clear_of["lon"]) > 100
    made = client.post(
        "/api/v1/ops/closures",
        headers=login(client, "manager"),
        json={
            "name": "Gas leak",
            "geometry": _square(lat, start["lon"]),
            "active_until": (clock.now() + timedelta(hours=2)).isoformat(),
        },
    )
    assert made.status_code == 201, made.get_json()
    return made.get_json()


def _rules_drawn(page, client, rider) -> list[dict]:
    """The rider's operator's zones as the API gives them, checked one shape each on the map
    (rule zones and closures counted apart) and in the legend in the page's language."""
    page.wait_for_selector("#map[data-closures]")
    mine = client.get("/api/v1/me", headers=rider).get_json()["operator_id"]
    assert page.get_attribute("body", "data-operator") == mine
    features = client.get(f"/api/v1/zones?operator_id={mine}").get_json()["features"]
    closures = [f for f in features if f["properties"]["kind"] == "hazard_closure"]
    zones = [f for f in features if f["properties"]["kind"] != "hazard_closure"]
    assert page.locator("#map path.zone").count() == len(zones) > 0
    assert page.locator("#map path.closure").count() == len(closures)
    assert page.get_attribute("#map", "data-zones") == str(len(zones))
    assert page.get_attribute("#map", "data-closures") == str(len(closures))
    assert page.locator("#map path.zone-service_area").count() == 1
    # the streets each closure closes, as GET /map/closed-roads has them: one path a closure
    page.wait_for_selector("#map[data-closed-streets]")
    closed = client.get(f"/api/v1/map/closed-roads?operator_id={mine}").get_json()["features"]
    assert {f["id"] for f in closed} == {f["id"] for f in closures}
    crossing = [f for f in closed if f["properties"]["streets"] > 0]
    assert page.locator("#map path.closed-road").count() == len(crossing)
    streets = sum(f["properties"]["streets"] for f in closed)
    assert page.get_attribute("#map", "data-closed-streets") == str(streets)
    table = messages(page.get_attribute("html", "lang"))
    kinds = {f["properties"]["kind"] for f in features}
    legend = page.locator("#map-legend li")
    assert sorted(legend.evaluate_all("els => els.map(e => e.dataset.kind)")) == sorted(kinds)
    for kind in kinds:
        text = page.inner_text(f"#map-legend li[data-kind={kind}]")
        assert text.startswith(table[f"rider.zone.{kind}"]), (kind, text)
    box = page.locator("#map-legend").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]  # no sideways scroll
    return features


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_rider_books_rides_and_ends_a_ride(open_page, live, clock, lang):
    base, app, _summary, _prepared = live
    client = app.test_client()
    bikes = available(client, "e_bike")
    start, park = bikes[0], bikes[-1]
    closure = _close_near(client, clock, start, clear_of=park)
    page = open_page(phone=True, lang=lang)
    page.set_default_timeout(SLOW_MS)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/v1/zones" in r.url else None)
    page.context.grant_permissions(["geolocation"], origin=base)
    page.context.set_geolocation({"latitude": start["lat"], "longitude": start["lon"]})
    sign_in(page, "rider1")
    assert page.url.endswith("/ride")
    page.wait_for_selector("#map[data-vehicles]")
    # the map holds one marker per vehicle the API lists near the rider
    near = _near(client, start["lat"], start["lon"])
    markers = page.locator("#map .leaflet-marker-icon.vehicle")
    assert markers.count() == len(near) > 0
    assert page.get_attribute("#map", "data-vehicles") == str(len(near))
    assert page.locator("#map .leaflet-overlay-pane path, #map canvas").count() > 0  # streets
    # the service area's outline, the no-parking corners and the closure, as the API has them
    rider = login(client, "rider1")
    drawn = _rules_drawn(page, client, rider)
    assert closure["id"] in {f["id"] for f in drawn}
    assert int(page.get_attribute("#map", "data-closed-streets")) > 0  # it closes a street
    mine = page.get_attribute("body", "data-operator")
    assert asked and all(f"operator_id={mine}" in url for url in asked)  # its operator's only

    page.click(f"[data-vehicle='{start['id']}']")
    assert page.get_attribute("#panel", "data-state") == "chosen"
    assert page.inner_text("[data-fact=code]") == start["code"]
    page.click("[data-action=book]")
    page.wait_for_selector("#panel[data-state=held]")
    held = client.get("/api/v1/bookings?status=held", headers=rider).get_json()["data"]
    assert [b["vehicle"]["id"] for b in held] == [start["id"]]

    page.click("[data-action=unlock]")
    page.wait_for_selector("#panel[data-state=active]")
    # the status line follows: riding now, no longer "walk to the vehicle"
    assert page.inner_text("#say") == messages(lang)["rider.riding_say"]
    assert (
        client.get(f"/api/v1/bookings/{held[0]['id']}", headers=rider).get_json()["status"]
        == "active"
    )
    # "Route to…", then a tap on the map: the way there is drawn with its length and time
    page.click("[data-action=route]")
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.35)
    page.wait_for_selector("#map[data-route='1']")
    assert page.locator("#map path.ride-route").count() == 1
    assert "km" in page.inner_text("#route-facts [data-fact=distance]")
    shoot(page, f"rider-route-{lang}")
    clock.advance(12 * 60)  # a twelve-minute ride to where another bike is parked
    page.context.set_geolocation({"latitude": park["lat"], "longitude": park["lon"]})
    page.click("[data-action=end]")
    page.wait_for_selector("#panel[data-state=completed]")
    ended = client.get(f"/api/v1/bookings/{held[0]['id']}", headers=rider).get_json()
    assert ended["status"] == "completed"
    receipt = ended["receipt"]
    assert page.inner_text("#panel h2") == TITLES[lang]
    assert receipt["price"] in page.inner_text("[data-fact=price]")
    assert f"{receipt['distance_m'] / 1000:.1f}" in page.inner_text("[data-fact=distance]")
    assert str(receipt["co2_avoided_g"]) in page.inner_text("[data-fact=co2]")
    # no telemetry was posted: the distance is the road between the ends, and the page says so
    assert receipt["distance_method"] == "start_to_end"
    assert page.inner_text("[data-fact=distance-method]") == MEASURED_ROAD[lang]
    parked = ended["vehicle"]  # left where the rider's phone was at the end
    assert (round(parked["lat"], 5), round(parked["lon"], 5)) == (
        round(park["lat"], 5),
        round(park["lon"], 5),
    ), (start, park, parked)
    shoot(page, f"rider-receipt-{lang}")
    page.click("[data-action=done]")
    page.wait_for_selector("#panel[data-state=browse]")
    # the vehicles near the rider again, not the parked one the receipt showed
    page.wait_for_selector("#map .leaflet-marker-icon.vehicle:not(.parked)")
    shoot(page, f"rider-{lang}")


def test_a_refused_parking_spot_is_said_plainly_and_the_nearest_allowed_is_offered(
    open_page, live, clock
):
    base, app, _summary, _prepared = live
    client = app.test_client()
    start = available(client, "e_kickboard")[0]
    corner = client.get("/api/v1/zones?kind=no_parking").get_json()["features"][0]
    ring = corner["geometry"]["coordinates"][0]
    inside = {
        "latitude": sum(p[1] for p in ring) / len(ring),
        "longitude": sum(p[0] for p in ring) / len(ring),
    }
    page = open_page(phone=True, lang="en")
    page.set_default_timeout(SLOW_MS)
    page.context.grant_permissions(["geolocation"], origin=base)
    page.context.set_geolocation({"latitude": start["lat"], "longitude": start["lon"]})
    sign_in(page, "rider2")
    page.wait_for_selector(f"[data-vehicle='{start['id']}']")
    page.click(f"[data-vehicle='{start['id']}']")
    page.click("[data-action=book]")
    page.click("[data-action=unlock]")
    page.wait_for_selector("#panel[data-state=active]")
    clock.advance(6 * 60)
    page.context.set_geolocation(inside)  # the rider stops on a no-parking corner
    page.click("[data-action=end]")
    page.wait_for_selector("#say[role=alert]")
    assert "parking" in page.inner_text("#say").lower()
    assert page.get_attribute("#panel", "data-state") == "active"  # the ride goes on
    assert page.locator("#map .pin-park").count() == 1  # the nearest allowed spot, marked
    rider = login(client, "rider2")
    open_ = client.get("/api/v1/bookings?status=active", headers=rider).get_json()["data"]
    assert len(open_) == 1
    page.click("[data-action=end]")  # ends at the marked spot
    page.wait_for_selector("#panel[data-state=completed]")
    ended = client.get(f"/api/v1/bookings/{open_[0]['id']}", headers=rider).get_json()
    assert ended["status"] == "completed"


def test_slow_and_no_ride_zones_are_drawn_with_their_speed_and_no_other_operators(
    open_page, live, clock, engine
):
    """A slow zone shows its speed on the map and in the legend, a no-ride zone its colour;
    another operator's zones on the same streets (operators share a city) are not this rider's
    and are not drawn."""
    base, app, summary, _prepared = live
    client = app.test_client()
    spot = available(client, "e_kickboard")[0]
    lat, lon = spot["lat"] + 250 / 111_320, spot["lon"]
    window = {"active_from": clock.now(), "active_until": clock.now() + timedelta(hours=1)}
    with writing(engine) as conn:
        other = create_operator(conn, "Other Mobility", "synthetic", clock).id
        for operator_id, kind, east, extra in [
            (summary.operator_id, ZoneKind.SLOW, 0, {"speed_limit_kph": 10}),
            (summary.operator_id, ZoneKind.NO_RIDE, 0.002, {}),
            (other, ZoneKind.SLOW, 0, {"speed_limit_kph": 15}),
            (other, ZoneKind.HAZARD_CLOSURE, 0.002, window),
        ]:
            area = Area.from_ring(_square(lat, lon + east)["coordinates"][0])
            zone = Zone(str(uuid.uuid4()), operator_id, kind, f"{kind} zone", area, **extra)
            insert_zone(conn, zone, clock)
    page = open_page(phone=True, lang="ko")
    page.set_default_timeout(SLOW_MS)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.context.grant_permissions(["geolocation"], origin=base)
    page.context.set_geolocation({"latitude": spot["lat"], "longitude": spot["lon"]})
    sign_in(page, "rider1")
    drawn = _rules_drawn(page, client, login(client, "rider1"))
    kinds = sorted(
        f["properties"]["kind"] for f in drawn if f["properties"]["kind"] != "no_parking"
    )
    assert kinds == ["no_ride", "service_area", "slow"]  # nothing of the other operator's
    assert page.locator("#map path.zone-no_ride").count() == 1
    assert page.locator("#map path.closure").count() == 0
    assert [page.inner_text(".zone-speed")] == ["시속 10km"]
    assert page.inner_text("#map-legend li[data-kind=slow]") == "서행 구역 시속 10km"
    assert errors == []
