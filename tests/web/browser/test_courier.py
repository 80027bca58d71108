"""A courier on a phone follows their route: a job a merchant posted through the API joins
their plan, the page draws its stops in order, and the courier picks the parcel up and delivers
it with the customer's proof code; in Korean and in English."""

from __future__ import annotations

import pytest

from tests.web.browser.conftest import ON_SQLITE, shoot, sign_in
from tests.web.browser.test_rider import SLOW_MS
from tests.web.test_bookings import login
from tests.web.test_delivery import job

pytestmark = ON_SQLITE


def courier_of(client, courier_id: str) -> str:
    """The username of the demo courier with this id."""
    for n in range(1, 6):
        me = client.get("/api/v1/me", headers=login(client, f"courier{n}")).get_json()
        if me["id"] == courier_id:
            return f"courier{n}"
    msg = "the job went to no demo courier"
    raise AssertionError(msg)


def post_job(client, clock) -> dict:
    """A job merchant1 posts through the API: the planner puts it in a courier's plan."""
    merchant = login(client, "merchant1")
    posted = client.post("/api/v1/delivery-jobs", headers=merchant, json=job(client, clock))
    assert posted.status_code == 201, posted.get_json()
    assert posted.get_json()["status"] == "assigned"
    return posted.get_json()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_courier_picks_up_and_delivers(open_page, live, clock, lang):
    client = live[1].test_client()
    posted = post_job(client, clock)
    username = courier_of(client, posted["courier_id"])
    courier = login(client, username)
    route = client.get("/api/v1/couriers/me/route", headers=courier).get_json()
    mine = [s for s in route["stops"] if s["job_id"] == posted["id"]]
    assert [s["kind"] for s in mine] == ["pickup", "dropoff"]

    page = open_page(phone=True, lang=lang)
    page.set_default_timeout(SLOW_MS)
    sign_in(page, username)
    assert page.url.endswith("/courier")
    page.wait_for_selector("#map[data-stops]")
    assert page.get_attribute("#map", "data-stops") == str(len(route["stops"]))
    assert page.locator("#map .stop-pin").count() == len(route["stops"])
    assert page.locator("#stops li").count() == len(route["stops"])
    roads = [s for s in route["stops"] if len(s["route"]["coordinates"]) > 1]
    assert page.locator("#map path.route-line.road").count() == len(roads) > 0  # on the roads
    first = route["next_stop"]
    assert page.inner_text("[data-fact=eta]") == first["eta"][11:16]
    assert page.locator("#stops li.next").get_attribute("data-stop") == first["id"]

    page.click("#shift-start")  # the courier sets off
    page.wait_for_selector("#shift[data-status=on_duty]")
    shifts = client.get("/api/v1/courier-shifts", headers=login(client, "manager")).get_json()
    on_duty = [s["courier_id"] for s in shifts["data"] if s["status"] == "on_duty"]
    assert on_duty == [posted["courier_id"]]

    # the stops before ours (if the plan had any) are done first, as the courier would
    for stop in route["stops"]:
        if stop["job_id"] == posted["id"]:
            break
        assert stop["kind"] == "pickup", stop  # a fresh demo plan holds only pick-ups first
        page.wait_for_selector(f"#stops li.next[data-stop='{stop['id']}']")
        page.click("[data-action=picked-up]")

    page.wait_for_selector(f"#stops li.next[data-stop='{mine[0]['id']}']")
    assert page.get_attribute("#panel", "data-state") == "pickup"
    page.locator("h1").scroll_into_view_if_needed()
    shoot(page, f"courier-{lang}")
    page.click("[data-action=picked-up]")
    page.wait_for_selector(f"#stops li.next[data-stop='{mine[1]['id']}']")
    track = client.get(posted["tracking_api_url"]).get_json()
    assert track["status"] == "picked_up"
    assert page.get_attribute("#panel", "data-state") == "dropoff"

    clock.advance(20 * 60)
    page.fill("#proof", posted["proof_code"])
    page.click("[data-action=delivered]")
    page.wait_for_selector(f"#stops li[data-stop='{mine[1]['id']}']", state="detached")
    merchant = login(client, "merchant1")
    seen = client.get(f"/api/v1/delivery-jobs/{posted['id']}", headers=merchant).get_json()
    assert seen["status"] == "delivered"
    said = {"ko": "제시간에 배송했습니다.", "en": "Delivered on time."}[lang]
    assert page.inner_text("#say") == said
