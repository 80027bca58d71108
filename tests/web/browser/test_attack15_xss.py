"""Stored names with markup on the manager's dashboard (issue 15 attack): every name the page
shows comes from the API, and each must show as text and run nothing.

A manager names vehicles (``POST /fleet/vehicles`` takes any code of 1-64 characters) and
closures; stations, vans and people are named by whoever seeds the operator. Here every one of
them is a tag, the page is opened in Chromium, the popups and the plan review are shown, and
the page must hold no element the names made, raise no dialog and no script error, and log no
CSP violation (the policy blocks inline handlers, so markup that reaches ``innerHTML`` shows up
as a violation even where it cannot run)."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from fleet.db.crew_tables import vans
from fleet.db.engine import writing
from fleet.db.tables import sites, users, vehicles
from tests.web.browser.conftest import ON_SQLITE, served, sign_in
from tests.web.test_bookings import login
from tests.web.test_crew_plans import _propose, crew_demo, crew_template  # noqa: F401

pytestmark = ON_SQLITE
#: A name that is markup: as text it reads like this; as HTML it is an image whose error runs.
TAG = "<img class=injected src=x onerror=alert(1)>"


@pytest.fixture
def live(crew_demo):  # noqa: F811 (the fixture imported above)
    app, summary = crew_demo
    with served(app) as base:
        yield base, app, summary, None


def _name_everything(engine) -> None:
    """Every vehicle code, station, van and person's name made a tag (codes kept unique)."""
    code = vehicles.c.code
    with writing(engine) as conn:
        conn.execute(update(vehicles).values(code=TAG + "#" + code))
        conn.execute(update(sites).values(name=TAG + sites.c.name))
        conn.execute(update(vans).values(name=TAG + vans.c.name))
        conn.execute(update(users).values(display_name=TAG + users.c.display_name))


def _watch(page) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {"dialogs": [], "errors": [], "console": []}
    page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("console", lambda m: m.type in ("error", "warning") and seen["console"].append(m.text))
    return seen


def test_names_on_the_dashboard_show_as_text_and_run_nothing(open_page, live):
    _base, app, _summary, _ = live
    engine = app.extensions["fleetops"].engine
    client = app.test_client()
    manager = login(client, "manager")
    first = client.get("/api/v1/ops/fleet", headers=manager).get_json()["vehicles"][0]
    made = client.post("/api/v1/fleet/vehicles", headers=manager, json={
        "code": TAG, "vehicle_class": "e_kickboard", "lat": first["lat"], "lon": first["lon"],
        "soc_pct": 80})  # fmt: skip
    assert made.status_code == 201, made.get_json()  # the API takes such a code
    _name_everything(engine)
    plan, _operator = _propose(app, "battery_swaps")
    tasks = client.get(f"/api/v1/ops/plans/{plan.id}", headers=manager).get_json()["tasks"]
    assert {"charge", "swap"} <= {t["kind"] for t in tasks}
    page = open_page()
    seen = _watch(page)
    sign_in(page, "manager")
    page.wait_for_selector("#map[data-vehicles][data-stations][data-vans]")
    page.click(".leaflet-marker-icon.station >> nth=0")
    popup = page.inner_text(".leaflet-popup-content strong")
    assert popup.startswith(TAG)
    page.click(".leaflet-popup-close-button")
    page.locator(".leaflet-marker-icon.van").first.dispatch_event("click")  # vans stand together
    assert TAG in page.inner_text(".leaflet-popup-content strong")
    page.click(".leaflet-popup-close-button")
    page.click(f"#plan-proposals li[data-plan-id='{plan.id}'] button")
    page.wait_for_selector(f"#plan-review[data-plan-id='{plan.id}']")
    assert TAG in page.inner_text("#plan-vans")
    page.locator(".plan-visit").first.dispatch_event("mouseover")  # under its station's badge
    tip = page.wait_for_selector(".leaflet-tooltip")
    assert TAG in tip.inner_text()
    page.wait_for_timeout(300)  # let an injected image fail to load, as a browser would
    assert page.locator(".injected").count() == 0
    assert seen == {"dialogs": [], "errors": [], "console": []}
