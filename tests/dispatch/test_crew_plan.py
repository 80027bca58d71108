"""The crews' planner and the greedy baseline, walked by the independent plan check."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dispatch.ops.crew_input import PlanKind, Proposal
from dispatch.ops.crew_plan import NO_VAN, NOTHING, plan_crews
from dispatch.ops.crew_proposal import NO_TIME
from dispatch.ops.greedy import plan_greedy
from dispatch.ops.needs import NO_PACK
from dispatch.ops.plan_check import problems
from fleet.catalog import VehicleClass
from fleet.ops import TaskKind
from tests.dispatch.crew_town import town, without_vans

LIMIT_S = 0.4


def solved(snapshot, seed=0) -> Proposal:
    return plan_crews(snapshot, time_limit_s=LIMIT_S, seed=seed)


@pytest.mark.parametrize("kind", list(PlanKind))
@pytest.mark.parametrize("seed", range(4))
def test_both_planners_pass_the_independent_check(kind, seed):
    """Over several towns, neither planner breaks a rule, and each plans something."""
    snapshot = town(seed, kind, vehicles=24)
    for plan in (solved(snapshot, seed), plan_greedy(snapshot)):
        assert problems(snapshot, plan) == []
        assert plan.tasks
        assert plan.expected_gain_trips == pytest.approx(sum(t.gain_trips for t in plan.tasks))
        for route in plan.routes:
            assert route.distance_m > 0
            assert route.duration_s > 0


def test_tasks_say_why_and_come_in_route_order():
    """A swap's reason names the threshold and the trips expected; sequences run from 1."""
    plan = solved(town(0, vehicles=24))
    assert plan.solver.startswith("or-tools")
    swaps = [t for t in plan.tasks if t.kind is TaskKind.SWAP]
    assert swaps
    assert all("% charge" in t.reason and "trips expected" in t.reason for t in swaps)
    for shift in {t.shift_id for t in plan.tasks}:
        mine = [t for t in plan.tasks if t.shift_id == shift]
        assert [t.sequence for t in mine] == list(range(1, len(mine) + 1))
        assert [t.arrive_at for t in mine] == sorted(t.arrive_at for t in mine)


def test_a_forbidden_drop_point_is_never_used():
    """Forbid the best drop point of every cell: moves still happen, at the other points only."""
    free = town(1, PlanKind.REBALANCING, vehicles=24)
    forbidden = frozenset(c.drop_points[0] for c in free.cells)
    snapshot = town(1, PlanKind.REBALANCING, vehicles=24, forbidden=forbidden)
    for plan in (solved(snapshot), plan_greedy(snapshot)):
        drops = [t for t in plan.tasks if t.is_drop]
        assert drops
        assert not {t.target for t in drops} & forbidden
        assert problems(snapshot, plan) == []


def test_a_cell_with_no_drop_point_gets_nothing_and_says_so():
    snapshot = town(1, PlanKind.REBALANCING, vehicles=24)
    closed = frozenset(p for c in snapshot.cells for p in c.drop_points)
    plan = solved(town(1, PlanKind.REBALANCING, vehicles=24, forbidden=closed))
    assert not [t for t in plan.tasks if t.is_drop]
    assert plan.undone
    assert all("no place in the cell" in u.reason for u in plan.undone)


def test_a_van_that_cannot_carry_a_class_never_does():
    """Vans with no room for e-bikes move none, and the plan still checks."""
    base = town(2, PlanKind.REBALANCING, vehicles=24)
    vans = [
        replace(v, capacity_vehicles={**v.capacity_vehicles, VehicleClass.E_BIKE: 0})
        for v in base.vans
    ]
    snapshot = replace(base, vans=vans)
    classes = {v.id: v.vehicle_class for v in snapshot.vehicles}
    for plan in (solved(snapshot), plan_greedy(snapshot)):
        moved = {classes[t.vehicle_id] for t in plan.tasks if t.kind is TaskKind.REBALANCE}
        assert moved
        assert VehicleClass.E_BIKE not in moved
        assert problems(snapshot, plan) == []


def test_unmovable_vehicles_are_never_touched():
    snapshot = town(3, vehicles=24)
    held = {v.id for v in snapshot.vehicles if not v.movable}
    assert held
    for plan in (solved(snapshot), plan_greedy(snapshot)):
        assert not {t.vehicle_id for t in plan.tasks} & held


def test_a_short_shift_leaves_needs_undone_with_a_reason():
    """A 10-minute shift cannot reach every low vehicle: the rest is undone, with why."""
    snapshot = town(0, vehicles=24, shift_h=10 / 60, spread_m=2500)
    for plan in (solved(snapshot), plan_greedy(snapshot)):
        assert plan.undone
        assert any(u.reason == NO_TIME for u in plan.undone)
        assert all(u.reason and u.vehicle_id for u in plan.undone)
        assert problems(snapshot, plan) == []


def test_no_van_on_shift_gives_an_empty_plan_that_says_so():
    plan = solved(without_vans(town(0, vehicles=24)))
    assert plan.tasks == [] and plan.routes == []
    assert plan.undone and {u.reason for u in plan.undone} == {NO_VAN}


def test_no_need_gives_an_empty_plan_that_says_so():
    snapshot = town(0, vehicles=24)
    charged = [replace(v, soc_pct=100.0) for v in snapshot.vehicles]
    plan = solved(replace(snapshot, vehicles=charged))
    assert plan.tasks == []
    assert [u.reason for u in plan.undone] == [NOTHING]


def test_no_charged_pack_anywhere_gives_an_empty_plan_that_says_so():
    snapshot = town(0, vehicles=24)
    stations = [replace(s, charged={}) for s in snapshot.stations]
    vans = [replace(v, packs_on_board={}) for v in snapshot.vans]
    plan = solved(replace(snapshot, stations=stations, vans=vans))
    assert plan.tasks == []
    assert plan.undone and {u.reason for u in plan.undone} == {NO_PACK}


def test_an_empty_fleet_gives_an_empty_plan():
    snapshot = replace(town(0), vehicles=[], cells=[])
    for plan in (solved(snapshot), plan_greedy(snapshot)):
        assert plan.tasks == [] and plan.undone


def test_progress_is_told_from_start_to_done():
    told = []
    plan_crews(town(0), time_limit_s=LIMIT_S, progress=lambda f, m: told.append((f, m)))
    assert told[0] == (0.0, "reading needs")
    assert told[-1] == (1.0, "done")
    assert [f for f, _ in told] == sorted(f for f, _ in told)
