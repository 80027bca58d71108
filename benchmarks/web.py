"""The web under load (``python -m benchmarks web``; issue 15): the dashboard's vehicle feed with
10,000 vehicles and the riders' booking endpoint, loaded open-loop at fixed rates, with the
health endpoint as the baseline, all against one gunicorn server in one run.

Set-up (``benchmarks/web_setup.py``): a PostgreSQL schema of the benchmark's own and an empty
Redis index; the demo seeded by the CLI (``fleetops seed-demo --vehicles 10000``: the default
city, Seoul Mapo when its OSM extract is there); ``RIDERS`` rider accounts with tokens; the app
under ``fleetops web`` (gunicorn, ``WORKERS`` workers of ``THREADS`` threads) on a free loopback
port. The load comes from another process (``benchmarks/loadgen.py``), phase after phase:

- **health**: ``GET /api/v1/health`` (a database and a Redis round trip; 503 here, as no worker
  or scheduler runs, which is still its full answer);
- **vehicle feed**: ``GET /api/v1/ops/fleet`` as the manager, the whole 10,000-vehicle body each
  time; **vehicle feed, revalidated**: the same with the last ETag in ``If-None-Match`` (304);
- **booking**: ``POST /api/v1/bookings`` at a vehicle's place as the riders in turn, each booking
  cancelled at once by the same connection, so the fleet never runs out and no rider holds two;
  the row counts the book request alone, the cancels have their own row.

Latency runs from each request's scheduled instant to the end of its answer, so time spent
waiting behind slow answers counts (no coordinated omission); ``rps`` is the answers per second
achieved. ``lag_p99_ms`` is the generator's own delay in sending: small at the health baseline's
rate, it shows the generator keeps up. ``server_cores`` is the CPU the server's processes used
during the phase, in cores (the machine has ``os.cpu_count()``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import web_setup as setup
from benchmarks.common import machine, table, write
from config.settings import PROJECT_ROOT

BOOK_CLASSES = ["e_kickboard", "e_bike"]
#: (metric, limit in ms) each endpoint is held to.
GOALS = {"booking": ("p99_ms", 50.0), "vehicle feed": ("p95_ms", 100.0)}
#: What each endpoint's answers should be; anything else is an error.
EXPECTED = {
    "health": {200, 503},
    "vehicle feed": {200},
    "vehicle feed, revalidated": {304},
    "booking": {201},
    "booking cancel": {200},
}


@dataclass(frozen=True, slots=True)
class Load:
    """The run: fleet size, server shape, and the rate of each endpoint (requests per second)."""

    vehicles: int = 10_000
    riders: int = 600
    workers: int = 3
    threads: int = 16
    duration_s: float = 30.0
    rates: dict[str, float] = field(
        default_factory=lambda: {
            "health": 200.0,
            "vehicle feed": 10.0,
            "vehicle feed, revalidated": 10.0,
            "booking": 200.0,
        }
    )
    client_threads: int = 96
    city: str | None = None  # None: the CLI's default city
    warm_up_s: float = 5.0


def run(load: Load, work_dir: Path) -> dict[str, Any]:
    """Set everything up, load it, take it all down; the raw result of each phase."""
    with setup.pg_schema() as database_url, setup.redis_index() as redis_url:
        extra = {
            "FLEETOPS_WEB_WORKERS": str(load.workers),
            "FLEETOPS_WEB_THREADS": str(load.threads),
        }
        if load.city:
            extra["FLEETOPS_CITY"] = load.city
        env = setup.base_env(database_url, redis_url, work_dir / "var", **extra)
        seed_s = setup.seed(env, load.vehicles)
        riders = setup.add_riders(database_url, load.riders)
        with setup.gunicorn(env, work_dir / "gunicorn.log") as (port, pid):
            plan = _plan(load, port, pid, riders)
            (work_dir / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
            subprocess.run(
                [sys.executable, "-m", "benchmarks.loadgen", "plan.json", "result.json"],
                cwd=work_dir,
                env={**env, "PYTHONPATH": str(PROJECT_ROOT)},
                check=True,
            )
        result = json.loads((work_dir / "result.json").read_text(encoding="utf-8"))
        result["schema_url"], result["server_pid"] = database_url, pid
    result["seed_s"] = seed_s
    result["load"] = asdict(load)
    return result


def _plan(load: Load, port: int, pid: int, riders: list[str]) -> dict[str, Any]:
    """The load generator's plan: the manager's feed, places to book at, the phases."""
    manager = setup.call(
        port, "POST", "/api/v1/auth/token", {"username": "manager", "password": setup.DEMO_PASSWORD}
    )["token"]
    feed = setup.call(port, "GET", "/api/v1/ops/fleet", token=manager)
    points = [
        [v["lat"], v["lon"]]
        for v in feed["vehicles"]
        if v["status"] == "available" and v["vehicle_class"] in BOOK_CLASSES
    ][:1000]
    auth = {"Authorization": f"Bearer {manager}"}
    book = {"kind": "book", "riders": riders, "points": points, "classes": BOOK_CLASSES}
    kinds: dict[str, dict[str, Any]] = {
        "health": {"kind": "get", "path": "/api/v1/health"},
        "vehicle feed": {"kind": "get", "path": "/api/v1/ops/fleet", "headers": auth},
        "vehicle feed, revalidated": {
            "kind": "get",
            "path": "/api/v1/ops/fleet",
            "headers": auth,
            "revalidate": True,
        },
        "booking": book,
    }
    warm = [
        {
            **kinds[name],
            "name": f"warm-up: {name}",
            "rate": min(rate, 20.0),
            "duration_s": load.warm_up_s,
        }
        for name, rate in load.rates.items()
    ]
    phases = [
        {**kinds[name], "name": name, "rate": rate, "duration_s": load.duration_s}
        for name, rate in load.rates.items()
    ]
    return {
        "host": "127.0.0.1",
        "port": port,
        "server_pid": pid,
        "threads": load.client_threads,
        "timeout_s": 60,
        "phases": (warm if load.warm_up_s > 0 else []) + phases,
    }


def _row(
    name: str, phase: dict[str, Any], outcomes: list[dict[str, Any]], key: str
) -> dict[str, Any]:
    """One endpoint's row from its outcomes (``key``: where its status and latency are)."""
    status_key, latency_key = (
        ("status", "latency_s") if key == "book" else (f"{key}_status", f"{key}_s")
    )
    answered = [o for o in outcomes if isinstance(o.get(status_key), int)]
    latencies = np.array([o[latency_key] for o in answered]) * 1000 if answered else np.zeros(1)
    statuses: dict[str, int] = {}
    for o in outcomes:
        if status_key in o:
            statuses[str(o[status_key])] = statuses.get(str(o[status_key]), 0) + 1
    errors = sum(n for s, n in statuses.items() if not (s.isdigit() and int(s) in EXPECTED[name]))
    lags = np.array([o["lag_s"] for o in outcomes]) * 1000
    row = {
        "endpoint": name,
        "target_rps": phase["rate"] if key == "book" else None,
        "rps": round(len(answered) / phase["elapsed_s"], 1),
        "requests": sum(statuses.values()),
        "p50_ms": round(float(np.percentile(latencies, 50)), 1),
        "p95_ms": round(float(np.percentile(latencies, 95)), 1),
        "p99_ms": round(float(np.percentile(latencies, 99)), 1),
        "max_ms": round(float(latencies.max()), 1),
        "errors": errors,
        "statuses": statuses,
        "lag_p99_ms": round(float(np.percentile(lags, 99)), 1),
        "server_cores": round(phase["server_cpu_s"] / phase["elapsed_s"], 2),
        "generator_cores": round(phase["generator_cpu_s"] / phase["elapsed_s"], 2),
    }
    if name in GOALS:
        metric, limit = GOALS[name]
        row["goal"] = f"{metric} ≤ {limit:g} ms"
        row["distance_ms"] = round(max(0.0, row[metric] - limit), 1)
        row["met"] = row[metric] <= limit
    return row


