"""Crew plans at scale: the OR-Tools planner against the greedy baseline (``python -m benchmarks
ops``; issue 14).

A synthetic city (a 30×30-block generated grid, about 3.3 km across) on the car graph; vehicles
of three classes on random road points with charges spread from 5 to 100 %; eight swap stations
with ten charged packs of each class; vans at a central depot on a two-hour shift. Demand per H3
cell over the two-hour horizon follows cell weights drawn from a seed, as the forecast generator
spreads a city's rides (``dispatch.forecast.history``), with P10/P90 from the forecast's own law
(``dispatch.forecast.spread.quantiles``).

Each plan is scored on **realised** demand the planner never saw: cell weights perturbed by a
log-normal factor under another seed, rides drawn as Poisson per cell, simulated over the horizon
(a rider takes a vehicle of the cell charged at or above its threshold; the ride lasts 14 min and
ends in a cell drawn from the realised destination weights). ``gain_trips`` = rides served with
the plan minus rides served with no plan, on the same draws (mean of twenty, ``± se`` its
standard error); ``ops_km`` the
vans' kilometres; ``swapped_pct`` the share of at-risk vehicles (those the swap needs named)
swapped. ``seconds`` is the planner's wall time, travel matrix included.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from benchmarks.common import machine, settings_for_bench, table, write
from benchmarks.routing import road_points, warm_up
from dispatch.forecast.cells import cell_of, centre
from dispatch.forecast.spread import quantiles
from dispatch.ops.crew_input import (
    CellDemand,
    CrewSnapshot,
    FleetVehicle,
    PlanKind,
    Proposal,
    ServiceTimes,
    StationStock,
    Van,
)
from dispatch.ops.crew_plan import plan_crews
from dispatch.ops.greedy import plan_greedy
from dispatch.ops.needs import needs_of
from dispatch.ops.plan_check import problems
from fleet.catalog import VehicleClass
from fleet.city import OsmSource, SyntheticSpec
from fleet.geo import Position
from fleet.ops import TaskKind
from routing.engine import Router
from routing.load import load_network
from routing.modes import Mode

CITY = SyntheticSpec(blocks_x=30, blocks_y=30, seed=7)
AT = datetime(2026, 7, 14, 8, 0, tzinfo=UTC)
HORIZON_S = 7200
SIZES = (500, 2000)
CREWS = (3, 10)
BUDGETS = (1.0, 5.0, 20.0)
#: Rides expected over the horizon per vehicle of the fleet.
RIDES_PER_VEHICLE = 0.6
CLASSES = (VehicleClass.E_KICKBOARD, VehicleClass.E_BIKE, VehicleClass.E_MOPED)
THRESHOLD = {VehicleClass.E_KICKBOARD: 15.0, VehicleClass.E_BIKE: 20.0, VehicleClass.E_MOPED: 20.0}
PER_RIDE = {VehicleClass.E_KICKBOARD: 6.0, VehicleClass.E_BIKE: 4.0, VehicleClass.E_MOPED: 5.0}
RIDE_S = 14 * 60
DRAWS = 20
GOAL = 1.3
NOTES = """Distance to the goal, honestly: not met, and out of reach over these needs. At 5 s no
row reaches 1.3× greedy's realised gain: the solver is level with greedy (0.93-1.02×, each
within about two standard errors of it) and drives fewer km in every 5 s row. What bounds it is
what both planners are offered, not the routes: meeting every need (any route, any km) would
expect only 1.08-1.14× greedy's expected gain in three of the four swap rows (the goal's list
above). In the rebalancing rows the needs hold more (1.4-2.1×), but what greedy leaves either
does not pay for its driving at the trip price (``TRIP_VALUE_S`` = 300 s a trip) or does not fit
the shifts, so serving it takes more driving, which the goal rules out. And on realised demand a
swap is worth a seventh to a third of its prize: the prize is the rides the forecast expects of
the vehicle, while in the simulation the other charged vehicles of the cell serve most of those
riders, so a plan better on expected terms barely moves the realised gain.

Changed since the first table: the time limit is the whole plan's (needs and matrix come out of
it, and a quarter of a second is kept to write the proposal, so the 20 s plans end within 20 s);
the search starts from greedy's routes, so it never answers worse than greedy on its own
objective (at 1 s with 10 crews it used to stay at a poor first solution, 0.52-0.62× greedy); a
visit's prize fades over the horizon, since demand comes through it and a late visit serves less
(``expected gain`` sums the unfaded prizes, so the solver may show less of it with more value);
twenty demand draws instead of three.

