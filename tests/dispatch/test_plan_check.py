"""The plan check finds what is broken: each test breaks one rule of a sound plan."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from dispatch.ops.crew_input import PlanKind
from dispatch.ops.crew_plan import plan_crews
from dispatch.ops.plan_check import problems
from fleet.ops import TaskKind
from tests.dispatch.crew_town import town


@pytest.fixture(scope="module")
def moves():
    """A sound rebalancing plan of a town and its snapshot."""
    snapshot = town(1, PlanKind.REBALANCING, vehicles=24)
    plan = plan_crews(snapshot, time_limit_s=0.4)
    assert problems(snapshot, plan) == []
    return snapshot, plan


@pytest.fixture(scope="module")
def swaps():
    """A sound swap plan of a town and its snapshot."""
    snapshot = town(0, vehicles=24)
    plan = plan_crews(snapshot, time_limit_s=0.4)
    assert problems(snapshot, plan) == []
    return snapshot, plan


def _with(plan, index, **changes):
    tasks = list(plan.tasks)
    tasks[index] = replace(tasks[index], **changes)
    return replace(plan, tasks=tasks)


def test_a_drop_where_vehicles_may_not_be_left(moves):
    snapshot, plan = moves
    k = next(i for i, t in enumerate(plan.tasks) if t.is_drop)
    forbidden = plan.tasks[k].target
    closed = replace(snapshot, may_drop=lambda p: p != forbidden)
    assert any("may not be left" in p for p in problems(closed, plan))


def test_a_van_over_its_capacity(moves):
    snapshot, plan = moves
    tight = replace(snapshot, vans=[replace(v, capacity_vehicles={}) for v in snapshot.vans])
    assert any("capacity 0" in p for p in problems(tight, plan))


def test_a_drop_before_its_pickup_or_on_another_van(moves):
    snapshot, plan = moves
    k = next(i for i, t in enumerate(plan.tasks) if t.is_drop)
    assert problems(snapshot, _with(plan, k, pair=None))
    assert problems(snapshot, _with(plan, k, shift_id="elsewhere"))


def test_a_route_past_the_shift_or_before_the_van(swaps):
    snapshot, plan = swaps
    early = replace(
        snapshot,
        vans=[replace(v, shift_end=v.available_from + timedelta(minutes=5)) for v in snapshot.vans],
    )
    assert any("after the shift ends" in p for p in problems(early, plan))
    first = plan.tasks[0]
    assert any(
        "before" in p
        for p in problems(snapshot, _with(plan, 0, arrive_at=first.arrive_at - timedelta(hours=1)))
    )


def test_more_packs_than_on_board_or_in_stock(swaps):
    snapshot, plan = swaps
    empty = replace(
        snapshot,
        vans=[replace(v, packs_on_board={}) for v in snapshot.vans],
        stations=[replace(s, charged={}) for s in snapshot.stations],
    )
    found = problems(empty, plan)
    assert any("no charged one on board" in p for p in found)
    if any(t.kind is TaskKind.CHARGE for t in plan.tasks):
        assert any("hands out" in p for p in found)


def test_a_vehicle_that_may_not_be_taken(swaps):
    snapshot, plan = swaps
    touched = {t.vehicle_id for t in plan.tasks if t.vehicle_id}
    held = [replace(v, movable=False) if v.id in touched else v for v in snapshot.vehicles]
    assert any("may not be taken" in p for p in problems(replace(snapshot, vehicles=held), plan))
