"""Every role's page in a real browser: its map draws the city's streets with no tile server,
credits OpenStreetMap, loads nothing from beyond loopback, and speaks both languages."""

from __future__ import annotations

import pytest

from tests.web.browser.conftest import ON_SQLITE, sign_in

pytestmark = ON_SQLITE


def test_manager_lands_on_the_dashboard_with_the_streets_and_zones(open_page, live):
    page = open_page(lang="en")
    sign_in(page, "manager")
    assert page.url.endswith("/dashboard")
    page.wait_for_selector("#map[data-zones]")
    page.wait_for_selector("#map path.leaflet-interactive, #map canvas")
    zones = live[1].test_client().get("/api/v1/zones").get_json()["features"]
    assert page.get_attribute("#map", "data-zones") == str(len(zones)) != "0"
    assert "OpenStreetMap" in page.inner_text(".leaflet-control-attribution")
    assert page.inner_text("h1") == "Fleet dashboard"


TITLES = [("ko", "차량 운영 대시보드"), ("en", "Fleet dashboard")]


@pytest.mark.parametrize(("lang", "title"), TITLES)
def test_the_language_switch_is_remembered(open_page, lang, title):
    page = open_page(phone=True)
    sign_in(page, "manager")
    other = "en" if lang == "ko" else "ko"
    page.click(f"[data-lang-switch={other}]")
    page.click(f"[data-lang-switch={lang}]")
    page.goto("/dashboard")
    assert page.get_attribute("html", "lang") == lang
    assert page.inner_text("h1") == title


def test_a_korean_city_opens_in_korean(open_page):
    page = open_page(phone=True)
    page.goto("/login")
    assert page.get_attribute("html", "lang") == "ko"
    assert page.inner_text("h1") == "로그인"


def test_a_rider_is_refused_the_dashboard(open_page):
    page = open_page(lang="en")
    sign_in(page, "rider1")
    response = page.goto("/dashboard")
    assert response.status == 403 and "manager" in page.inner_text("main")


def test_the_dashboard_loads_with_a_clean_console(open_page, live):
    """No error in the browser's console once the dashboard has drawn its data: a manager (or
    their IT) opening the developer tools sees nothing red, not even a missing favicon."""
    page = open_page(lang="ko")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, "manager")
    page.wait_for_selector("#map[data-vehicles][data-zones][data-stations]")
    page.wait_for_selector('[data-kpi="low_battery"][data-value]')
    page.wait_for_load_state("networkidle")
    assert errors == []
    assert page.get_attribute("link[rel=icon]", "href").endswith(".svg")


#: Keeps the page's Leaflet map where a test can ask it for its view (pages hold it privately).
KEEP_MAP = """
(() => { let real; Object.defineProperty(window, "L", { configurable: true, get: () => real,
  set(v) { real = v; const make = v.map; v.map = function () {
    const m = make.apply(this, arguments); window.keptMap = m; return m; }; } }); })();
"""


@pytest.mark.parametrize("phone", [False, True])
def test_the_dashboard_frames_the_service_area(open_page, live, phone):
    """The map opens on where the operator works, not on every street loaded around it: the
    service area fills the view beside the layer control, clear of it (on seoul-mapo the
    streets' bounds left the area half the map, and the fleet under the open control)."""
    page = open_page(phone=phone, lang="en")
    page.context.add_init_script(KEEP_MAP)
    sign_in(page, "manager")
    page.wait_for_selector("#map[data-zones]")
    page.wait_for_load_state("networkidle")  # the streets too, which must not reframe it
    zones = live[1].test_client().get("/api/v1/zones").get_json()["features"]
    (area,) = [z for z in zones if z["properties"]["kind"] == "service_area"]
    ring = area["geometry"]["coordinates"][0]
    box = page.evaluate(
        """(ring) => {
          const m = window.keptMap, size = m.getSize();
          const pts = ring.map((c) => m.latLngToContainerPoint([c[1], c[0]]));
          const xs = pts.map((p) => p.x), ys = pts.map((p) => p.y);
          const open = m.getContainer().querySelector(".leaflet-control-layers-expanded");
          const mapBox = m.getContainer().getBoundingClientRect();
          const c = open ? open.getBoundingClientRect() : null;
          return { w: size.x, h: size.y, left: Math.min(...xs), right: Math.max(...xs),
                   top: Math.min(...ys), bottom: Math.max(...ys),
                   control: c ? { left: c.left - mapBox.left } : null };
        }""",
        ring,
    )
    assert box["left"] >= 0 and box["top"] >= 0
    assert box["right"] <= box["w"] and box["bottom"] <= box["h"]
    room_w = box["w"] - (box["w"] - box["control"]["left"] if box["control"] else 0)
    filled = max((box["right"] - box["left"]) / room_w, (box["bottom"] - box["top"]) / box["h"])
    assert filled > 0.8, f"the service area fills only {filled:.0%} of the map"
    if box["control"]:  # open on a wide screen: the area stands left of it
        assert box["right"] <= box["control"]["left"]
