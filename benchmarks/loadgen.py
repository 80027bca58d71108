"""An open-loop HTTP load generator, run as its own process by ``benchmarks/web.py``.

``python -m benchmarks.loadgen PLAN.json RESULT.json``. The plan names the server and its phases;
each phase sends requests at a fixed rate for a fixed time. Request ``k`` of a phase is
*scheduled* at ``start + k / rate`` whatever happened to the ones before (open loop: a slow
server does not slow the arrivals), and its latency is measured from that scheduled instant to
the last byte of the answer. A request that waits for a free connection because the server is
slow therefore counts its wait (no coordinated omission). Requests are sent by a pool of threads,
each with one keep-alive connection; ``lag`` is how long after its scheduled instant a request
actually left, the generator's own delay, which the health baseline shows to be small.

Phase kinds: ``get`` (the same GET each time, with headers) and ``book`` (``POST
/api/v1/bookings`` as the riders of the plan in turn, each then cancelled at once by the same
thread; the book request's latency is the phase's, the cancel is recorded apart).

A saturated server would make an open-loop phase's backlog, and so its length, grow without
bound: ``drain_s`` after a phase's last scheduled instant, requests still waiting for a
connection are not sent (outcome ``unsent``) and requests still waiting for their answer time
out (``TimeoutError``). Both are failures the caller counts, with an unbounded latency.

The result lists, per phase, every scheduled request's latency, lag and outcome (the HTTP status,
or the name of the exception, or ``unsent``), so that the caller can check that each one has an
outcome.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import queue
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
from tqdm import tqdm

#: Errors of a keep-alive connection the server closed while idle: the request is sent again once
#: on a new connection (the server never read it), as HTTP clients do.
STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)
#: The outcome of a request still waiting for a connection ``drain_s`` after the phase's last
#: was scheduled: the server is saturated, and the phase ends instead of growing its backlog.
UNSENT = "unsent"
#: The interpreter's thread switch interval here: a thread whose answer came waits up to this long
#: for the interpreter, and that wait would count in its latency (Python's default is 5 ms).
SWITCH_INTERVAL_S = 0.0005


class Connection:
    """One keep-alive connection, reopened when the server closed it."""

    def __init__(self, host: str, port: int, timeout_s: float) -> None:
        self.host, self.port, self.timeout_s = host, port, timeout_s
        self.http: http.client.HTTPConnection | None = None
        self.reconnects = 0

    def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None = None
    ) -> tuple[int, bytes]:
        """Send one request and read the whole answer: (status, body)."""
        reused = self.http is not None
        try:
            return self._once(method, path, headers, body)
        except STALE:
            if not reused:
                raise
            self.reconnects += 1
            return self._once(method, path, headers, body)

    def _once(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None
    ) -> tuple[int, bytes]:
        if self.http is None:
            self.http = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout_s)
        try:
            self.http.request(method, path, body=body, headers=headers)
            response = self.http.getresponse()
            data = response.read()
        except Exception:
            self.close()
            raise
        if response.will_close:
            self.close()
        return response.status, data

    def close(self) -> None:
        if self.http is not None:
            self.http.close()
            self.http = None


def get_job(spec: dict[str, Any]) -> Callable[[Connection, int, dict[str, Any]], None]:
    """The same GET each time; with ``revalidate``, sending the ETag of a GET made just before
    the phase in ``If-None-Match``, as a polling page sends the tag of its last answer."""
    path, headers = spec["path"], dict(spec.get("headers", {}))
    if spec.get("revalidate"):
        first = http.client.HTTPConnection(spec["host"], spec["port"], timeout=60)
        first.request("GET", path, headers=headers)
        answer = first.getresponse()
        answer.read()
        first.close()
        headers["If-None-Match"] = str(answer.headers["ETag"])

    def send(conn: Connection, k: int, out: dict[str, Any]) -> None:
        out["status"], _ = conn.request("GET", path, headers)

    return send


def book_job(spec: dict[str, Any]) -> Callable[[Connection, int, dict[str, Any]], None]:
    """Book as rider ``k mod n`` at point ``k mod m``, then cancel that booking."""
    riders, points, classes = spec["riders"], spec["points"], spec["classes"]

    def send(conn: Connection, k: int, out: dict[str, Any]) -> None:
        auth = {"Authorization": f"Bearer {riders[k % len(riders)]}"}
        lat, lon = points[k % len(points)]
        body = json.dumps({"lat": lat, "lon": lon, "vehicle_classes": classes}).encode()
        headers = {**auth, "Content-Type": "application/json"}
        out["status"], data = conn.request("POST", "/api/v1/bookings", headers, body)
        out["done"] = time.perf_counter()
        if out["status"] != 201:
            return
        booking = json.loads(data)["id"]
        started = time.perf_counter()
        path = f"/api/v1/bookings/{booking}/cancel"
        out["cancel_status"], _ = conn.request("POST", path, auth)
        out["cancel_s"] = time.perf_counter() - started

    return send


JOBS = {"get": get_job, "book": book_job}


def server_cpu_s(pid: int | None) -> float:
    """CPU seconds used so far by the server's processes (its master and workers)."""
    if pid is None:
        return 0.0
    total = 0.0
    try:
        master = psutil.Process(pid)
        for p in [master, *master.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                times = p.cpu_times()
                total += times.user + times.system
    except psutil.NoSuchProcess:
        return total
    return total


def run_phase(plan: dict[str, Any], phase: dict[str, Any]) -> dict[str, Any]:
    """Send one phase's requests at its rate; every scheduled request's outcome."""
    rate, duration_s = float(phase["rate"]), float(phase["duration_s"])
    total = max(1, round(rate * duration_s))
    send = JOBS[phase["kind"]]({**phase, "host": plan["host"], "port": plan["port"]})
    outcomes: list[dict[str, Any]] = [{} for _ in range(total)]
    work: queue.Queue[tuple[int, float] | None] = queue.Queue()
    bar = tqdm(total=total, desc=f"{phase['name']} at {rate:g}/s", unit="req", file=sys.stderr)
    conns = [
        Connection(plan["host"], plan["port"], plan["drain_s"]) for _ in range(plan["threads"])
    ]

    def worker(conn: Connection) -> None:
        while (item := work.get()) is not None:
            k, scheduled = item
            out = outcomes[k]
            out["lag_s"] = time.perf_counter() - scheduled
            if time.perf_counter() > deadline:
                out["status"] = UNSENT
            else:
                try:
                    send(conn, k, out)
                except Exception as exc:  # the outcome of this request: recorded, never lost
                    out["status"] = type(exc).__name__
            out["latency_s"] = out.pop("done", time.perf_counter()) - scheduled
            bar.update()

    threads = [threading.Thread(target=worker, args=(c,), daemon=True) for c in conns]
    server_cpu = server_cpu_s(plan.get("server_pid"))
    own_cpu = time.process_time()
    start = time.perf_counter() + 0.05
    deadline = start + duration_s + float(plan["drain_s"])
    for t in threads:
        t.start()
    for k in range(total):
        scheduled = start + k / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        work.put((k, scheduled))
    for _ in threads:
        work.put(None)
    for t in threads:
        t.join()
    bar.close()
    elapsed = max(time.perf_counter() - start, 1e-9)
    server_cpu = server_cpu_s(plan.get("server_pid")) - server_cpu
    own_cpu = time.process_time() - own_cpu
    for c in conns:
        c.close()
    return {
        "name": phase["name"],
        "rate": rate,
        "duration_s": duration_s,
        "elapsed_s": elapsed,
        "reconnects": sum(c.reconnects for c in conns),
        "server_cpu_s": server_cpu,
        "generator_cpu_s": own_cpu,
        "outcomes": outcomes,
    }


def main(argv: list[str] | None = None) -> int:
    plan_path, result_path = (argv if argv is not None else sys.argv[1:])[:2]
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    plan = json.loads(Path(plan_path).read_text(encoding="utf-8"))
    phases = [run_phase(plan, phase) for phase in plan["phases"]]
    Path(result_path).write_text(json.dumps({"phases": phases}), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
