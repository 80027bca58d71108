"""The demo's crews: swap stations that stock kickboard and e-bike packs as well as moped packs,
a van for each crew member at the depot, and their shifts around the time of seeding."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from fleet.catalog import Catalog, VehicleClass
from fleet.city import CityProfile
from fleet.clock import Clock
from fleet.crews import CrewShift, Van
from fleet.db import crews as crews_db
from fleet.db import sites as sites_db
from fleet.db.engine import Connection
from fleet.identity import Role, User
from fleet.ids import Ids
from fleet.sites import BatteryPack, PackLocation, Site

#: Per station: moped slots are the station's own; kickboard and e-bike cabinets add half as
#: many each.
EXTRA_CABINETS = (VehicleClass.E_KICKBOARD, VehicleClass.E_BIKE)
#: What a demo van carries at once: a cargo van with racks.
VAN_CAPACITY = {VehicleClass.E_KICKBOARD: 10, VehicleClass.E_BIKE: 5, VehicleClass.E_MOPED: 0}
VAN_PACKS = 20
SHIFT_HOURS = 9


def stock_extra_cabinets(
    conn: Connection,
    stations: list[Site],
    catalog: Catalog,
    clock: Clock,
    seed: int,
    first_serial: int,
) -> int:
    """Give every station kickboard and e-bike cabinets, three quarters full, most packs charged;
    the packs made (serials continue from ``first_serial``)."""
    rng = random.Random(seed + 1)  # the main seeding's randomness stays as it was
    made = 0
    for station in stations:
        slots = {VehicleClass.E_MOPED: station.slots}
        base = station.slots  # slot numbers go on past the moped cabinet's
        for cls in EXTRA_CABINETS:
            slots[cls] = max(1, station.slots // 2)
            for i in range(int(slots[cls] * 0.75)):
                slot = base + i + 1
                made += 1
                charged = rng.random() < 0.8
                sites_db.insert_pack(
                    conn,
                    BatteryPack(
                        serial=f"PK-{first_serial + made:05d}",
                        operator_id=station.operator_id,
                        capacity_wh=catalog[cls].battery_wh,
                        soc_pct=100.0 if charged else round(rng.uniform(20, 90), 1),
                        health_pct=round(rng.uniform(82, 100), 1),
                        location=PackLocation.STATION,
                        location_id=station.id,
                        slot=slot,
                        pack_class=cls,
                    ),
                    soc_at=clock.now(),
                )
            base += slots[cls]
        crews_db.set_station_slots(conn, station.id, slots)
    return made


def seed_crews(
    conn: Connection,
    *,
    operator_id: str,
    depot: Site,
    users: dict[str, User],
    profile: CityProfile,
    clock: Clock,
    ids: Ids,
) -> int:
    """A van per crew member at ``depot`` and a shift each: 09:00-18:00 local time when seeded
    during the day, else from the hour of seeding; how many shifts."""
    now = clock.now().astimezone(profile.zone)
    start = datetime.combine(now.date(), time(9, 0), profile.zone)
    if not start <= now < start + timedelta(hours=SHIFT_HOURS - 1):
        start = now.replace(minute=0, second=0, microsecond=0)
    crew = [u for u in users.values() if u.role is Role.CREW]
    for n, member in enumerate(crew, start=1):
        van = crews_db.insert_van(
            conn,
            Van(ids.new_id(), operator_id, f"Van {n}", depot.id, VAN_CAPACITY, VAN_PACKS),
        )
        crews_db.insert_crew_shift(
            conn,
            CrewShift(
                ids.new_id(),
                operator_id,
                member.id,
                van.id,
                start,
                start + timedelta(hours=SHIFT_HOURS),
            ),
        )
    return len(crew)
