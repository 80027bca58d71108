"""Every status machine: each legal transition is allowed, each illegal one raises."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleet.bookings import BOOKING_MACHINE, BookingStatus
from fleet.catalog import VehicleClass
from fleet.delivery import JOB_MACHINE, LEGACY_JOB_STATUSES, SHIFT_MACHINE, JobStatus, ShiftStatus
from fleet.exceptions import IllegalTransition
from fleet.geo import Position
from fleet.ops import TASK_MACHINE, TaskStatus
from fleet.statemachine import Machine
from fleet.vehicles import VEHICLE_MACHINE, Vehicle, VehicleStatus
from fleet.workev import RESERVATION_MACHINE, ReservationStatus

MACHINES = [
    (VEHICLE_MACHINE, VehicleStatus),
    (BOOKING_MACHINE, BookingStatus),
    (JOB_MACHINE, JobStatus),
    (SHIFT_MACHINE, ShiftStatus),
    (RESERVATION_MACHINE, ReservationStatus),
    (TASK_MACHINE, TaskStatus),
]
IDS = [m.name for m, _ in MACHINES]


@pytest.mark.parametrize(("machine", "statuses"), MACHINES, ids=IDS)
def test_every_status_has_a_row(machine, statuses):
    assert set(machine.table) == set(statuses)


@pytest.mark.parametrize(("machine", "statuses"), MACHINES, ids=IDS)
def test_legal_and_illegal_pairs(machine, statuses):
    legal = illegal = 0
    for current, target in itertools.product(statuses, repeat=2):
        if target in machine.allowed(current):
            assert machine.check(current, target) is target
            legal += 1
        else:
            with pytest.raises(IllegalTransition) as info:
                machine.check(current, target)
            assert current.value in str(info.value) and target.value in str(info.value)
            illegal += 1
    assert legal > 0 and illegal > 0


@pytest.mark.parametrize(("machine", "statuses"), MACHINES, ids=IDS)
def test_every_status_is_reachable_from_the_first(machine, statuses):
    start = next(iter(statuses))
    seen, frontier = {start}, [start]
    while frontier:
        for nxt in machine.allowed(frontier.pop()):
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    legacy = LEGACY_JOB_STATUSES if machine is JOB_MACHINE else frozenset()
    assert seen == set(statuses) - legacy


def test_terminal_states_are_the_ends_of_a_life():
    assert BOOKING_MACHINE.terminal() == {
        BookingStatus.COMPLETED,
        BookingStatus.CANCELLED,
        BookingStatus.EXPIRED,
    }
    assert JOB_MACHINE.terminal() == {
        JobStatus.DELIVERED,
        JobStatus.RETURNED,
        JobStatus.PICKUP_FAILED,
        JobStatus.CANCELLED,
        *LEGACY_JOB_STATUSES,
    }
    assert VEHICLE_MACHINE.terminal() == frozenset()  # a vehicle always has a way back


def test_a_machine_refuses_a_table_that_leads_nowhere():
    with pytest.raises(ValueError, match="without a row"):
        Machine("broken", {BookingStatus.HELD: frozenset({BookingStatus.ACTIVE})})


@given(st.lists(st.sampled_from(list(VehicleStatus)), max_size=40))
def test_random_walks_of_a_vehicle_follow_the_table(path):
    vehicle = Vehicle(
        id="v1",
        operator_id="op",
        code="K-1",
        vehicle_class=VehicleClass.E_KICKBOARD,
        position=Position(37.55, 126.95),
        soc_pct=80,
        odometer_m=0,
        status=VehicleStatus.AVAILABLE,
        updated_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    for target in path:
        if VEHICLE_MACHINE.can(vehicle.status, target):
            vehicle = vehicle.moved_to(target, vehicle.updated_at)
            assert vehicle.status is target
        else:
            before = vehicle
            with pytest.raises(IllegalTransition):
                vehicle.moved_to(target, vehicle.updated_at)
            assert vehicle == before  # frozen: nothing changed
