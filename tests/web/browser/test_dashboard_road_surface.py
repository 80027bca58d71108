"""The road-surface layer on the manager's dashboard (issue 17), in a real browser: rides posted
by the gateway (tests/web/test_road_surface.py ``ridden``: one road broken), the index refreshed,
and the layer ticked in the layer control draws as many roads as the API answers, the worst
decile and the unranked ones counted apart, with its legend; in English and Korean."""

from __future__ import annotations

from dispatch.ops import surface
from tests.web.browser.conftest import ON_SQLITE, shoot, sign_in
from tests.web.test_bookings import login
from tests.web.test_road_surface import ridden  # noqa: F401

pytestmark = ON_SQLITE
#: The layer reads the index when it is ticked; its answer shows within this.
LIVE_MS = 10_000


def _wait_count(page, name: str, n: int) -> None:
    page.wait_for_selector(f'#map[data-{name}="{n}"]', state="attached", timeout=LIVE_MS)


def test_the_road_surface_layer_draws_the_index(open_page, live, ridden):  # noqa: F811
    _base, app, _summary, _ = live
    _, platform, _, bad = ridden
    assert platform is app.extensions["fleetops"]
    done = surface.refresh(platform.engine, platform.clock, platform.routers)
    client = app.test_client()
    found = client.get("/api/v1/ops/road-surface", headers=login(client, "manager")).get_json()
    roads = found["features"]
    assert len(roads) == done.roads > 0
    worst = [f for f in roads if f["properties"]["worst"]]
    low = [f for f in roads if f["properties"]["percentile"] is None]
    assert worst and low and bad in {f["properties"]["road"] for f in worst}

    page = open_page(lang="en")
    sign_in(page, "manager")
    page.wait_for_selector("#map[data-vehicles]", state="attached")
    assert page.get_attribute("#map", "data-road-surface") is None  # off until ticked
    page.click(".leaflet-control-layers label:has-text('Road surface') input")
    _wait_count(page, "road-surface", len(roads))
    _wait_count(page, "road-surface-worst", len(worst))
    _wait_count(page, "road-surface-low", len(low))
    page.wait_for_selector("#surface-legend:has-text('Bike routes avoid it')")
    assert "Too few readings" in page.inner_text("#surface-legend")
    assert found["computed_at"][11:16] in page.inner_text("#surface-legend")
    page.locator(".map-wrap").scroll_into_view_if_needed()
    page.locator("#surface-legend").scroll_into_view_if_needed()
    shoot(page, "dashboard-road-surface")
    # unticked, the legend goes with the layer
    page.click(".leaflet-control-layers label:has-text('Road surface') input")
    page.wait_for_selector("#surface-legend", state="detached")

    korean = open_page(lang="ko")
    sign_in(korean, "manager")
    korean.wait_for_selector("#map[data-vehicles]", state="attached")
    korean.click(".leaflet-control-layers label:has-text('노면 상태') input")
    _wait_count(korean, "road-surface", len(roads))
    korean.wait_for_selector("#surface-legend:has-text('자전거 경로가 피하는 길')")
