"""schemathesis over the whole OpenAPI document, in-process through the WSGI app.

:func:`fuzz` runs schemathesis' phases over every operation of the document as one caller
(the schema's examples, the coverage of each bound it states and just past it, then
``max_examples`` fuzzed requests, positive and negative) and reports what the checks found,
deduplicated, each with a curl line that reproduces it. Generation is derandomised (a fixed
seed, no example database, no shrinking), so a run finds the same things every time.

``make bench`` runs it full size (:func:`main`): every caller on a demo of its own (the
synthetic city, 60 vehicles, a fixed clock) on a PostgreSQL schema of its own, with
``FLEETOPS_FUZZ_EXAMPLES`` (default 100) fuzzed requests per operation, callers in parallel
processes. It writes docs/benchmarks/fuzz.md and fuzz.json (per caller: operations, requests,
answers per status class, findings, time) and exits 1 when anything was found.
``tests/web/test_fuzz.py`` is its small version in ``make test`` (10 per operation).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing import get_context
from typing import Any
from zoneinfo import ZoneInfo

import schemathesis
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.pytest.lazy import get_all_tests
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)
from tqdm import tqdm

from benchmarks.common import machine, table, write
from cli.demo import DEMO_PASSWORD, DEMO_PEOPLE
from config.settings import load_settings


def _first_of_each_role() -> tuple[str, ...]:
    first: dict[str, str] = {}
    for username, _, role, _ in DEMO_PEOPLE:
        first.setdefault(str(role), username)
    return tuple(first.values())


#: The first demo login of every role the demo seeds, and ``None``: no credentials at all.
CALLERS: tuple[str | None, ...] = (None, *_first_of_each_role())


def no_server_error(ctx: CheckContext, response, case) -> bool | None:
    """No 5xx, except a 503 the operation documents (health names what is down with it)."""
    documented = case.operation.definition.raw.get("responses", {})
    if response.status_code == 503 and "503" in documented:
        return None
    return not_a_server_error(ctx, response, case)


#: What every answer must hold to: no server error, a documented status, the documented body.
CHECKS = [no_server_error, status_code_conformance, response_schema_conformance]


@dataclass(frozen=True, slots=True)
class Finding:
    """One kind of failure of one operation, as one caller saw it first."""

    operation: str
    caller: str
    failures: str
    curl: str

    def __str__(self) -> str:
        return f"{self.operation} as {self.caller}:\n{self.failures}\n    {self.curl}"


def bearer(client, username: str | None) -> dict[str, str]:
    """Headers signing ``username`` in with a fresh token (none for ``None``)."""
    if username is None:
        return {}
    body = {"username": username, "password": DEMO_PASSWORD}
    response = client.post("/api/v1/auth/token", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def config(max_examples: int) -> schemathesis.Config:
    """Every phase that needs no links (examples, coverage of the schema's boundaries,
    fuzzing), positive and negative, derandomised with a fixed seed."""
    return schemathesis.Config.from_dict(
        {
            "seed": 12,
            "generation": {
                "mode": "all",
                "max-examples": max_examples,
                "deterministic": True,
                "no-shrink": True,
                "database": "none",
            },
            "phases": {"stateful": {"enabled": False}},
        }
    )


@dataclass(slots=True)
class FuzzReport:
    """What one caller's run sent and found."""

    caller: str
    findings: list[Finding] = field(default_factory=list)
    operations: int = 0
    requests: int = 0
    statuses: Counter[str] = field(default_factory=Counter)  # "2xx", "4xx", ...
    signed_in_again: int = 0  # after an operation that revoked the caller's token


def fuzz(app, username: str | None, *, max_examples: int) -> FuzzReport:
    """Every operation of ``app``'s document as ``username``; what was sent and found."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app, config=config(max_examples))
    client = app.test_client()
    headers = bearer(client, username)
    report = FuzzReport(username or "anonymous")
    found: dict[tuple[str, str], Finding] = {}

    def seen(ctx: CheckContext, response, case) -> None:
        report.requests += 1
        report.statuses[f"{response.status_code // 100}xx"] += 1

    checks = [seen, *CHECKS]

    def check(case) -> None:
        try:
            case.call_and_validate(headers=headers, checks=checks)
        except (AssertionError, BaseExceptionGroup) as exc:
            kinds = "\n".join(line for line in str(exc).splitlines() if line.startswith("- "))
            key = (case.operation.label, kinds)
            if key not in found:
                curl = case.as_curl_command(headers=headers)
                found[key] = Finding(case.operation.label, report.caller, _summary(exc), curl)

    for result in get_all_tests(schema=schema, test_func=check, settings=None, given_kwargs=None):
        _, test = result.ok()
        report.operations += 1
        # Unsatisfiable: nothing of a mode can be generated (no parameter to break, say).
        with contextlib.suppress(Unsatisfiable):
            test()
        # Signing out (DELETE /auth/token) revokes the caller's token: every later operation
        # would answer 401 and test nothing else. Sign in again after any operation that did.
        if username is not None and client.get("/api/v1/me", headers=headers).status_code == 401:
            headers.update(bearer(client, username))
            report.signed_in_again += 1
    report.findings = list(found.values())
    return report


def _summary(exc: BaseException) -> str:
    """The failure lines and the answer, without schemathesis' reproduction notes."""
    text = str(exc).split("Reproduce with:")[0].strip()
    return "\n".join(f"    {line}" for line in text.splitlines() if line.strip())[:1200]


