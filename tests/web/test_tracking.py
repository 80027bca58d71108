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
    page = client.get(answer["tracking_url"] + "?lang=en")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    korean = client.get(answer["tracking_url"] + "?lang=ko").get_data(as_text=True)
    assert "배달원이 Gongdeok Bakery(으)로 가는 중" in korean  # the city's language first
    courier = client.get("/api/v1/me", headers=courier_headers(client, answer["courier_id"]))
    full_name = courier.get_json()["display_name"]
    first_name = full_name.split()[0]
    assert "Gongdeok Bakery" in html and first_name in html and full_name not in html
    assert "Asia/Seoul" in html and "A courier is on the way" in html
    as_json = client.get(answer["tracking_api_url"])
    assert as_json.status_code == 200 and as_json.get_json()["status"] == "assigned"
    listed = client.get("/api/v1/delivery-jobs", headers=merchant).get_json()["data"]
    assert all(j["tracking_url"].startswith("http://localhost/track/") for j in listed)
    missing = client.get("/track/no-such-code?lang=en")
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


def test_the_courier_shows_on_the_tracking_answer_only_while_the_parcel_is_on_its_way(
    client, clock
):
    """Privacy: the customer sees where the courier last was only between pick-up and
    delivery (their moped's last reported position), never before nor after."""
    merchant = login(client, "merchant1")
    body = job(client, clock)
    posted = client.post("/api/v1/delivery-jobs", headers=merchant, json=body).get_json()
    track = posted["tracking_api_url"]
    before = client.get(track).get_json()
    assert before["status"] == "assigned" and before["courier"] is None
    assert before["dropoff"] == body["dropoff"]
    courier = courier_headers(client, posted["courier_id"])
    base = f"/api/v1/couriers/me/jobs/{posted['id']}"
    assert client.post(f"{base}/picked-up", headers=courier).status_code == 200
    manager = login(client, "manager")
    moped = client.get(f"/api/v1/fleet/vehicles/{posted['vehicle']['id']}", headers=manager)
    on_the_way = client.get(track).get_json()
    assert on_the_way["status"] == "picked_up"
    assert on_the_way["courier"] == {
        "lat": moped.get_json()["lat"],
        "lon": moped.get_json()["lon"],
        "at": moped.get_json()["updated_at"],
    }
    clock.advance(20 * 60)
    code = {"proof_code": posted["proof_code"]}
    assert client.post(f"{base}/delivered", headers=courier, json=code).status_code == 200
    after = client.get(track).get_json()
    assert after["status"] == "delivered" and after["courier"] is None
