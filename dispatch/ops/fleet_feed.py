"""The managers' live map: every vehicle of the operator in one read, polled every few seconds.

Holds that ran out are freed first, as every listing of vehicles does, so the map never shows a
vehicle reserved by a hold that is over. The feed is read-only apart from that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from dispatch.holds import expire_due_holds
from dispatch.ops.vehicles import FleetService, parse_classes
from fleet.db.engine import reading
from fleet.db.fleet_feed import feed_json
from fleet.identity import User


@dataclass(frozen=True, slots=True)
class FleetFeed:
    """The operator's vehicles and the instant they are shown as of: the newest change among
    them, or now when there are none. ``vehicles_json`` is their JSON array as the database wrote
    it (objects keyed by ``fleet.db.fleet_feed.FEED_COLUMNS``, by code)."""

    as_of: datetime
    count: int
    vehicles_json: str


def split_classes(values: Sequence[str]) -> list[str]:
    """Class names from ``vehicle_class`` query values, each one name or a comma list
    (``e_bike,e_moped``); blanks between commas are dropped."""
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def fleet_feed(service: FleetService, staff: User, classes: Sequence[str]) -> FleetFeed:
    """Every vehicle of the staff member's operator, of ``classes`` when any are named.

    Raises
    ------
    UnknownVehicleClass
        A class name that is not in the catalog.
    """
    kinds = parse_classes(split_classes(classes))
    expire_due_holds(service.engine, service.clock)
    with reading(service.engine) as conn:
        found = feed_json(conn, staff.operator_id, kinds)
    as_of = found.newest_change or service.clock.now()
    return FleetFeed(as_of, found.count, found.vehicles_json)
