"""The manager's journey on the live dashboard, in a real browser (issue 15, acceptance 1).

The app is the crew demo of tests/web/test_crew_plans.py (80 vehicles, most kickboards and
e-bikes flat after a busy night, a busy day's forecast, crews on shift) on the test's Redis, so
the swap plan the manager asks for has work in it; a real ``fleetops worker --burst`` on the
test's database and Redis computes it, as in production. Everything the page shows is held to
what the API answers the test meanwhile: markers to the vehicle feed, zones to /zones, tiles to
/ops/kpis, the closure drawn to /ops/closures, the plan approved to /ops/plans/<id>.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from fleet.carbon import footprint
from fleet.db import carbon as carbon_db
from fleet.db.engine import writing
from tests.web.browser.conftest import ON_SQLITE, served, shoot, sign_in
from tests.web.test_bookings import login
from tests.web.test_crew_plans import _recharge, crew_demo, crew_template  # noqa: F401
from tests.web.test_delivery_worker import run, worker_env

pytestmark = ON_SQLITE
#: How long a change made through the API may take to show on the open page (it polls every 4 s).
LIVE_MS = 10_000
#: What the English page calls each type of pack.
PACKS = {"e_kickboard": "kickboard pack", "e_bike": "e-bike pack", "e_moped": "moped pack"}


@pytest.fixture
def live(crew_demo):  # noqa: F811 (the fixture imported above)
    """The crew demo's app (on the test's Redis) served on loopback, for ``open_page``."""
    app, summary = crew_demo
    with served(app) as base:
        yield base, app, summary, None


def _attr(page, selector: str, name: str) -> str | None:
    return page.get_attribute(selector, name)


def _wait_attr(page, selector: str, name: str, value: object) -> None:
    """Wait until ``selector`` has ``name`` equal to ``value`` (within LIVE_MS)."""
    page.wait_for_function(
        "([s, n, v]) => document.querySelector(s)?.getAttribute(n) === v",
        arg=[selector, name, str(value)],
        timeout=LIVE_MS,
    )


def _loaded(page, client, manager) -> None:
    """Wait for the map's and the tiles' data, and hold them to the API's answers."""
    fleet = client.get("/api/v1/ops/fleet", headers=manager).get_json()
    zones = client.get("/api/v1/zones").get_json()["features"]
    stations = client.get("/api/v1/ops/stations", headers=manager).get_json()["data"]
    _wait_attr(page, "#map", "data-vehicles", fleet["count"])
    _wait_attr(page, "#map", "data-zones", len(zones))
    _wait_attr(page, "#map", "data-stations", len(stations))
    crews = client.get("/api/v1/ops/crews", headers=manager).get_json()["data"]
    _wait_attr(page, "#map", "data-vans", sum(1 for c in crews if c["van"]))
    page.wait_for_selector('[data-kpi="low_battery"][data-value]')
    assert fleet["count"] == 80 and len(zones) > 1 and stations and any(c["van"] for c in crews)


def _tiles_match(page, kpis: dict) -> None:
    for cls, n in kpis["available_by_class"].items():
        assert _attr(page, f'[data-kpi="available.{cls}"]', "data-value") == str(n)
        assert page.inner_text(f'[data-kpi="available.{cls}"]') == str(n)
    for key in ("low_battery", "open_tasks", "deliveries_today", "deliveries_on_time_today"):
        assert _attr(page, f'[data-kpi="{key}"]', "data-value") == str(kpis[key]), key
        assert page.inner_text(f'[data-kpi="{key}"]') == str(kpis[key]), key
    for key in ("utilisation", "co2_avoided_kg_today"):
        assert float(_attr(page, f'[data-kpi="{key}"]', "data-value")) == kpis[key], key
    bars = page.eval_on_selector_all(
        "#histogram rect", "rs => rs.map(r => Number(r.getAttribute('data-count')))"
    )
    assert bars == [b["count"] for b in kpis["charge_histogram"]]
    assert sum(bars) == 80


def _credit_rides(app, operator_id: str, clock) -> int:
    """A few rides of the last two weeks in the CO2 ledger, as ended rides write them (the
    crew demo's own history is generated, which never counts); their net grams."""
    engine = app.extensions["fleetops"].engine
    net = 0
    with writing(engine) as conn:
        for days_ago, metres in ((0, 2500), (1, 4000), (3, 1200), (6, 8000), (12, 3000)):
            co2 = footprint(app.extensions["fleetops"].city.carbon, 14, metres)
            at = clock.now() - timedelta(days=days_ago, minutes=30)
            carbon_db.credit(conn, operator_id, "ride", str(uuid.uuid4()), at, co2)
            net += co2.net_g
    return net


