"""A closure's +1 h and End now on the dashboard say what they did (trial of issue 15: the line
above the tiles still read "saved, until 12:45" after the closure was extended or ended)."""

from __future__ import annotations

from datetime import timedelta

from tests.web.browser.conftest import ON_SQLITE, sign_in
from tests.web.test_bookings import available, login

pytestmark = ON_SQLITE
#: The page polls closures every 4 s; an action's own answer shows at once.
LIVE_MS = 10_000


def _square_around(lat: float, lon: float, d: float = 0.0004) -> dict:
    ring = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d]]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def test_extending_and_ending_a_closure_is_confirmed(open_page, live, clock):
    _base, app, _summary, _ = live
    client = app.test_client()
    manager = login(client, "manager")
    spot = available(client, "e_bike")[0]
    until = clock.now().replace(microsecond=0) + timedelta(hours=2)
    made = client.post(
        "/api/v1/ops/closures",
        headers=manager,
        json={
            "name": "Burst main",
            "geometry": _square_around(spot["lat"], spot["lon"]),
            "active_until": until.isoformat(),
        },
    )
    assert made.status_code == 201, made.get_json()
    closure = made.get_json()

    page = open_page(lang="en")
    sign_in(page, "manager")
    item = f"#closure-list li[data-closure-id='{closure['id']}']"
    page.wait_for_selector(item, timeout=LIVE_MS)
    page.click(f"{item} button:has-text('+1 h')")
    page.wait_for_selector("#say:has-text('extended')", timeout=LIVE_MS)
    longer = client.get("/api/v1/ops/closures", headers=manager).get_json()["data"][0]
    assert longer["active_until"] > closure["active_until"]
    assert (
        page.inner_text("#say")
        == f"Closure “Burst main” extended, until {longer['active_until'][11:16]}."
    )
    assert "error" not in (page.get_attribute("#say", "class") or "")

    page.click(f"{item} button.danger")
    page.wait_for_selector("#say:has-text('open again')", timeout=LIVE_MS)
    ended = client.get("/api/v1/ops/closures", headers=manager).get_json()["data"][0]
    assert ended["status"] == "ended"
    assert page.inner_text("#say") == (
        f"Closure “Burst main” ended at {ended['active_until'][11:16]}: its roads are open again."
    )
    page.wait_for_selector(item, state="detached", timeout=LIVE_MS)
