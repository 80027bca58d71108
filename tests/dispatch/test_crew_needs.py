"""Swap and move needs from a snapshot, and the demand law behind them."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from dispatch.ops.crew_input import PlanKind
from dispatch.ops.needs import move_needs, swap_needs
from dispatch.ops.stock import expected_served, survival, target_stock
from tests.dispatch.crew_town import town


def test_each_added_vehicle_serves_less_than_the_one_before():
    gains = survival(4.0, 2.0, 7.0, 10)
    assert all(a >= b for a, b in itertools.pairwise(gains))
    assert expected_served(4.0, 2.0, 7.0, 100) == pytest.approx(4.0, rel=1e-3)
    assert expected_served(0.0, 0.0, 0.0, 5) == 0.0
    assert target_stock(6.2) == 7


def test_low_vehicles_and_those_that_will_be_need_a_swap():
    snapshot = town(0, vehicles=24)
    needs = swap_needs(snapshot)
    low = {
        v.id
        for v in snapshot.vehicles
        if v.movable and v.soc_pct < snapshot.swap_threshold_pct[v.vehicle_class]
    }
    assert low <= {n.vehicle.id for n in needs.swaps}
    assert all(n.vehicle.movable for n in needs.swaps)
    assert [n.lost_trips for n in needs.swaps] == sorted(
        (n.lost_trips for n in needs.swaps), reverse=True
    )


def test_a_full_charge_needs_no_swap():
    snapshot = town(0, vehicles=24)
    full = replace(snapshot, vehicles=[replace(v, soc_pct=100.0) for v in snapshot.vehicles])
    assert swap_needs(full).swaps == []


def test_moves_go_from_surplus_to_deficit_cells_with_a_gain():
    snapshot = town(1, PlanKind.REBALANCING, vehicles=24)
    needs = move_needs(snapshot)
    assert needs.moves
    assert all(m.gain_trips > 0 and m.vehicle.cell != m.to_cell for m in needs.moves)
    assert all(m.vehicle.movable for m in needs.moves)
    assert len({m.vehicle.id for m in needs.moves}) == len(needs.moves)