# --- the full-size run (make bench) ----------------------------------------------------------

#: Fuzzed requests per operation and caller in ``make bench`` (the test runs 10).
FULL_EXAMPLES = 100
#: The tests' Monday morning in Seoul: a fixed clock, so a run finds the same things every time.
START = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Seoul"))


def run_caller(username: str | None, max_examples: int) -> dict[str, Any]:
    """One caller's fuzz on a demo of its own: a PostgreSQL schema, a Redis index and a var
    dir, each made here and removed after. Its row of the table."""
    from benchmarks.web_setup import pg_schema, redis_index
    from cli.demo import seed_demo
    from cli.main import prepare_city
    from fleet.catalog import DEFAULT_CATALOG
    from fleet.clock import FixedClock
    from fleet.db.engine import make_engine, writing
    from fleet.db.migrate import upgrade
    from fleet.ids import RandomIds
    from web import create_app

    base = load_settings({**os.environ, "SECRET_KEY": "bench-fuzz"})  # its dirs alone
    with tempfile.TemporaryDirectory() as var, pg_schema() as url, redis_index() as redis_url:
        settings = load_settings(
            {
                "DATABASE_URL": url,
                "REDIS_URL": redis_url,
                "FLEETOPS_VAR_DIR": var,
                "FLEETOPS_CACHE_DIR": str(base.cache_dir),
                "FLEETOPS_DATA_DIR": str(base.data_dir),
                "FLEETOPS_CITY": "synthetic",
                "SECRET_KEY": "bench-fuzz",
            }
        )
        engine = make_engine(url)
        try:
            upgrade(engine)
            clock = FixedClock(START)
            prepared = prepare_city(settings, "synthetic")
            with writing(engine) as conn:
                seed_demo(
                    conn,
                    profile=prepared.profile,
                    layout=prepared.layout,
                    graphs=prepared.graphs,
                    n_vehicles=60,
                    clock=clock,
                    ids=RandomIds(),
                    catalog=DEFAULT_CATALOG,
                    seed=3,
                )
            app = create_app(settings, engine=engine, clock=clock)
            started = time.perf_counter()
            report = fuzz(app, username, max_examples=max_examples)
            seconds = time.perf_counter() - started
        finally:
            engine.dispose()
    return {
        "caller": report.caller,
        "operations": report.operations,
        "requests": report.requests,
        **{kind: report.statuses.get(kind, 0) for kind in ("2xx", "3xx", "4xx", "5xx")},
        "findings": len(report.findings),
        "seconds": round(seconds, 1),
        "found": [str(f) for f in report.findings],
    }


def main() -> None:
    examples = int(os.environ.get("FLEETOPS_FUZZ_EXAMPLES", FULL_EXAMPLES))
    jobs = max(1, min(len(CALLERS), os.cpu_count() or 1))
    rows: dict[str | None, dict[str, Any]] = {}
    # spawn: each caller's process starts clean (no pools or threads inherited by a fork)
    with ProcessPoolExecutor(jobs, mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(run_caller, u, examples): u for u in CALLERS}
        done = tqdm(as_completed(futures), total=len(futures), desc="fuzz", unit="caller")
        for future in done:
            rows[futures[future]] = future.result()
    ordered = [rows[u] for u in CALLERS]
    path = write("fuzz", ordered, markdown(ordered, examples))
    print(f"wrote {path}", file=sys.stderr)
    found = [f for row in ordered for f in row["found"]]
    if found:
        sys.exit(f"{len(found)} findings:\n\n" + "\n\n".join(found))


def markdown(rows: list[dict[str, Any]], examples: int) -> str:
    total = {k: sum(r[k] for r in rows) for k in ("requests", "2xx", "4xx", "5xx", "findings")}
    columns = [("caller", "caller"), ("operations", "operations"), ("requests", "requests"),
               ("2xx", "2xx"), ("3xx", "3xx"), ("4xx", "4xx"), ("5xx", "5xx"),
               ("findings", "findings"), ("seconds", "s")]  # fmt: skip
    found = [f"```\n{f}\n```" for r in rows for f in r["found"]]
    return "\n".join(
        [
            "# API fuzz (full size)",
            "",
            f"Measured by `make bench` on {machine()}.",
            "",
            __doc__.split("\n\n", 2)[2].strip(),
            "",
            f"{examples} fuzzed requests per operation and caller, after the schema's examples "
            "and the coverage of its bounds. Checks: no 5xx but a 503 the operation documents, "
            "a documented status, the documented body. The 5xx are the health endpoint's "
            "documented 503: no worker or scheduler runs beside the app here. A caller whose "
            "token an operation revoked (signing out) signs in again before the next one.",
            "",
            f"**{total['requests']:,} requests, {total['findings']} findings** "
            f"({total['2xx']:,} 2xx, {total['4xx']:,} 4xx, {total['5xx']:,} 5xx).",
            "",
            table(rows, columns),
            "",
            "## Findings",
            "",
            *(found or ["None."]),
            "",
        ]
    )
