"""Seoul's demand cells take their prior from the city's real public-bike stations (issue 13);
a city without a station table, from its bike network's junctions."""

from __future__ import annotations

import pytest

from bootstrap.demand_points import prior_points
from config.cities import load_city
from dispatch.forecast.cells import cell_of
from routing.routers import CityRouters


@pytest.mark.shared_data
def test_seoul_cells_lean_on_its_real_stations(data_dir, cache_dir):
    city = load_city("seoul-mapo", data_dir)
    assert city.demand.stations is not None and city.demand.resolution == 9
    points = prior_points(city.demand, CityRouters(city.source, cache_dir, 50.0))()
    assert len(points) > 1000  # every station of the city-wide list
    gongdeok = {cell_of(p) for p in points if 37.53 < p.lat < 37.56 and 126.94 < p.lon < 126.97}
    assert len(gongdeok) > 10
    assert all(33 < p.lat < 39 and 124 < p.lon < 132 for p in points)


def test_a_city_without_stations_uses_junctions(data_dir, cache_dir):
    city = load_city("synthetic", data_dir)
    assert city.demand.stations is None
    points = prior_points(city.demand, CityRouters(city.source, cache_dir, 50.0))()
    assert len(points) > 50