Weak points seen: guided local search from greedy's routes mostly reorders greedy's visits
(fewer km) and rarely changes which are made; a search from a cheapest-insertion start reached a
better objective on 500 vehicles and 3 crews but a worse one elsewhere, so it is not used. With
2,000 vehicles and 10 crews a travel matrix not yet cached takes about a second, most of a 1 s
budget (here the greedy plan before it warms the router's cache). Open: swap prizes from the
marginal rider (the cell's demand law, as moves use), moves and swaps on one van, a cost per km
beside the crew's time if fuel should weigh."""


def city(
    router: Router, n: int, crews: int, kind: PlanKind, seed: int
) -> tuple[CrewSnapshot, dict[str, float], dict[str, float]]:
    """The snapshot the planner sees, and the realised origin and destination weights."""
    rng = np.random.default_rng(seed)
    net = router.network
    points = road_points(net, n + 9, rng)
    fleet = [
        FleetVehicle(
            f"v{k}",
            CLASSES[k % 3],
            p,
            float(rng.uniform(5, 100)),
            bool(rng.uniform() > 0.05),
            cell_of(p),
        )
        for k, p in enumerate(points[:n])
    ]
    junctions = [Position(float(a), float(o)) for a, o in zip(net.lat, net.lon, strict=True)]
    names = sorted({cell_of(p) for p in junctions})
    origins = dict(zip(names, rng.gamma(0.8, 1.0, len(names)), strict=True))
    ends = dict(zip(names, rng.gamma(0.8, 1.0, len(names)), strict=True))
    total = RIDES_PER_VEHICLE * n
    means = np.array([origins[c] for c in names]) * total / sum(origins.values())
    p10, p90 = quantiles(means, 0.3)
    drops = np.array([ends[c] for c in names]) * total / sum(ends.values())
    by_cell: dict[str, list[Position]] = {}
    for p in junctions:
        by_cell.setdefault(cell_of(p), []).append(p)
    cells = [
        CellDemand(c, centre(c), float(m), float(lo), float(hi), float(d), by_cell[c][:3])
        for c, m, lo, hi, d in zip(names, means, p10, p90, drops, strict=True)
    ]
    stations = [
        StationStock(
            f"s{j}",
            f"Station {j}",
            points[n + j],
            {k: 10 for k in CLASSES},
            {k: 10 for k in CLASSES},
        )
        for j in range(8)
    ]
    depot = points[n + 8]
    vans = [
        Van(
            f"shift{k}",
            f"crew{k}",
            depot,
            depot,
            AT,
            AT + timedelta(seconds=HORIZON_S),
            {VehicleClass.E_KICKBOARD: 6, VehicleClass.E_BIKE: 3, VehicleClass.E_MOPED: 2},
            20,
            {k: 3 for k in CLASSES},
        )
        for k in range(crews)
    ]

    def matrix(positions):  # type: ignore[no-untyped-def]
        m = router.matrix(positions, positions)
        return m.duration_s, m.distance_m

    snapshot = CrewSnapshot(
        "bench",
        kind,
        AT,
        HORIZON_S,
        fleet,
        stations,
        vans,
        cells,
        THRESHOLD,
        PER_RIDE,
        ServiceTimes(),
        matrix,
        lambda p: True,
    )
    noise = np.random.default_rng(seed + 1000)
    real_o = {c: w * float(noise.lognormal(0, 0.35)) for c, w in origins.items()}
    real_d = {c: w * float(noise.lognormal(0, 0.35)) for c, w in ends.items()}
    return snapshot, real_o, real_d


def served(
    snapshot: CrewSnapshot,
    plan: Proposal | None,
    origins: dict[str, float],
    ends: dict[str, float],
    draw: int,
) -> int:
    """Rides served over the horizon on one realised draw, with or without the plan."""
    rng = np.random.default_rng(10_000 + draw)
    names = sorted(origins)
    w = np.array([origins[c] for c in names])
    total = RIDES_PER_VEHICLE * len(snapshot.vehicles)
    counts = rng.poisson(w * total / w.sum())
    d_names = sorted(ends)
    d_w = np.array([ends[c] for c in d_names])
    events: list[tuple[float, int, str, Any]] = []
    for c, k in zip(names, counts, strict=True):
        for t in rng.uniform(0, HORIZON_S, k):
            events.append(
                (float(t), 2, c, d_names[int(rng.choice(len(d_names), p=d_w / d_w.sum()))])
            )
    cls = {v.id: v.vehicle_class for v in snapshot.vehicles}
    soc = {v.id: v.soc_pct for v in snapshot.vehicles}
    where: dict[str, str | None] = {v.id: v.cell for v in snapshot.vehicles}
    busy: dict[str, float] = {}
    if plan is not None:
        for t in plan.tasks:
            at = (t.arrive_at - snapshot.at).total_seconds()
            if t.kind is TaskKind.SWAP:
                events.append((at, 0, "swap", t.vehicle_id))
            elif t.kind is TaskKind.REBALANCE and not t.is_drop:
                events.append((at, 0, "pick", t.vehicle_id))
            elif t.kind is TaskKind.REBALANCE:
                events.append((at, 1, "drop", (t.vehicle_id, cell_of(t.target))))
    events.sort(key=lambda e: (e[0], e[1]))
    done = 0
    for t, _, what, arg in events:
        if what == "swap":
            soc[arg] = 100.0
        elif what == "pick":
            if busy.get(arg, 0) <= t:
                where[arg] = None
        elif what == "drop":
            vid, cell = arg
            where[vid] = cell
        else:
            free = [
                v
                for v, c in where.items()
                if c == what and busy.get(v, 0) <= t and soc[v] >= THRESHOLD[cls[v]]
            ]
            if not free:
                continue
            v = max(free, key=lambda x: soc[x])
            done += 1
            busy[v] = t + RIDE_S
            soc[v] = max(0.0, soc[v] - PER_RIDE[cls[v]])
            where[v] = arg
    return done


def baseline(
    snapshot: CrewSnapshot, origins: dict[str, float], ends: dict[str, float]
) -> list[int]:
    """Rides served with no plan, per draw (shared by every plan of the snapshot)."""
    return [served(snapshot, None, origins, ends, d) for d in range(DRAWS)]


def score(
    snapshot: CrewSnapshot,
    plan: Proposal,
    at_risk: int,
    realised: tuple[dict[str, float], dict[str, float], list[int]],
) -> dict[str, Any]:
    """A plan's row: realised gain over the no-plan ``realised[2]``, km, swaps, checks."""
    origins, ends, base = realised
    gains = [served(snapshot, plan, origins, ends, d) - base[d] for d in range(DRAWS)]
    swapped = len({t.vehicle_id for t in plan.tasks if t.kind is TaskKind.SWAP})
    return {
        "gain_trips": round(float(np.mean(gains)), 1),
        "gain_se": round(float(np.std(gains, ddof=1) / np.sqrt(DRAWS)), 1),
        "ops_km": round(sum(r.distance_m for r in plan.routes) / 1000, 1),
        "swapped_pct": round(100 * swapped / at_risk, 1) if at_risk else 0.0,
        "expected_gain": plan.expected_gain_trips,
        "problems": len(problems(snapshot, plan)),
    }


def rows() -> list[dict[str, Any]]:
    settings = settings_for_bench()
    warm_up()
    router = Router(load_network(OsmSource(synthetic=CITY), Mode.CAR, settings.cache_dir))
    out = []
    for n in SIZES:
        for crews in CREWS:
            for kind in PlanKind:
                snapshot, origins, ends = city(router, n, crews, kind, seed=n + crews)
                needs = needs_of(snapshot)
                at_risk = len(needs.swaps) + sum(1 for u in needs.undone if u.vehicle_id)
                ceiling = sum(n.lost_trips for n in needs.swaps)
                ceiling += sum(n.gain_trips for n in needs.moves)
                started = time.perf_counter()
                greedy = plan_greedy(snapshot)
                greedy_s = time.perf_counter() - started
                realised = (origins, ends, baseline(snapshot, origins, ends))
                g = score(snapshot, greedy, at_risk, realised)
                for budget in BUDGETS:
                    started = time.perf_counter()
                    plan = plan_crews(snapshot, time_limit_s=budget)
                    seconds = time.perf_counter() - started
                    s = score(snapshot, plan, at_risk, realised)
                    row = {
                        "vehicles": n,
                        "crews": crews,
                        "kind": str(kind),
                        "budget_s": budget,
                        "gain_trips": s["gain_trips"],
                        "gain_se": s["gain_se"],
                        "ops_km": s["ops_km"],
                        "greedy_gain_trips": g["gain_trips"],
                        "greedy_gain_se": g["gain_se"],
                        "greedy_ops_km": g["ops_km"],
                        "swapped_pct": s["swapped_pct"],
                        "greedy_swapped_pct": g["swapped_pct"],
                        "seconds": round(seconds, 2),
                        "greedy_seconds": round(greedy_s, 2),
                        "expected_gain": s["expected_gain"],
                        "greedy_expected_gain": g["expected_gain"],
                        "needs_expected": round(ceiling, 1),
                        "tasks": len(plan.tasks),
                        "greedy_tasks": len(greedy.tasks),
                        "check_problems": s["problems"] + g["problems"],
                        "ratio": round(s["gain_trips"] / g["gain_trips"], 2)
                        if g["gain_trips"] > 0
                        else None,
                    }
                    print(row, file=sys.stderr, flush=True)
                    out.append(row)
    return out


COLUMNS = [
    ("vehicles", "vehicles"),
    ("crews", "crews"),
    ("kind", "kind"),
    ("budget_s", "budget s"),
    ("gain_trips", "gain trips"),
    ("gain_se", "± se"),
    ("greedy_gain_trips", "greedy gain"),
    ("greedy_gain_se", "± se"),
    ("ratio", "× greedy"),
    ("ops_km", "ops km"),
    ("greedy_ops_km", "greedy km"),
    ("swapped_pct", "swapped %"),
    ("greedy_swapped_pct", "greedy swapped %"),
    ("seconds", "seconds"),
    ("expected_gain", "expected gain"),
    ("greedy_expected_gain", "greedy expected"),
    ("needs_expected", "all needs expected"),
    ("check_problems", "check problems"),
]


def verdict(found: list[dict[str, Any]]) -> list[str]:
    lines = []
    at5 = [r for r in found if r["budget_s"] == 5.0]
    met = [
        r
        for r in at5
        if r["ratio"] is not None and r["ratio"] >= GOAL and r["ops_km"] <= r["greedy_ops_km"]
    ]
    lines.append(
        f"- At 5 s: {len(met)} of {len(at5)} rows meet gain ≥ {GOAL}× greedy's with no more ops km."
    )
    fewer_km = sum(1 for r in at5 if r["ops_km"] <= r["greedy_ops_km"])
    level = sum(1 for r in at5 if r["gain_trips"] >= r["greedy_gain_trips"] - 2 * r["gain_se"])
    lines.append(
        f"- At 5 s: no more km than greedy in {fewer_km} of {len(at5)} rows; realised gain at "
        f"least greedy's less two standard errors in {level} of {len(at5)}."
    )
    for r in at5:
        if r not in met:
            lines.append(
                f"  - not met: {r['vehicles']} vehicles, {r['crews']} crews, {r['kind']}: "
                f"{r['ratio']}× greedy, {r['ops_km']} km against {r['greedy_ops_km']} km; "
                f"meeting every need would expect {_headroom(r)}× greedy's expected gain"
            )
    big = [r for r in found if r["vehicles"] == 2000 and r["crews"] == 10]
    slowest = max((r["seconds"] for r in big), default=0.0)
    within = all(r["seconds"] <= 20.0 for r in big)
    lines.append(
        f"- 2,000 vehicles, 10 crews: the slowest plan took {slowest:.1f} s, matrix included "
        f"(goal: within 20 s: {'met' if within else 'not met'})."
    )
    lines += ["", NOTES]
    return lines


def _headroom(row: dict[str, Any]) -> str:
    """Every need's expected trips over greedy's expected gain: the most any plan could
    expect over the same needs, whatever its routes and however many km."""
    greedy = row["greedy_expected_gain"]
    return f"{row['needs_expected'] / greedy:.2f}" if greedy else "n/a"


def render(found: list[dict[str, Any]]) -> str:
    """The markdown page of these rows."""
    md = [
        "# Crew plans: OR-Tools against greedy (issue 14)",
        "",
        (__doc__ or "").split("\n\n", 1)[1].strip(),
        "",
        f"Machine: {machine()}.",
        "",
        table(found, COLUMNS),
        "## Against the goal",
        "",
        *verdict(found),
        "",
    ]
    return "\n".join(md)


def main() -> None:
    found = rows()
    path = write("ops", found, render(found))
    print(f"wrote {path}", file=sys.stderr)
