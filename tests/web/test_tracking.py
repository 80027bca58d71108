"""Customers follow their parcel on a small page at the tracking link (issue 11): status, ETA in
the city's time, the courier's first name only and the merchant's name; API answers carry
absolute links."""

from __future__ import annotations

import pytest

from tests.web.test_bookings import login
from tests.web.test_delivery import courier_headers, job
from web import create_app


@pytest.fixture
def client(demo):
    return demo[0].test_client()


def test_customers_get_a_tracking_page_at_an_absolute_link(client, clock):
    merchant = login(client, "merchant1")
    posted = client.post("/api/v1/delivery-jobs", headers=merchant, json=job(client, clock))
    assert posted.status_code == 201, posted.get_json()
    answer = posted.get_json()
    assert answer["tracking_url"].startswith("http://localhost/track/")
    assert answer["tracking_api_url"].startswith("http://localhost/api/v1/track/")
    page = client.get(answer["tracking_url"])
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    courier = client.get("/api/v1/me", headers=courier_headers(client, answer["courier_id"]))
    full_name = courier.get_json()["display_name"]
    first_name = full_name.split()[0]
    assert "Gongdeok Bakery" in html and first_name in html and full_name not in html
    assert "Asia/Seoul" in html and "A courier is on the way" in html
    as_json = client.get(answer["tracking_api_url"])
    assert as_json.status_code == 200 and as_json.get_json()["status"] == "assigned"
    listed = client.get("/api/v1/delivery-jobs", headers=merchant).get_json()["data"]
    assert all(j["tracking_url"].startswith("http://localhost/track/") for j in listed)
    missing = client.get("/track/no-such-code")
    assert missing.status_code == 404 and "No delivery" in missing.get_data(as_text=True)


def test_links_use_the_configured_public_url(demo, settings, clock):
    app = create_app(
        settings.with_overrides(public_url="https://fleet.example.kr"),
        engine=demo[0].extensions["fleetops"].engine,
        clock=clock,
    )
    client = app.test_client()
    merchant = login(client, "merchant1")
    posted = client.post("/api/v1/delivery-jobs", headers=merchant, json=job(client, clock))
    assert posted.get_json()["tracking_url"].startswith("https://fleet.example.kr/track/")
