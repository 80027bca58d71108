"""A rider on a phone finds the vehicles near them, books one, unlocks it, rides and ends the
ride, and reads the receipt; in Korean and in English."""

from __future__ import annotations

import pytest

from tests.web.browser.conftest import ON_SQLITE, shoot, sign_in
from tests.web.test_bookings import available, login

pytestmark = ON_SQLITE
#: The first map of a run builds the streets' layer from the road graph: on a busy machine that
#: takes a while, and a test never fails on wall time.
SLOW_MS = 120_000

TITLES = {"ko": "영수증", "en": "Receipt"}


def _near(client, lat, lon):
    q = f"/api/v1/vehicles?lat={lat:.6f}&lon={lon:.6f}&radius_m=800&per_page=100"
    return client.get(q).get_json()["data"]


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_rider_books_rides_and_ends_a_ride(open_page, live, clock, lang):
    base, app, _summary, _prepared = live
    client = app.test_client()
    bikes = available(client, "e_bike")
    start, park = bikes[0], bikes[-1]
    page = open_page(phone=True, lang=lang)
    page.set_default_timeout(SLOW_MS)
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

    page.click(f"[data-vehicle='{start['id']}']")
    assert page.get_attribute("#panel", "data-state") == "chosen"
    assert page.inner_text("[data-fact=code]") == start["code"]
    page.click("[data-action=book]")
    page.wait_for_selector("#panel[data-state=held]")
    rider = login(client, "rider1")
    held = client.get("/api/v1/bookings?status=held", headers=rider).get_json()["data"]
    assert [b["vehicle"]["id"] for b in held] == [start["id"]]

    page.click("[data-action=unlock]")
    page.wait_for_selector("#panel[data-state=active]")
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
    parked = ended["vehicle"]  # left where the rider's phone was at the end
    assert (round(parked["lat"], 5), round(parked["lon"], 5)) == (
        round(park["lat"], 5),
        round(park["lon"], 5),
    ), (start, park, parked)
    shoot(page, f"rider-receipt-{lang}")
    page.click("[data-action=done]")
    page.wait_for_selector("#panel[data-state=browse]")
    page.wait_for_selector("#map .leaflet-marker-icon.vehicle")
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