def _chart_matches(page, client, manager, net_g: int) -> None:
    """The CO2 chart's bars are the API's last 14 days, day by day."""
    report = client.get("/api/v1/ops/carbon", headers=manager).get_json()
    assert report["totals"]["net_co2_avoided_g"] == net_g > 0 and report["totals"]["rides"] == 5
    page.wait_for_selector(f'#co2-chart[data-total="{net_g}"]', timeout=LIVE_MS)
    bars = page.eval_on_selector_all(
        "#co2-chart rect",
        "rs => rs.map(r => [r.getAttribute('data-day'), Number(r.getAttribute('data-net'))])",
    )
    assert bars == [[d["day"], d["net_co2_avoided_g"]] for d in report["data"]]
    assert len(bars) == 14 and sum(1 for _, g in bars if g > 0) == 5


def _station_popup(page, client, manager) -> None:
    """A swap station's popup shows its charged packs per type, as the API counts them."""
    stations = client.get("/api/v1/ops/stations", headers=manager).get_json()["data"]
    page.click(".leaflet-marker-icon.station >> nth=0")
    popup = page.wait_for_selector(".leaflet-popup-content table.stock")
    name = page.inner_text(".leaflet-popup-content strong")
    (station,) = [s for s in stations if s["name"] == name]
    shown = {
        c.get_attribute("data-charged"): int(c.inner_text())
        for c in popup.query_selector_all("[data-charged]")
    }
    assert shown == {k["pack_class"]: k["charged"] for k in station["stock"]}
    page.click(".leaflet-popup-close-button")


def _draw_and_drop(page) -> None:
    """Too few corners are refused; Escape drops the shape and saves nothing."""
    box = page.locator("#map").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.click("#draw-start")
    page.mouse.click(x - 40, y - 40)
    page.mouse.click(x + 40, y - 40)
    assert _attr(page, "#map", "data-draw-points") == "2"
    page.click("#draw-finish")
    assert "three" in page.inner_text("#say.error")
    page.keyboard.press("Escape")
    assert page.is_hidden("#draw-bar") and page.is_hidden("#closure-form")
    assert _attr(page, "#map", "data-draw-points") is None


def _draw_closure(page, name: str) -> None:
    """Click four corners around the map's middle (the last one double-clicked) and save."""
    box = page.locator("#map").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.click("#draw-start")
    assert page.is_visible("#draw-bar")
    for dx, dy in [(-70, -50), (70, -50), (70, 50)]:
        page.mouse.click(x + dx, y + dy)
    page.mouse.dblclick(x - 70, y + 50)  # the fourth corner, and the end of the shape
    page.wait_for_selector("#closure-form:not([hidden])")
    page.fill("#closure-form input[name=name]", name)
    page.click("#closure-form button[type=submit]")
    page.wait_for_selector(f"#closure-list li:has-text('{name}')", timeout=LIVE_MS)


def _filter_by_class(page, client, manager) -> None:
    """Unticking a class takes its vehicles off the map; ticking it brings them back."""
    every = client.get("/api/v1/ops/fleet", headers=manager).get_json()["count"]
    evs = client.get("/api/v1/ops/fleet?vehicle_class=work_ev", headers=manager).get_json()
    assert evs["count"] > 0
    page.uncheck("#filters input[value=work_ev]")
    _wait_attr(page, "#map", "data-vehicles", every - evs["count"])
    page.check("#filters input[value=work_ev]")
    _wait_attr(page, "#map", "data-vehicles", every)


def _plan_a_shift(page, client, manager) -> None:
    """A clash is refused with the API's reason on the page; a free slot is planned."""
    page.click("#shift-form button[type=submit]")  # the defaults: within the couriers' shifts
    page.wait_for_selector("#say.error")
    assert "shift" in page.inner_text("#say").lower()
    courier = page.eval_on_selector("#shift-form select[name=courier_id]", "s => s.value")
    page.fill("#shift-form input[name=start]", "2026-03-03T09:00")
    page.fill("#shift-form input[name=end]", "2026-03-03T17:00")
    page.click("#shift-form button[type=submit]")
    page.wait_for_selector("#say:not(.error)", timeout=LIVE_MS)
    shifts = client.get("/api/v1/courier-shifts?per_page=500", headers=manager).get_json()["data"]
    (planned,) = [s for s in shifts if s["start"].startswith("2026-03-03T09:00")]
    assert planned["courier_id"] == courier and planned["status"] == "scheduled"
    assert planned["end"] == "2026-03-03T17:00:00+09:00"
    page.wait_for_selector(f"#shift-list li[data-shift-id='{planned['id']}']", timeout=LIVE_MS)


