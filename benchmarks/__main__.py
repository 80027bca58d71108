"""Run every benchmark and write its table (``make bench``)."""

from __future__ import annotations

import argparse
import sys

from benchmarks import (
    bookings,
    couriers,
    dispatch,
    forecast,
    fuzz,
    mds,
    ops,
    routing,
    telemetry,
    vrp,
    web,
)

SUITES = {
    "routing": routing.main,
    "dispatch": dispatch.main,
    "bookings": bookings.main,
    "vrp": vrp.main,
    "couriers": couriers.main,
    "forecast": forecast.main,
    "ops": ops.main,
    "web": web.main,
    "telemetry": telemetry.main,
    "mds": mds.main,
    # last: it exits 1 when it finds anything
    "fuzz": fuzz.main,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument(
        "suites", nargs="*", default=list(SUITES), help="which benchmarks to run (default: all)"
    )
    args = parser.parse_args(argv)
    for name in args.suites or SUITES:
        SUITES[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main())
