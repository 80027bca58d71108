"""A lunch peak over HTTP, and re-plans at scale (``python -m benchmarks couriers``).

Part one runs the platform as it is deployed: gunicorn on PostgreSQL (a schema of its own), a
worker with rq's scheduler and the periodic scheduler, on a Redis server of its own. Merchants
post 240 delivery jobs at concurrency 20 while the re-plans the posts request run on the worker;
meanwhile a rider books and cancels in a process of their own, and the same bookings are timed
on the idle server first, in the same run. A failed post is a 5xx, a connection error or an
answer after 30 s; a job stored ``unassigned`` with a reason is an answer, not a failure.

Part two re-plans in process at 200 open jobs for 5 couriers and 500 for 20: served, dropped
(with reasons), seconds, against the time limit.

Writes docs/benchmarks/couriers.md and couriers.json.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from benchmarks.common import OUT, machine, settings_for_bench
from benchmarks.couriers_scale import replan_rows
from cli.redis_server import EmbeddedRedis, free_port
from config.cities import load_city, resolve_city_name
from config.settings import PROJECT_ROOT

PG_URL = os.environ.get("FLEETOPS_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
POSTS = 240
CONCURRENCY = 20
FAIL_AFTER_S = 30.0
IDLE_BOOKINGS = 100
WARM_UP = 20
PASSWORD = "fleetops-demo"


# --- HTTP, with nothing but the standard library -------------------------------------------


def _call(method: str, url: str, body: dict | None = None, token: str | None = None) -> Any:
    request = urllib.request.Request(
        url,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {token}"} if token else {}),
        },
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, json.load(response)


def _token(base: str, username: str) -> str:
    _, body = _call(
        "POST", f"{base}/api/v1/auth/token", {"username": username, "password": PASSWORD}
    )
    return str(body["token"])


def _book_once(base: str, token: str, spot: tuple[float, float]) -> float:
    """Book a kickboard near ``spot`` and cancel it; the booking's seconds."""
    started = time.perf_counter()
    status, body = _call(
        "POST",
        f"{base}/api/v1/bookings",
        {"lat": spot[0], "lon": spot[1], "vehicle_classes": ["e_kickboard"]},
        token,
    )
    took = time.perf_counter() - started
    if status == 201:
        _call("POST", f"{base}/api/v1/bookings/{body['id']}/cancel", {}, token)
    return took


def _booking_probe(base: str, token: str, spots: list, count: int, stop: Any, out: Any) -> None:
    """In a process of its own: book and cancel ``count`` times, or until ``stop`` is set."""
    rng = random.Random(1)
    times = []
    while (count and len(times) < count) or (not count and not stop.is_set()):
        try:
            times.append(_book_once(base, token, rng.choice(spots)))
        except (urllib.error.URLError, OSError) as exc:
            times.append(float("nan"))
            print(f"booking failed: {exc}", file=sys.stderr)
        if not count:
            time.sleep(0.05)
    out.put(times)


_SPAWN = mp.get_context("spawn")


def _probe(base: str, token: str, spots: list, count: int, stop: Any) -> tuple[Any, Any]:
    """The booking probe's process and the queue its times come back on; ``stop`` must live
    until the process has ended (its semaphore goes with it)."""
    out = _SPAWN.Queue()
    process = _SPAWN.Process(target=_booking_probe, args=(base, token, spots, count, stop, out))
    process.start()
    return process, out


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(v for v in values if v == v)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# --- the platform's processes ----------------------------------------------------------------