def test_a_manager_watches_the_fleet_closes_roads_and_approves_a_swap_plan(
    open_page, live, redis_url, cache_dir, tmp_path, clock
):
    _base, app, summary, _ = live
    client = app.test_client()
    manager = login(client, "manager")
    net_g = _credit_rides(app, summary.operator_id, clock)
    page = open_page(lang="en")
    sign_in(page, "manager")
    assert page.url.endswith("/dashboard")
    _loaded(page, client, manager)
    _tiles_match(page, client.get("/api/v1/ops/kpis", headers=manager).get_json())
    _chart_matches(page, client, manager, net_g)
    shoot(page, "dashboard-en")
    _filter_by_class(page, client, manager)

    # a closure drawn on the map: stored, in force, and drawn with the zones
    _station_popup(page, client, manager)
    zones_before = len(client.get("/api/v1/zones").get_json()["features"])
    _draw_and_drop(page)
    _draw_closure(page, "Flooded underpass")
    stored = client.get("/api/v1/ops/closures", headers=manager).get_json()["data"]
    (flood,) = [c for c in stored if c["name"] == "Flooded underpass"]
    assert flood["status"] == "active" and len(flood["geometry"]["coordinates"][0]) == 5
    _wait_attr(page, "#map", "data-zones", zones_before + 1)
    assert page.is_hidden("#closure-form")

    # changes made through the API show on the open page by themselves
    before = client.get("/api/v1/ops/kpis", headers=manager).get_json()["available_by_class"]
    feed = client.get("/api/v1/ops/fleet", headers=manager).get_json()["vehicles"]
    # not a courier's moped: those never count as available to riders
    vehicle = next(
        v for v in feed if v["status"] == "available" and v["vehicle_class"] != "e_moped"
    )
    changed = client.patch(
        f"/api/v1/fleet/vehicles/{vehicle['id']}", headers=manager, json={"status": "maintenance"}
    )
    assert changed.status_code == 200, changed.get_json()
    after = client.get("/api/v1/ops/kpis", headers=manager).get_json()["available_by_class"]
    cls = vehicle["vehicle_class"]
    assert after[cls] == before[cls] - 1
    _wait_attr(page, f'[data-kpi="available.{cls}"]', "data-value", after[cls])
    ring = [[c[0] + 0.0005, c[1] + 0.0005] for c in flood["geometry"]["coordinates"][0]]
    made = client.post(
        "/api/v1/ops/closures",
        headers=manager,
        json={
            "name": "Gas leak",
            "geometry": {"type": "Polygon", "coordinates": [ring]},
            "active_until": flood["active_until"],
        },
    )
    assert made.status_code == 201, made.get_json()
    page.wait_for_selector("#closure-list li:has-text('Gas leak')", timeout=LIVE_MS)
    _wait_attr(page, "#map", "data-zones", zones_before + 2)

    # a swap plan: asked for on the page, computed by a real worker, reviewed, edited, approved
    page.click("[data-plan-kind=battery_swaps]")
    page.wait_for_selector("#plan-job[data-status=queued]:not([hidden]) progress")
    env = worker_env(app.extensions["fleetops"].engine, redis_url, cache_dir, tmp_path, clock)
    worker = run(["worker", "--burst"], env)
    assert worker.returncode == 0, worker.stderr[-2000:]
    page.wait_for_selector("#plan-review[data-status=proposed]", timeout=LIVE_MS)
    plan_id = _attr(page, "#plan-review", "data-plan-id")
    plan = client.get(f"/api/v1/ops/plans/{plan_id}", headers=manager).get_json()
    assert plan["status"] == "proposed" and plan["tasks"]
    boxes = page.locator("#plan-vans input[data-task-id]")
    assert boxes.count() == len(plan["tasks"])
    assert _attr(page, "#map", "data-plan-routes") == str(len(plan["routes"]))
    assert _attr(page, "#map", "data-plan-tasks") == str(len(plan["tasks"]))
    swaps = [t for t in plan["tasks"] if t["kind"] == "swap"]
    assert swaps
    # a station visit says which packs it loads: a van loads each type as its own task
    charges = [t for t in plan["tasks"] if t["kind"] == "charge"]
    assert charges
    for t in charges:
        label = page.inner_text(f"#plan-vans label:has(input[data-task-id='{t['id']}'])")
        assert f"Load {t['packs']} × {PACKS[t['pack_class']]} at {t['site_name']}" in label
    page.evaluate("document.querySelector('.dash').scrollIntoView()")
    shoot(page, "dashboard-plan")
    left_out = swaps[-1]["id"]
    page.uncheck(f"#plan-vans input[data-task-id='{left_out}']")
    page.click("#plan-approve")
    page.wait_for_selector("#plan-review[data-status=approved]", timeout=LIVE_MS)

    decided = client.get(f"/api/v1/ops/plans/{plan_id}", headers=manager).get_json()
    assert decided["status"] == "approved"
    status = {t["id"]: t["status"] for t in decided["tasks"]}
    assert status[left_out] == "cancelled"
    assigned = [i for i, s in status.items() if s == "assigned"]
    assert assigned
    kpis = client.get("/api/v1/ops/kpis", headers=manager).get_json()
    assert kpis["open_tasks"] == len(assigned)
    _wait_attr(page, '[data-kpi="open_tasks"]', "data-value", len(assigned))
    _plan_a_shift(page, client, manager)

    # the same dashboard in Korean, with the crews' routes of the approved plan on it
    korean = open_page(lang="ko")
    sign_in(korean, "manager")
    _loaded(korean, client, manager)
    routes = client.get("/api/v1/ops/routes", headers=manager).get_json()["features"]
    assert any(r["properties"]["kind"] == "crew" for r in routes)
    _wait_attr(korean, "#map", "data-routes", len(routes))
    assert korean.inner_text("h1") == "차량 운영 대시보드"
    cells = client.get("/api/v1/ops/forecast?hours=3", headers=manager).get_json()["features"]
    korean.click(".leaflet-control-layers label:has-text('수요 예측') input")
    _wait_attr(korean, "#map", "data-cells", len(cells))
    assert cells
    shoot(korean, "dashboard-ko")


