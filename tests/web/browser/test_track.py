"""A customer follows their parcel at the tracking link on a phone: the words in their
language, the drop-off point on a small map and, while the parcel is on its way, the courier's
last known place; after the delivery the courier leaves the map."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.web.browser.conftest import ON_SQLITE, shoot
from tests.web.browser.test_courier import post_job
from tests.web.browser.test_rider import SLOW_MS
from tests.web.test_bookings import login
from tests.web.test_delivery import courier_headers

pytestmark = ON_SQLITE

ON_ITS_WAY = {"ko": "고객님께 가는 중", "en": "On its way to you"}
DELIVERED = {"ko": "배송 완료", "en": "Delivered"}


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_customer_follows_the_parcel(open_page, live, clock, lang):
    client = live[1].test_client()
    posted = post_job(client, clock)
    courier = courier_headers(client, posted["courier_id"])
    base = f"/api/v1/couriers/me/jobs/{posted['id']}"
    assert client.post(f"{base}/picked-up", headers=courier).status_code == 200
    # the moped reports where it is: half way to the customer
    seen = client.get(posted["tracking_api_url"]).get_json()
    job = client.get(
        f"/api/v1/delivery-jobs/{posted['id']}", headers=login(client, "merchant1")
    ).get_json()
    middle = {k: (job["pickup"][k] + job["dropoff"][k]) / 2 for k in ("lat", "lon")}
    moved = client.patch(
        f"/api/v1/fleet/vehicles/{posted['vehicle']['id']}",
        headers=login(client, "manager"),
        json=middle,
    )
    assert moved.status_code == 200, moved.get_json()
    seen = client.get(posted["tracking_api_url"]).get_json()
    assert seen["courier"]["lat"] == pytest.approx(middle["lat"])

    page = open_page(phone=True, lang=lang)
    page.set_default_timeout(SLOW_MS)
    page.goto(urlsplit(posted["tracking_url"]).path)
    page.wait_for_selector("#map[data-courier=shown][data-dropoff=shown]")
    assert page.inner_text("[data-status]") == ON_ITS_WAY[lang]
    assert page.locator("#map .pin-courier").count() == 1
    assert page.locator("#map .pin-dropoff").count() == 1
    assert seen["dropoff_eta"][11:16] in page.inner_text("[data-fact=eta]")
    assert "OpenStreetMap" in page.inner_text(".leaflet-control-attribution")
    shoot(page, f"track-{lang}")

    clock.advance(20 * 60)
    code = {"proof_code": posted["proof_code"]}
    assert client.post(f"{base}/delivered", headers=courier, json=code).status_code == 200
    page.reload()
    page.wait_for_selector("#map[data-courier=none][data-dropoff=shown]")
    assert page.inner_text("[data-status]") == DELIVERED[lang]
    assert page.locator("#map .pin-courier").count() == 0
