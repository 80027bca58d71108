"""The OR-Tools model on public benchmark instances, checked independently."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from routing.instances import Family, InstanceError, read_instance
from routing.vrp import SolveParams, solve_instance
from routing.vrp_check import check

INSTANCES = [
    "solomon/C101.txt",
    "solomon/C201.txt",
    "solomon/R101.txt",
    "solomon/R201.txt",
    "solomon/RC101.txt",
    "solomon/RC201.txt",
    "lilim/lc101.txt",
    "lilim/lc201.txt",
    "lilim/lr101.txt",
    "lilim/lr201.txt",
    "lilim/lrc101.txt",
    "lilim/lrc201.txt",
]


def bks(data_dir: Path) -> dict[str, dict[str, str]]:
    with (data_dir / "vrp" / "bks.csv").open() as fh:
        return {row["instance"]: row for row in csv.DictReader(fh)}


def read_solution(path: Path) -> list[list[int]]:
    routes = []
    for line in path.read_text().splitlines():
        if line.startswith("Route"):
            routes.append([int(x) for x in line.split(":", 1)[1].split()])
    return routes


@pytest.mark.shared_data
@pytest.mark.parametrize("name", INSTANCES)
def test_the_checker_accepts_the_best_known_solutions(data_dir, name):
    """The checker is independent of the solver: it must agree with the published optima."""
    instance = read_instance(data_dir / "vrp" / name)
    row = bks(data_dir)[instance.name]
    verdict = check(instance, read_solution(data_dir / "vrp" / row["bks_file"]))
    assert verdict.feasible, verdict.problems[:3]
    assert verdict.vehicles == int(row["vehicles"])
    assert verdict.distance == pytest.approx(float(row["distance"]), abs=0.06)


@pytest.mark.shared_data
def test_the_checker_catches_broken_plans(data_dir):
    instance = read_instance(data_dir / "vrp" / "lilim" / "lc101.txt")
    routes = read_solution(data_dir / "vrp" / "lilim" / "lc101.bks.txt")
    pickup, delivery = instance.pairs[0]
    swapped = [
        [delivery if n == pickup else pickup if n == delivery else n for n in r] for r in routes
    ]
    assert any("before its pickup" in p or "window" in p for p in check(instance, swapped).problems)
    assert "never visited" in " ".join(check(instance, routes[1:]).problems)


#: The search stops at its first solution: what it finds does not depend on the machine's speed
#: (the time limit is only a safety net). How far the search improves on it in a given time is
#: a benchmark's claim (docs/benchmarks/vrp.md), not a test's.
FIRST = SolveParams(time_limit_s=300, solution_limit=1)


@pytest.mark.shared_data
@pytest.mark.parametrize("start", ["vroom", "insertion"])
@pytest.mark.parametrize("name", ["solomon/C101.txt", "lilim/lc101.txt", "lilim/lrc201.txt"])
def test_first_solutions_are_feasible_and_vrooms_is_close_to_best_known(data_dir, name, start):
    instance = read_instance(data_dir / "vrp" / name)
    plan = solve_instance(instance, replace(FIRST, start=start))
    assert plan is not None
    verdict = check(instance, plan.routes)
    assert verdict.feasible, verdict.problems[:3]
    if instance.family is Family.LILIM:
        assert all(any(p in r and d in r for r in plan.routes) for p, d in instance.pairs)
    if start == "vroom":  # VROOM's start, read into the model with every constraint checked
        assert plan.engine == "vroom"
        best = float(bks(data_dir)[instance.name]["distance"])
        assert verdict.distance <= best * 1.10


@pytest.mark.shared_data
def test_solve_instance_prints_the_plan_as_json(data_dir):
    path = data_dir / "vrp" / "lilim" / "lc201.txt"
    result = subprocess.run(
        [sys.executable, "-m", "cli.main", "solve-instance", str(path), "--time-limit", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["instance"] == "lc201" and out["feasible"] is True
    assert out["vehicles"] == len(out["routes"]) >= 3
    assert out["engine"] in ("vroom", "ortools")
    assert sorted(c for r in out["routes"] for c in r) == list(range(1, 103))


def test_bad_instance_files_are_clear_errors(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("hello world\n")
    with pytest.raises(InstanceError, match="neither a Solomon"):
        read_instance(bad)
    with pytest.raises(InstanceError, match="cannot read"):
        read_instance(tmp_path / "missing.txt")
    result = subprocess.run(
        [sys.executable, "-m", "cli.main", "solve-instance", str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and "neither a Solomon" in result.stderr


@pytest.mark.shared_data
@pytest.mark.parametrize("name", INSTANCES)
def test_every_benchmark_file_solves_feasibly(data_dir, name):
    instance = read_instance(data_dir / "vrp" / name)
    plan = solve_instance(instance, SolveParams(time_limit_s=1))
    assert plan is not None
    verdict = check(instance, plan.routes)
    assert verdict.feasible, verdict.problems[:3]
