"""Demand forecasts on nine months of real Seoul rentals (issue 13).

The UCI "Seoul Bike Sharing Demand" table (CC BY 4.0) from the data directory: history
1 Dec 2017 - 30 Jun 2018, actuals 1 Jul - 31 Aug 2018, forecasts 1, 3 and 24 hours ahead, each
model knowing counts only up to t - N (`fleetops forecast evaluate`'s contract). The models were
tuned on a validation split inside the history (history to 30 Apr, actuals May and June), also
reported; July and August were scored once. Fit seconds are the wall time of all of a model's
fits and predictions for one horizon, on one thread.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime
from typing import Any

from benchmarks.common import machine, settings_for_bench, table, write
from dispatch.forecast import features
from dispatch.forecast.evaluation import score
from dispatch.forecast.hours import Hours, read_hours
from dispatch.forecast.models import DEFAULT, MODELS, Forecaster, Gbm

TABLE = "demand/seoul_bike_hourly_2017-12_2018-08.csv"
HORIZONS = (1, 3, 24)
SPLITS = {  # name: (actuals from, actuals until)
    "validation (May-Jun)": (datetime(2018, 5, 1), datetime(2018, 7, 1)),
    "test (Jul-Aug)": (datetime(2018, 7, 1), datetime(2018, 9, 1)),
}
#: The plain GBM fitted on all of the history, as the issue measured it (a second reference).
PLAIN_WHOLE = Gbm(
    "plain-gbm (all of H)",
    "the plain GBM trained through the history's last hour",
    features.plain,
    fixed_seed=True,
    whole_history=True,
)
GOAL = 0.10


def split(hours: Hours, start: datetime, end: datetime) -> tuple[Hours, Hours]:
    first = hours.starts.index(start)
    last = hours.starts.index(end) if end in hours.starts else len(hours)

    def part(a: int, b: int) -> Hours:
        return Hours(
            hours.starts[a:b],
            hours.counts[a:b],
            hours.weather[a:b],
            hours.holiday[a:b],
            hours.open[a:b],
            hours.labels[a:b],
        )

    return part(0, first), part(first, last)


def measure(hours: Hours, split_name: str) -> list[dict[str, Any]]:
    history, actuals = split(hours, *SPLITS[split_name])
    both, first = history.then(actuals), len(history)
    models: list[Forecaster] = [*MODELS.values(), PLAIN_WHOLE]
    rows = []
    for horizon in HORIZONS:
        for model in models:
            began = time.perf_counter()
            predicted = model.predict(both, first, horizon, seed=0, progress=None)
            seconds = time.perf_counter() - began
            s = score(model.name, actuals.counts, predicted)
            rows.append(
                {"split": split_name, "horizon_h": horizon, "model": model.name,
                 "mae": s.mae, "rmse": s.rmse, "r2": s.r2, "fit_s": seconds}
            )  # fmt: skip
            print(f"{split_name} {horizon} h {model.name}: MAE {s.mae:.1f}", file=sys.stderr)
    return rows


def verdicts(rows: list[dict[str, Any]]) -> list[str]:
    """Per horizon of the test split: the best model's MAE against the better plain GBM's."""
    lines = []
    for horizon in HORIZONS:
        mine = {r["model"]: r["mae"] for r in rows if r["horizon_h"] == horizon}
        plain = min(mine["plain-gbm"], mine[PLAIN_WHOLE.name])
        gain = 1 - mine[DEFAULT] / plain
        met = "meets" if gain >= GOAL else "misses"
        lines.append(
            f"- {horizon} h ahead: {DEFAULT} MAE {mine[DEFAULT]:.1f} against the better plain "
            f"GBM's {plain:.1f}: {gain:.1%} lower ({met} the 10 % goal)."
        )
    return lines


def main() -> None:
    settings = settings_for_bench()
    path = settings.data_dir / TABLE
    if not path.is_file():
        sys.exit(f"forecast benchmark needs {path} (FLEETOPS_DATA_DIR)")
    with path.open(encoding="utf-8", newline="") as lines:
        hours = read_hours(lines, str(path))
    rows = [row for name in SPLITS for row in measure(hours, name)]
    test = [r for r in rows if r["split"] == "test (Jul-Aug)"]
    columns = [("horizon_h", "h ahead"), ("model", "model"), ("mae", "MAE"),
               ("rmse", "RMSE"), ("r2", "R²"), ("fit_s", "fit s")]  # fmt: skip
    md = [
        "# Demand forecast benchmark",
        "",
        f"Measured by `make bench` on {machine()}.",
        "",
        __doc__.split("\n\n", 1)[1].strip(),
        "",
        "Models: " + "; ".join(f"`{m.name}`: {m.summary}" for m in MODELS.values()) + "; "
        f"`{PLAIN_WHOLE.name}`: {PLAIN_WHOLE.summary}.",
        "",
        "## Goal: the best model's MAE at least 10 % below the plain GBM's",
        "",
        *verdicts(test),
        "",
        "## Test: history Dec-Jun, actuals Jul-Aug",
        "",
        table(test, columns),
        "",
        "## Validation: history Dec-Apr, actuals May-Jun (the split models were tuned on)",
        "",
        table([r for r in rows if r["split"] != "test (Jul-Aug)"], columns),
        "",
    ]
    print(write("forecast", rows, "\n".join(md)))


if __name__ == "__main__":
    main()
