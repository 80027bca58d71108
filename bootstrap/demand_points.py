"""Where a city's demand cells get their prior (``fleet.city.DemandSpec``): real station
locations read from the data directory, else the bike network's junctions."""

from __future__ import annotations

import csv
from collections.abc import Callable
from functools import cache

from dispatch.ops.demand import junctions
from fleet.city import DemandSpec
from fleet.geo import Position
from routing.routers import CityRouters


def prior_points(spec: DemandSpec, routers: CityRouters) -> Callable[[], list[Position]]:
    """The points (read on first use): the stations table's rows whose columns hold a
    latitude and a longitude; the junctions when the city names no table or it is missing."""
    if spec.stations is None or not spec.stations.is_file():
        return junctions(routers)
    path, lat, lon = spec.stations, spec.lat_column, spec.lon_column

    @cache
    def stations() -> list[Position]:
        delimiter = "\t" if path.suffix == ".tsv" else ","
        points = []
        with path.open(encoding="utf-8", newline="") as rows:
            for row in csv.reader(rows, delimiter=delimiter):
                try:
                    points.append(Position(float(row[lat]), float(row[lon])))
                except (IndexError, ValueError):
                    continue  # a header or a row without coordinates
        return points

    return stations