def summarise(result: dict[str, Any]) -> list[dict[str, Any]]:
    """A row per endpoint of the measured phases (warm-ups left out); the booking phase gives
    its cancels a row of their own."""
    rows = []
    for phase in result["phases"]:
        if phase["name"].startswith("warm-up"):
            continue
        rows.append(_row(phase["name"], phase, phase["outcomes"], "book"))
        if phase["name"] == "booking":
            booked = [o for o in phase["outcomes"] if "cancel_status" in o]
            rows.append(_row("booking cancel", phase, booked, "cancel"))
    return rows


COLUMNS = [
    ("endpoint", "endpoint"),
    ("target_rps", "target rps"),
    ("rps", "rps"),
    ("requests", "requests"),
    ("p50_ms", "p50 ms"),
    ("p95_ms", "p95 ms"),
    ("p99_ms", "p99 ms"),
    ("max_ms", "max ms"),
    ("errors", "errors"),
    ("lag_p99_ms", "lag p99 ms"),
    ("server_cores", "server cores"),
    ("goal", "goal"),
    ("distance_ms", "over by ms"),
]

#: What the numbers say, written after reading them (see the docstring for the method).
NOTES = """Notes are written after the run; see the verdicts above."""


def markdown(rows: list[dict[str, Any]], result: dict[str, Any]) -> str:
    """The table, the set-up it ran on and the verdict on each goal."""
    load = result["load"]
    verdicts = [
        f"- **{r['endpoint']}**: {r['goal']}: "
        + ("met" if r["met"] else f"not met, {r['distance_ms']:g} ms over")
        + f" ({r['rps']:g} answers/s of {r['target_rps']:g} scheduled)"
        for r in rows
        if "goal" in r
    ]
    return (
        "# The web under load\n\n"
        + (__doc__ or "").split("\n\n", 1)[1]
        + "\n"
        + table([{**r, "target_rps": r["target_rps"] or ""} for r in rows], COLUMNS)
        + f"\n{load['vehicles']:,} vehicles seeded by the CLI in {result['seed_s']:.0f} s; "
        f"{load['riders']} riders; gunicorn {load['workers']} workers × {load['threads']} "
        f"threads; {load['duration_s']:g} s a phase after a {load['warm_up_s']:g} s warm-up at "
        f"20/s; generator {load['client_threads']} keep-alive connections. Booking cancels "
        "run on top of the booking rate (400 requests/s to the server in that phase). "
        f"Errors by status are in web.json. {machine()}.\n\n"
        + "\n".join(verdicts)
        + "\n\n"
        + NOTES
        + "\n"
    )


def main(argv: list[str] | None = None) -> None:
    """Run the full benchmark and write docs/benchmarks/web.md and web.json."""
    load = Load()
    with tempfile.TemporaryDirectory(prefix="fleetops-bench-web-") as tmp:
        result = run(load, Path(tmp))
    rows = summarise(result)
    path = write("web", [{**r, "load": result["load"]} for r in rows], markdown(rows, result))
    print(f"wrote {path}", file=sys.stderr)
    print(table(rows, COLUMNS), file=sys.stderr)


if __name__ == "__main__":
    main()
