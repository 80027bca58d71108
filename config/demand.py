"""The hourly demand profile fleetops ships: Seoul's public bikes' mean rentals per hour of the
week (an aggregate, its source in the file's header), for generating ride history where a city
has none of its own."""

from __future__ import annotations

import csv
from importlib import resources

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def seoul_hour_of_week() -> list[float]:
    """168 mean counts, Monday 00h first."""
    text = resources.files("config").joinpath("demand/seoul_hour_of_week.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    profile = [0.0] * 168
    for row in rows:
        profile[DAYS.index(row["weekday"]) * 24 + int(row["hour"])] = float(row["mean_rentals"])
    return profile
