"""What one operator's GBFS files are built from, read in one go: the fixed parts (catalog,
tariff, city) handed in once, the moving parts (vehicles, stations, zones) read per request.
The builders in ``gbfs_fleet``, ``gbfs_rules`` and ``gbfs_system`` compute on it alone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from dispatch.holds import expire_due_holds
from fleet.catalog import Catalog, VehicleClass
from fleet.clock import Clock
from fleet.db import gbfs as gbfs_db
from fleet.db.engine import Engine, reading
from fleet.db.sites import list_sites, list_zones
from fleet.db.vehicles import RIDER_CLASSES
from fleet.exceptions import NotFound
from fleet.identity import Operator
from fleet.pricing import Tariff
from fleet.sites import Site, SiteKind
from fleet.zones import Zone


@dataclass(frozen=True, slots=True)
class FeedSetup:
    """What every operator's feeds share on one platform.

    ``secret`` keys the public vehicle ids (see ``gbfs_fleet.public_vehicle_id``);
    ``contact_email`` is the feeds' contact (GBFS v3 asks for one); ``hold_s`` is how long
    a booking holds a vehicle before its unlock.
    """

    catalog: Catalog
    tariff: Tariff
    timezone: str
    language: str
    hold_s: int
    secret: bytes
    contact_email: str

    @property
    def zone(self) -> ZoneInfo:
        """The city's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def classes(self) -> tuple[VehicleClass, ...]:
        """The classes riders book that the catalog knows."""
        return tuple(c for c in RIDER_CLASSES if c in self.catalog)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One operator's feed data at ``now``."""

    operator: Operator
    now: datetime
    vehicles: Sequence[gbfs_db.ListedVehicle]
    stations: Sequence[Site]
    zones: Sequence[Zone]


def operators(engine: Engine) -> list[Operator]:
    """Every operator, the default one (the oldest) first."""
    with reading(engine) as conn:
        return gbfs_db.operators_by_age(conn)


def take_snapshot(engine: Engine, clock: Clock, operator_id: str) -> Snapshot:
    """Read the operator's feed data now; holds that ran out are let go first, so a vehicle
    whose hold expired is not shown reserved.

    Raises
    ------
    NotFound
        No operator has this id.
    """
    expire_due_holds(engine, clock)
    now = clock.now()
    with reading(engine) as conn:
        operator = gbfs_db.find_operator(conn, operator_id)
        if operator is None:
            msg = f"no operator {operator_id!r} publishes a feed here"
            raise NotFound(msg)
        return Snapshot(
            operator=operator,
            now=now,
            vehicles=gbfs_db.listed_vehicles(conn, operator_id, now),
            stations=list_sites(conn, operator_id, SiteKind.PARKING),
            zones=list_zones(conn, operator_id),
        )