@contextmanager
def _schema():
    name = f"bench_couriers_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{name}", name
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "cli.main", *args],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def _wait_healthy(base: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        try:
            _, last = _call("GET", f"{base}/api/v1/health")
            return
        except urllib.error.HTTPError as exc:
            last = json.load(exc)
        except OSError as exc:
            last = exc
        time.sleep(0.5)
    msg = f"the platform was not healthy within {timeout_s:.0f} s: {last}"
    raise RuntimeError(msg)


def _lunch(city_zone: Any) -> datetime:
    today = datetime.now(city_zone).date()
    return datetime.combine(today, dtime(12, 0), city_zone)


def _post(base: str, token: str, body: dict) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        status, answer = _call("POST", f"{base}/api/v1/delivery-jobs", body, token)
    except urllib.error.HTTPError as exc:
        status, answer = exc.code, {}
    except OSError as exc:
        return {"seconds": time.perf_counter() - started, "failed": True, "error": str(exc)}
    took = time.perf_counter() - started
    return {
        "seconds": took,
        "status": status,
        "failed": status >= 500 or took > FAIL_AFTER_S,
        "job_status": answer.get("status"),
        "reason": answer.get("reason"),
    }


def _jobs(spots: list[tuple[float, float]], now: datetime, n: int) -> list[dict]:
    rng = random.Random(240)

    def window(hours: float) -> dict[str, str]:
        return {"start": now.isoformat(), "end": (now + timedelta(hours=hours)).isoformat()}

    bodies = []
    for _ in range(n):
        a, b = rng.sample(spots, 2)
        bodies.append(
            {
                "pickup": {"lat": a[0], "lon": a[1]},
                "dropoff": {"lat": b[0], "lon": b[1]},
                "pickup_window": window(1),
                "dropoff_window": window(rng.choice((2, 2.5, 3))),
                "parcel_l": rng.choice((3, 5, 8, 12)),
            }
        )
    return bodies


def lunch_peak(city: str, work: Path) -> dict[str, Any]:
    """Part one (see the module docstring)."""
    settings = settings_for_bench()
    profile = load_city(city, settings.data_dir)
    now = _lunch(profile.zone)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = work / "platform.log"
    with _schema() as (url, _name), EmbeddedRedis(work / "redis", port=free_port()) as redis:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "REDIS_URL": redis.url,
            "FLEETOPS_CITY": city,
            "FLEETOPS_VAR_DIR": str(work / "var"),
            "FLEETOPS_CACHE_DIR": str(settings.cache_dir),
            "FLEETOPS_FIXED_TIME": now.isoformat(),
            "SECRET_KEY": "bench",
            "PORT": str(port),
        }
        subprocess.run(
            [sys.executable, "-m", "cli.main", "seed-demo", "--city", city],
            env=env,
            cwd=PROJECT_ROOT,
            check=True,
            capture_output=True,
        )
        processes = [_spawn([name], env, log) for name in ("web", "worker", "scheduler")]
        try:
            _wait_healthy(base, 300)
            return _drive(base, now, url)
        finally:
            for process in reversed(processes):
                _stop(process)


def _drive(base: str, now: datetime, url: str) -> dict[str, Any]:
    merchants = [_token(base, f"merchant{i}") for i in (1, 2, 3)]
    rider = _token(base, "rider1")
    _, listed = _call("GET", f"{base}/api/v1/vehicles?per_page=500")
    spots = [(v["lat"], v["lon"]) for v in listed["data"] if v["vehicle_class"] == "e_kickboard"]
    every = [(v["lat"], v["lon"]) for v in listed["data"] if v["vehicle_class"] != "work_ev"]
    bodies = _jobs(every, now, POSTS + 1)
    warm = _post(base, merchants[0], bodies[-1])  # the posting path's first call (compiling)
    for _ in range(WARM_UP):
        _book_once(base, rider, spots[0])

    stop = _SPAWN.Event()
    process, out = _probe(base, rider, spots, IDLE_BOOKINGS, stop)
    idle = out.get()
    process.join()

    stop = _SPAWN.Event()
    process, out = _probe(base, rider, spots, 0, stop)
    time.sleep(1.0)  # the probe is booking
    started = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        posts = list(pool.map(lambda n: _post(base, merchants[n % 3], bodies[n]), range(POSTS)))
    burst_s = time.perf_counter() - started
    stop.set()
    loaded = out.get()
    process.join()

    engine = sa.create_engine(url)
    deadline = time.monotonic() + 120
    with engine.connect() as conn:
        replans = conn.execute(
            sa.text("SELECT count(*) FROM audit_log WHERE action = 'plans.reoptimise'")
        ).scalar_one()
        while time.monotonic() < deadline:  # the re-plans the burst requested finish
            pending = conn.execute(
                sa.text("SELECT count(*) FROM delivery_jobs WHERE status = 'unassigned'")
            ).scalar_one()
            time.sleep(2)
            later = conn.execute(
                sa.text("SELECT count(*) FROM audit_log WHERE action = 'plans.reoptimise'")
            ).scalar_one()
            if later == replans:
                break
            replans = later
        statuses = dict(
            conn.execute(sa.text("SELECT status, count(*) FROM delivery_jobs GROUP BY status"))
            .tuples()
            .all()
        )
    engine.dispose()
    seconds = [p["seconds"] for p in posts]
    reasons = Counter(p.get("reason") for p in posts if p.get("job_status") == "unassigned")
    return {
        "posts": POSTS,
        "concurrency": CONCURRENCY,
        "burst_s": round(burst_s, 1),
        "failed_posts": sum(p["failed"] for p in posts),
        "answers": dict(Counter(str(p.get("status", "error")) for p in posts)),
        "assigned_at_post": sum(p.get("job_status") == "assigned" for p in posts),
        "unassigned_at_post": sum(p.get("job_status") == "unassigned" for p in posts),
        "unassigned_reasons": dict(reasons),
        "post_p50_ms": round(statistics.median(seconds) * 1000),
        "post_p99_ms": round(_pct(seconds, 0.99) * 1000),
        "post_max_ms": round(max(seconds) * 1000),
        "warm_up_post_ms": round(warm["seconds"] * 1000),
        "booking_p50_ms_idle": round(_pct(idle, 0.5) * 1000, 1),
        "booking_p99_ms_idle": round(_pct(idle, 0.99) * 1000, 1),
        "booking_p50_ms_loaded": round(_pct(loaded, 0.5) * 1000, 1),
        "booking_p99_ms_loaded": round(_pct(loaded, 0.99) * 1000, 1),
        "bookings_idle": len(idle),
        "bookings_loaded": len(loaded),
        "failed_bookings": sum(1 for t in idle + loaded if t != t),
        "replans_written": replans,
        "jobs_after": statuses,
        "unassigned_after_replans": pending,
    }


