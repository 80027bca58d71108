"""The courier solver on public benchmarks, against pyvroom and PyVRP at equal wall time.

For each Solomon (VRPTW, 10 s) and Li & Lim (PDPTW, 5 s) instance in ../shared/data/vrp, run
fleetops' solver (OR-Tools, started from VROOM's solution), pyvroom alone and, for VRPTW,
PyVRP, each with the same time; check every plan with the independent checker
(routing/vrp_check.py); compare with the best-known solutions of vrp/bks.csv. Writes
docs/benchmarks/vrp.md and vrp.json.
"""

from __future__ import annotations

import csv
import math
import sys
import time
from typing import Any

from tqdm import tqdm

from benchmarks.common import machine, settings_for_bench, table, write
from routing.instances import Family, Instance, read_instance
from routing.vroom_start import vroom_once
from routing.vrp import SolveParams, solve_instance
from routing.vrp_check import check

INSTANCES = [
    "lilim/lc101.txt",
    "lilim/lc201.txt",
    "lilim/lr101.txt",
    "lilim/lr201.txt",
    "lilim/lrc101.txt",
    "lilim/lrc201.txt",
    "solomon/C101.txt",
    "solomon/C201.txt",
    "solomon/R101.txt",
    "solomon/R201.txt",
    "solomon/RC101.txt",
    "solomon/RC201.txt",
]
SECONDS = {Family.LILIM: 5.0, Family.SOLOMON: 10.0}


def pyvrp_routes(instance: Instance, seconds: float) -> list[list[int]] | None:
    """PyVRP's routes for a VRPTW instance (same integer arcs as the other solvers)."""
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime

    scale = 1000
    model = Model()
    places = [model.add_location(instance.x[i], instance.y[i]) for i in range(instance.n)]
    depot = model.add_depot(
        places[0], tw_early=instance.ready[0] * scale, tw_late=instance.due[0] * scale
    )
    model.add_vehicle_type(
        num_available=instance.vehicles,
        capacity=instance.capacity,
        start_depot=depot,
        end_depot=depot,
        tw_early=instance.ready[0] * scale,
        tw_late=instance.due[0] * scale,
    )
    for i in range(1, instance.n):
        model.add_client(
            places[i],
            delivery=instance.demand[i],
            service_duration=instance.service[i] * scale,
            tw_early=instance.ready[i] * scale,
            tw_late=instance.due[i] * scale,
        )
    for i in range(instance.n):
        for j in range(instance.n):
            if i != j:
                arc = round(instance.distance(i, j) * scale)
                model.add_edge(places[i], places[j], distance=arc, duration=arc)
    result = model.solve(stop=MaxRuntime(seconds), seed=0, display=False)
    if not result.is_feasible():
        return None
    # activities number clients from 0, after the one depot: node = idx + 1
    return [[a.idx + 1 for a in route if a.is_client()] for route in result.best.routes()]


def run(instance: Instance, solver: str, seconds: float) -> tuple[list[list[int]] | None, str]:
    if solver == "fleetops":
        plan = solve_instance(instance, SolveParams(time_limit_s=seconds))
        return (plan.routes, plan.engine) if plan else (None, "")
    if solver == "pyvroom":
        return vroom_once(instance, time_limit_s=seconds), "vroom"
    return pyvrp_routes(instance, seconds), "pyvrp"


def main() -> None:
    settings = settings_for_bench()
    root = settings.data_dir / "vrp"
    if not (root / "bks.csv").exists():
        sys.exit(f"vrp benchmark needs {root} (FLEETOPS_DATA_DIR)")
    with (root / "bks.csv").open() as fh:
        bks = {row["instance"]: row for row in csv.DictReader(fh)}
    rows: list[dict[str, Any]] = []
    jobs = [
        (name, solver)
        for name in INSTANCES
        for solver in ("fleetops", "pyvroom", "pyvrp")
        if solver != "pyvrp" or name.startswith("solomon")
    ]
    for name, solver in tqdm(jobs, desc="vrp benchmark", unit="run", file=sys.stderr):
        instance = read_instance(root / name)
        seconds = SECONDS[instance.family]
        start = time.perf_counter()
        routes, engine = run(instance, solver, seconds)
        elapsed = time.perf_counter() - start
        best = bks[instance.name]
        verdict = check(instance, routes or [])
        gap = 100 * (verdict.distance / float(best["distance"]) - 1) if routes else math.nan
        rows.append(
            {
                "instance": instance.name,
                "family": str(instance.family),
                "solver": solver,
                "engine": engine,
                "seconds": round(elapsed, 2),
                "feasible": verdict.feasible,
                "vehicles": verdict.vehicles,
                "distance": round(verdict.distance, 2),
                "bks_vehicles": int(best["vehicles"]),
                "bks_distance": float(best["distance"]),
                "gap_pct": round(gap, 2),
            }
        )
    summary = []
    for family in (Family.LILIM, Family.SOLOMON):
        for solver in ("fleetops", "pyvroom", "pyvrp"):
            mine = [r for r in rows if r["family"] == family and r["solver"] == solver]
            if not mine:
                continue
            summary.append(
                {
                    "family": str(family),
                    "solver": solver,
                    "seconds": SECONDS[family],
                    "instances": len(mine),
                    "all_feasible": all(r["feasible"] for r in mine),
                    "mean_gap_pct": round(sum(r["gap_pct"] for r in mine) / len(mine), 2),
                    "vehicles": sum(r["vehicles"] for r in mine),
                    "bks_vehicles": sum(r["bks_vehicles"] for r in mine),
                }
            )
    md = [
        "# Vehicle-routing benchmarks",
        "",
        f"Measured by `make bench` on {machine()}.",
        "",
        __doc__.split("\n\n", 1)[1].strip(),
        "",
        "`engine`: which engine found the reported routes (`vroom` when OR-Tools did not "
        "improve VROOM's start).",
        "",
        "## Summary",
        "",
        table(
            summary,
            [
                ("family", "family"),
                ("solver", "solver"),
                ("seconds", "seconds"),
                ("instances", "instances"),
                ("all_feasible", "all feasible"),
                ("mean_gap_pct", "mean gap %"),
                ("vehicles", "vehicles"),
                ("bks_vehicles", "BKS vehicles"),
            ],
        ),
        "",
        "## Per instance",
        "",
        table(
            rows,
            [
                ("instance", "instance"),
                ("solver", "solver"),
                ("engine", "engine"),
                ("seconds", "s"),
                ("feasible", "feasible"),
                ("vehicles", "vehicles"),
                ("bks_vehicles", "BKS veh."),
                ("distance", "distance"),
                ("bks_distance", "BKS distance"),
                ("gap_pct", "gap %"),
            ],
        ),
    ]
    path = write("vrp", rows + [{"kind": "summary", **s} for s in summary], "\n".join(md))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
