"""The dashboard's list of courier shifts tells tomorrow's from today's (trial of issue 15: a
shift planned for tomorrow read "Eun-ji Han · M-0011 · 09:00–18:00", like today's)."""

from __future__ import annotations

import calendar
from datetime import timedelta

import pytest

from tests.web.browser.conftest import ON_SQLITE, sign_in
from tests.web.test_bookings import login
from tests.web.test_shifts import me, spare_moped

pytestmark = ON_SQLITE
#: The page reads the shifts every 30 s and at once when opened.
LIVE_MS = 10_000


@pytest.mark.parametrize(("lang", "day"), [("en", "{d} {mon}"), ("ko", "{m}월 {d}일")])
def test_a_shift_of_another_day_shows_its_date(open_page, live, clock, lang, day):
    _base, app, _summary, _ = live
    client = app.test_client()
    manager = login(client, "manager")
    courier = me(client, login(client, "courier1"))
    start = (clock.now() + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    made = client.post(
        "/api/v1/courier-shifts",
        headers=manager,
        json={
            "courier_id": courier["id"],
            "vehicle_id": spare_moped(client, manager),
            "start": start.isoformat(),
            "end": (start + timedelta(hours=8)).isoformat(),
        },
    )
    assert made.status_code == 201, made.get_json()
    tomorrow = made.get_json()
    city_day = client.get("/api/v1/ops/kpis", headers=manager).get_json()["as_of"][:10]
    today = next(
        s
        for s in client.get("/api/v1/courier-shifts", headers=manager).get_json()["data"]
        if s["start"][:10] == city_day and s["status"] in ("scheduled", "on_duty")
    )

    page = open_page(lang=lang)
    sign_in(page, "manager")
    item = "#shift-list li[data-shift-id='{}']"
    page.wait_for_selector(item.format(tomorrow["id"]), timeout=LIVE_MS)
    local = tomorrow["start"]  # the city's time, as the API answers
    date = day.format(
        d=int(local[8:10]), m=int(local[5:7]), mon=calendar.month_abbr[int(local[5:7])]
    )
    assert f"{date} {local[11:16]}–{tomorrow['end'][11:16]}" in page.inner_text(
        item.format(tomorrow["id"])
    )
    # today's shifts keep the short form
    assert f" · {today['start'][11:16]}–" in page.inner_text(item.format(today["id"]))
