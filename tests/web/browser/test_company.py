"""An employee on a phone reads the free work EVs per hour at a hub as a calendar, reserves a
slot, picks the EV up and returns it; their company's admin sees the reservation. In Korean and
in English."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.web.browser.conftest import ON_SQLITE, shoot, sign_in
from tests.web.browser.test_rider import SLOW_MS
from tests.web.test_bookings import login

pytestmark = ON_SQLITE


def _calendar(client, who, hub_id):
    """The three days the page shows, as the API answers them."""
    base = f"/api/v1/hubs/{hub_id}/availability?slot_minutes=60&planned_distance_m=20000"
    today = client.get(base, headers=who).get_json()
    first = date.fromisoformat(today["date"])
    later = [
        client.get(f"{base}&date={first + timedelta(days=n)}", headers=who).get_json()
        for n in (1, 2)
    ]
    return [today, *later]


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_an_employee_reserves_picks_up_and_returns_a_work_ev(open_page, live, clock, lang):
    client = live[1].test_client()
    staff = login(client, "staff-hanul1")
    hub = client.get("/api/v1/hubs", headers=staff).get_json()["data"][0]
    days = _calendar(client, staff, hub["id"])
    slots = [s for d in days for s in d["slots"] if "06:00" <= s["start"][11:16] <= "21:00"]
    free = [s for s in slots if s["free_evs"] > 0]
    assert free, "the demo's hubs have EVs"

    page = open_page(phone=True, lang=lang)
    page.set_default_timeout(SLOW_MS)
    sign_in(page, "staff-hanul1")
    assert page.url.endswith("/company")
    page.wait_for_selector(f"#calendar[data-hub='{hub['id']}']")
    assert page.locator("#map .pin-hub").count() == len(
        client.get("/api/v1/hubs", headers=staff).get_json()["data"]
    )
    assert page.locator("#calendar td[data-free]").count() == len(slots)
    assert page.locator("#calendar td.slot button").count() == len(free)
    page.wait_for_selector("#reservations[data-count='0']")

    slot = next(s for s in free if s["start"] > clock.now().isoformat())  # the next hour
    page.click(f"[data-slot='{slot['start']}']")
    page.wait_for_selector("#reservations[data-count='1']")
    mine = client.get("/api/v1/reservations", headers=staff).get_json()["data"]
    assert [(r["start"], r["status"]) for r in mine] == [(slot["start"], "confirmed")]
    item = page.locator(f"[data-reservation='{mine[0]['id']}']")
    assert mine[0]["vehicle"]["code"] in item.inner_text()
    # one EV fewer free then, once the calendar has been fetched again after the booking
    fewer = slot["free_evs"] - 1
    page.wait_for_selector(f"[data-slot='{slot['start']}']:text-is('{fewer}')")
    page.locator("h1").scroll_into_view_if_needed()
    shoot(page, f"company-{lang}")

    clock.advance(60 * 60)  # the slot has come
    item.locator("[data-action=pickup]").click()
    page.wait_for_selector(f"[data-reservation='{mine[0]['id']}'][data-status=picked_up]")
    ev = client.get(
        f"/api/v1/fleet/vehicles/{mine[0]['vehicle_id']}", headers=login(client, "manager")
    ).get_json()
    assert ev["status"] == "in_use"
    clock.advance(50 * 60)
    item = page.locator(f"[data-reservation='{mine[0]['id']}']")
    item.locator("[data-field=soc]").fill("64")
    item.locator("[data-field=odometer]").fill(str(ev["odometer_m"] // 1000 + 30))
    item.locator("[data-action=return]").click()
    page.wait_for_selector(f"[data-reservation='{mine[0]['id']}'][data-status=returned]")
    back = client.get("/api/v1/reservations", headers=staff).get_json()["data"][0]
    assert back["status"] == "returned"

    admin = open_page(phone=True, lang=lang)
    admin.set_default_timeout(SLOW_MS)
    sign_in(admin, "admin-hanul")
    admin.wait_for_selector(f"[data-reservation='{mine[0]['id']}'][data-status=returned]")
    assert mine[0]["employee"]["display_name"] in admin.inner_text("#reservations")
