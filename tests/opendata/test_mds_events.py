"""The audit-to-MDS event mapping on its own (no database): every logged change it knows
becomes an event the micromobility model accepts, with the place and trip it should carry;
changes that alter no vehicle's state become none. And why the schema helper narrows the
modes: the spec's own ``oneOf`` refuses a plain micromobility ``trip_end``."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dispatch.opendata.mds_events import event_of
from dispatch.opendata.mds_items import STATUS_STATE
from fleet.catalog import DEFAULT_CATALOG
from fleet.db.mds import AuditFact
from fleet.geo import Position
from fleet.vehicles import VEHICLE_MACHINE, VehicleStatus
from tests.opendata import mds_schemas
from tests.opendata.test_mds_access import mds_root  # noqa: F401  (a fixture)

PROVIDER = "0b4f6a1e-2c3d-4e5f-8a9b-0c1d2e3f4a5b"
VEHICLE = "1c5a7b2f-3d4e-4f60-9b0c-1d2e3f4a5b6c"
BOOKING = "2d6b8c3a-4e5f-4071-8c1d-2e3f4a5b6c7d"
AT = datetime(2026, 3, 2, 0, 5, tzinfo=UTC)
STANDS, TARGET = Position(37.48, 126.87), Position(37.49, 126.88)


def fact(action: str, changes: dict | None = None, **more) -> AuditFact:
    base = dict(audit_id=7, at=AT, action=action, entity_id=BOOKING, vehicle_id=VEHICLE,
                vehicle_class="e_kickboard", vehicle_position=STANDS, vehicle_soc_pct=60.0,
                changes=changes or {})  # fmt: skip
    return AuditFact(**{**base, **more})


def event(f: AuditFact):
    return event_of(f, PROVIDER, DEFAULT_CATALOG)


def _check(root, item) -> None:
    assert mds_schemas.problems(mds_schemas.model(root, "event"), item) == [], item


CASES = [
    (fact("booking.hold", booking_start=TARGET), "reserved", "reservation_start", TARGET, None),
    (fact("booking.hold"), "reserved", "reservation_start", STANDS, None),
    (fact("booking.active", {"status": ["held", "active"], "start_lat": 37.49,
                             "start_lon": 126.88}), "on_trip", "trip_start", TARGET, BOOKING),
    (fact("booking.completed", {"status": ["active", "completed"], "end_lat": 37.49,
                                "end_lon": 126.88}), "available", "trip_end", TARGET, BOOKING),
    (fact("booking.cancelled"), "available", "reservation_cancel", STANDS, None),
    (fact("booking.expired"), "available", "reservation_cancel", STANDS, None),
    (fact("vehicle.create", {"status": "available", "lat": 37.49, "lon": 126.88}),
     "available", "provider_drop_off", TARGET, None),
    (fact("task.start", task_kind="swap", task_target=TARGET),
     "non_operational", "maintenance", TARGET, None),
    (fact("task.complete", {"soc_pct": [8.0, 97.0]}, task_kind="swap", task_target=TARGET),
     "available", "battery_charged", TARGET, None),
    (fact("task.complete", {"soc_pct": [8.0, 10.0]}, task_kind="swap", task_target=TARGET),
     "non_operational", "battery_low", TARGET, None),
    (fact("task.start", task_kind="rebalance", task_target=STANDS),
     "non_operational", "unspecified", STANDS, None),
    (fact("task.complete", task_kind="rebalance", task_target=STANDS),
     "removed", "rebalance_pick_up", STANDS, None),
    (fact("task.complete", {"lat": 37.49, "lon": 126.88}, task_kind="rebalance",
          task_is_drop=True, task_target=STANDS), "available", "provider_drop_off", TARGET, None),
    (fact("task.fail", {"reason": "blocked"}, task_kind="rebalance", task_is_drop=True),
     "available", "provider_drop_off", STANDS, None),
    (fact("task.fail", {"reason": "flat"}, task_kind="swap", vehicle_soc_pct=3.0),
     "non_operational", "battery_low", STANDS, None),
    (fact("task.cancel", {"reason": "by a manager"}, task_kind="rebalance", task_is_drop=True,
          pair_done=True), "available", "provider_drop_off", STANDS, None),
]  # fmt: skip


@pytest.mark.parametrize(("f", "state", "kind", "where", "trip"), CASES)
def test_each_logged_move_becomes_its_event(f, state, kind, where, trip, mds_root):  # noqa: F811
    item = event(f)
    assert (item["vehicle_state"], item["event_types"]) == (state, [kind])
    assert item["location"] == {"lat": where.lat, "lng": where.lon}
    assert item.get("trip_ids") == ([trip] if trip else None)
    assert item["timestamp"] == int(AT.timestamp() * 1000) and item["device_id"] == VEHICLE
    _check(mds_root, item)
    assert event(f)["event_id"] == item["event_id"]  # asking twice gives the same id


def test_every_status_change_a_vehicle_may_make_validates(mds_root):  # noqa: F811
    seen = 0
    for before in VehicleStatus:
        for after in VehicleStatus:
            if after is before or not VEHICLE_MACHINE.can(before, after):
                continue
            item = event(fact("vehicle.update", {"status": [str(before), str(after)]}))
            assert item is not None and item["vehicle_state"] == STATUS_STATE[after][0]
            _check(mds_root, item)
            seen += 1
    assert seen > 20
    charged = event(fact("vehicle.update", {"status": ["low_battery", "available"]}))
    assert charged["event_types"] == ["battery_charged"]
    assert event(fact("vehicle.update", {"status": ["available", "offline"]}))[
        "vehicle_state"] == "non_contactable"  # fmt: skip


@pytest.mark.parametrize(
    "f",
    [
        fact("vehicle.update", {"soc_pct": [60.0, 58.0]}),  # charge alone: telemetry says it
        fact("vehicle.update", {"lat": [37.4, 37.5], "lon": [126.8, 126.9]}),
        fact("vehicle.update", {"status": ["available", "flying"]}),
        fact("vehicle.update", {"status": [["odd"], {"x": 1}]}),
        fact("vehicle.create", {"status": ["available"]}),
        fact("task.start", task_kind="rebalance", task_is_drop=True),  # already in the van
        fact("task.start", task_kind="charge"),
        fact("task.cancel", {"reason": "x"}, task_kind="swap"),  # nothing was held
        fact("task.cancel", {"reason": "x"}, task_kind="rebalance", task_is_drop=True),
    ],
)
def test_changes_of_no_state_make_no_event(f):
    assert event(f) is None


def test_a_hostile_logged_place_falls_back_to_where_the_vehicle_stands(mds_root):  # noqa: F811
    for changes in ({"end_lat": 400, "end_lon": 126.88}, {"end_lat": "x", "end_lon": None},
                    {"end_lat": True, "end_lon": False}):  # fmt: skip
        item = event(fact("booking.completed", changes))
        assert item["location"] == {"lat": STANDS.lat, "lng": STANDS.lon}
        _check(mds_root, item)


def test_the_specs_own_mode_oneof_refuses_a_plain_trip_end(mds_root):  # noqa: F811
    """Why the helper narrows the modes: unnarrowed, a micromobility trip_end (and a vehicle
    with no mode-only field) is valid under several modes, which ``oneOf`` forbids."""
    trip_end = event(CASES[3][0])
    raw = mds_schemas.model(mds_root, "event", mode=None)
    refused = mds_schemas.problems(raw, trip_end)
    # the one complaint: the top-level oneOf, matched by more than one mode
    assert refused and all(p.startswith(": [oneOf]") for p in refused), refused
    assert "modes/micromobility" in refused[0] and "modes/car-share" in refused[0]
    _check(mds_root, trip_end)
    wrong = {**trip_end, "event_types": ["battery_low"]}  # not a state's event: refused
    assert mds_schemas.problems(mds_schemas.model(mds_root, "event"), wrong)