def test_a_manager_rejects_a_rebalancing_plan(
    open_page, live, redis_url, cache_dir, tmp_path, clock
):
    _base, app, _summary, _ = live
    _recharge(app.extensions["fleetops"].engine)  # bunched up where riders are not: moves
    client = app.test_client()
    manager = login(client, "manager")
    page = open_page(lang="ko")
    sign_in(page, "manager")
    page.wait_for_selector("#map[data-vehicles]")
    page.click("[data-plan-kind=rebalancing]")
    page.wait_for_selector("#plan-job[data-status=queued]:not([hidden])")
    env = worker_env(app.extensions["fleetops"].engine, redis_url, cache_dir, tmp_path, clock)
    worker = run(["worker", "--burst"], env)
    assert worker.returncode == 0, worker.stderr[-2000:]
    page.wait_for_selector("#plan-review[data-status=proposed]", timeout=LIVE_MS)
    plan_id = _attr(page, "#plan-review", "data-plan-id")
    plan = client.get(f"/api/v1/ops/plans/{plan_id}", headers=manager).get_json()
    drops = [t for t in plan["tasks"] if t["kind"] == "rebalance" and t["is_drop"]]
    assert drops and _attr(page, "#map", "data-plan-moves") == str(len(drops))
    page.click("#plan-reject")
    page.wait_for_selector("#plan-review[data-status=rejected]", timeout=LIVE_MS)
    decided = client.get(f"/api/v1/ops/plans/{plan_id}", headers=manager).get_json()
    assert decided["status"] == "rejected"
    assert {t["status"] for t in decided["tasks"]} == {"cancelled"}
    assert page.is_disabled("#plan-approve") and page.is_disabled("#plan-reject")
    assert _attr(page, "#map", "data-plan-tasks") == "0"
    # asked again in the same quarter hour: the page says the plan is decided, and from when
    page.click("[data-plan-kind=rebalancing]")
    page.wait_for_selector("#say:has-text('09:15')", timeout=LIVE_MS)
    assert "반려됨" in page.inner_text("#say")


def test_the_dashboard_fits_a_phone(open_page, live):
    page = open_page(phone=True, lang="ko")
    sign_in(page, "manager")
    page.wait_for_selector("#map[data-vehicles]")
    page.wait_for_selector('[data-kpi="low_battery"][data-value]')
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    assert page.locator("#map").bounding_box()["width"] > 300
    assert page.is_visible("#plans") and page.is_visible("#draw-start")
