"""Packs charge in their station over time; stations stock packs per type; a plan's reservation
takes a pack once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from fleet.catalog import DEFAULT_CATALOG, VehicleClass
from fleet.charging import TAPER_PCT, charged_soc, hours_to, pct_per_hour
from fleet.clock import FixedClock
from fleet.db import stock as stock_db
from fleet.db.engine import reading, writing
from fleet.db.tables import battery_packs, crew_shifts, station_slots, vans
from fleet.sites import CHARGED_PCT, PackLocation

KICK = DEFAULT_CATALOG[VehicleClass.E_KICKBOARD]
MOPED = DEFAULT_CATALOG[VehicleClass.E_MOPED]


def test_a_pack_charges_at_full_power_then_tapers(clock):
    t0 = clock.now()
    rate = pct_per_hour(MOPED)
    assert rate == pytest.approx(600 / 1314 * 100)
    assert charged_soc(20, t0, t0 + timedelta(hours=1), MOPED) == pytest.approx(20 + rate)
    to_taper = (TAPER_PCT - 20) / rate
    later = t0 + timedelta(hours=to_taper + 0.5)
    assert charged_soc(20, t0, later, MOPED) == pytest.approx(TAPER_PCT + rate / 2 * 0.5)
    assert charged_soc(20, t0, t0 + timedelta(days=1), MOPED) == 100.0
    assert charged_soc(50, t0, t0 - timedelta(hours=1), MOPED) == 50  # a clock going back
    # the figures of docs/vehicle-types.md
    assert hours_to(20, CHARGED_PCT, KICK) == pytest.approx(2.8, abs=0.05)
    assert hours_to(20, CHARGED_PCT, MOPED) == pytest.approx(2.0, abs=0.05)
    assert hours_to(20, CHARGED_PCT, DEFAULT_CATALOG[VehicleClass.E_BIKE]) == pytest.approx(
        2.5, abs=0.05
    )


def test_the_demo_stocks_every_pack_type_and_seeds_crews_with_vans(demo, engine):
    _app, summary, _prepared = demo
    with reading(engine) as conn:
        stock = stock_db.station_stock(conn, summary.operator_id)
        slots = conn.execute(select(station_slots)).mappings().all()
        assert conn.execute(select(vans)).all() and conn.execute(select(crew_shifts)).all()
        vehicle_packs = conn.execute(
            select(battery_packs.c.pack_class).where(
                battery_packs.c.location == str(PackLocation.VEHICLE)
            )
        ).scalars()
        fitted = set(vehicle_packs)
    assert stock and {s["pack_class"] for s in slots} == {"e_moped", "e_kickboard", "e_bike"}
    for station in stock:
        for cls in (VehicleClass.E_KICKBOARD, VehicleClass.E_BIKE, VehicleClass.E_MOPED):
            assert station.charged.get(cls, 0) >= 1, (station.name, cls)
            assert station.free_slots[cls] >= 1  # a quarter of each cabinet is free
    assert fitted == {"e_moped", "e_kickboard", "e_bike"}


def test_docked_packs_charge_up_to_the_time_they_are_read(demo, engine, clock):
    _app, summary, _prepared = demo
    with reading(engine) as conn:
        before = {
            s.site_id: dict(s.charged) for s in stock_db.station_stock(conn, summary.operator_id)
        }
    later = FixedClock(clock.now() + timedelta(hours=4))
    with writing(engine) as conn:
        changed = stock_db.charge_docked(conn, summary.operator_id, later.now(), DEFAULT_CATALOG)
        after = {
            s.site_id: dict(s.charged) for s in stock_db.station_stock(conn, summary.operator_id)
        }
        flat = conn.execute(
            select(func.count())
            .select_from(battery_packs)
            .where(
                battery_packs.c.location == str(PackLocation.STATION),
                battery_packs.c.soc_pct < CHARGED_PCT,
            )
        ).scalar_one()
    assert changed > 0 and flat == 0  # four hours charge every pack from 20 %
    assert all(sum(after[s].values()) > sum(before[s].values()) for s in before)


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_two_approvals_at_once_never_reserve_one_pack_twice(demo, engine):
    _app, summary, _prepared = demo
    with reading(engine) as conn:
        station = stock_db.station_stock(conn, summary.operator_id)[0]
    have = station.charged[VehicleClass.E_MOPED]

    def reserve(n: int) -> int:
        with writing(engine) as conn:
            return stock_db.reserve_packs(
                conn, station.site_id, VehicleClass.E_MOPED, have, f"task-{n}"
            )

    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(reserve, range(4)))
    assert sum(got) == have
    with reading(engine) as conn:
        left = stock_db.station_stock(conn, summary.operator_id)[0]
    assert left.charged.get(VehicleClass.E_MOPED, 0) == 0
    with writing(engine) as conn:
        assert stock_db.release_packs(conn, [f"task-{n}" for n in range(4)]) == have