def _markdown(result: dict[str, Any]) -> str:
    peak = result["lunch_peak"]
    ratio = peak["booking_p99_ms_loaded"] / peak["booking_p99_ms_idle"]
    p50_ratio = peak["booking_p50_ms_loaded"] / peak["booking_p50_ms_idle"]
    lines = [
        "# Couriers through a lunch peak, and re-plans at scale",
        "",
        f"Measured on {result['machine']} by `python -m benchmarks couriers` "
        f"(city: {result['city']}). See the module docstring for what runs.",
        "",
        "## Lunch peak over HTTP (gunicorn, PostgreSQL, worker + scheduler)",
        "",
        f"{peak['posts']} posts at concurrency {peak['concurrency']} took {peak['burst_s']} s; "
        f"{peak['replans_written']} re-plans were written during and right after the burst.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| failed posts (5xx, connection error, > 30 s) | {peak['failed_posts']} |",
        f"| answers by status | {peak['answers']} |",
        f"| assigned at once / unassigned with a reason | {peak['assigned_at_post']} / "
        f"{peak['unassigned_at_post']} |",
        f"| unassigned reasons | {peak['unassigned_reasons'] or '-'} |",
        f"| post latency p50 / p99 / max | {peak['post_p50_ms']} / {peak['post_p99_ms']} / "
        f"{peak['post_max_ms']} ms |",
        f"| rider booking p50 idle / loaded | {peak['booking_p50_ms_idle']} / "
        f"{peak['booking_p50_ms_loaded']} ms ({p50_ratio:.1f}x) |",
        f"| rider booking p99 idle / loaded | {peak['booking_p99_ms_idle']} / "
        f"{peak['booking_p99_ms_loaded']} ms ({ratio:.1f}x) |",
        f"| bookings timed idle / loaded (failed) | {peak['bookings_idle']} / "
        f"{peak['bookings_loaded']} ({peak['failed_bookings']}) |",
        f"| jobs after the re-plans | {peak['jobs_after']} |",
        "",
        "## Re-plans at scale (in process, PostgreSQL)",
        "",
        "| open jobs | couriers | time limit s | served | dropped | seconds | within limit |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in result["replans"]:
        lines.append(
            f"| {row['open_jobs']} | {row['couriers']} | {row['time_limit_s']} | {row['served']} "
            f"| {row['dropped']} | {row['seconds']} | {row['within_limit']} |"
        )
    lines += ["", "Reasons given for dropped jobs:", ""]
    for row in result["replans"]:
        lines.append(
            f"- {row['open_jobs']}/{row['couriers']} at {row['time_limit_s']} s: "
            f"{row['reasons'] or 'none'}"
        )
    goals = [
        ("0 failed posts", peak["failed_posts"] == 0),
        ("booking p99 under load within 2x idle", ratio <= 2.0),
        (
            "every re-plan returns within its limit",
            all(r["within_limit"] for r in result["replans"]),
        ),
    ]
    lines += ["", "## Goals", ""]
    lines += [f"- {name}: {'met' if ok else 'NOT met'}" for name, ok in goals]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run both parts and write the tables."""
    settings = settings_for_bench()
    city, _why = resolve_city_name(None, settings.data_dir)
    with tempfile.TemporaryDirectory(prefix="fleetops-bench-") as tmp:
        peak = lunch_peak(city, Path(tmp))
    with _schema() as (url, _name):
        replans = replan_rows(city, url)
    result = {
        "machine": machine(),
        "city": city,
        "lunch_peak": peak,
        "failed_posts": peak["failed_posts"],
        "booking_p99_ms_loaded": peak["booking_p99_ms_loaded"],
        "booking_p99_ms_idle": peak["booking_p99_ms_idle"],
        "replans": replans,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "couriers.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (OUT / "couriers.md").write_text(_markdown(result), encoding="utf-8")
    print(_markdown(result))
