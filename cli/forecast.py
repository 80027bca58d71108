"""``fleetops forecast evaluate``: score a demand model on hourly tables (issue 13's contract).

It needs no database, Redis, settings, network or data directory: two CSV files in, the
predictions (and optionally the scores as JSON) out. Bad input exits 2 with one line on stderr
naming the file, the line and the problem; then no output file is created or replaced.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import click
from tqdm import tqdm

from dispatch.forecast.evaluation import MAX_HORIZON, MIN_HORIZON, Evaluation, evaluate
from dispatch.forecast.hours import BadTable, Hours, check_pair, read_hours
from dispatch.forecast.models import DEFAULT, MODELS

USAGE_ERROR = 2


@click.group()
def forecast() -> None:
    """Demand forecasts: evaluate the models on hourly tables."""


def _fail(message: str) -> None:
    click.echo(f"fleetops forecast evaluate: {message}", err=True)
    sys.exit(USAGE_ERROR)


def _read(path: Path) -> Hours:
    try:
        with path.open(encoding="utf-8", newline="") as lines:
            return read_hours(lines, str(path))
    except UnicodeDecodeError as exc:
        raise BadTable(str(path), 0, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _write_all(outputs: dict[Path, str]) -> None:
    """Write every file next to its place first (LF line ends, the usual permissions), then
    move each over its place: a failure while writing replaces none of them."""
    mask = os.umask(0)
    os.umask(mask)
    written: list[tuple[str, Path]] = []
    try:
        for path, text in outputs.items():
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            written.append((tmp, path))
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
                out.write(text)
            os.chmod(tmp, 0o666 & ~mask)
        for tmp, path in written:
            os.replace(tmp, path)
    except OSError as exc:
        for tmp, _ in written:
            Path(tmp).unlink(missing_ok=True)
        _fail(f"cannot write {exc.filename}: {exc.strerror}")


def _check_outputs(paths: list[Path]) -> None:
    """Each output goes to a file (not a folder) in a folder we may write, and no two to one."""
    if len({p.resolve() for p in paths}) < len(paths):
        _fail("--predictions and --json name the same file")
    for path in paths:
        if path.is_dir():
            _fail(f"{path} is a folder: name a file to write")
        if not path.parent.is_dir():
            _fail(f"{path}: no folder {path.parent} to write it in")
        if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
            _fail(f"{path}: not writable")


def predictions_csv(actuals: Hours, result: Evaluation) -> str:
    """``date,hour,predicted``, one row per hour of the actuals, date and hour as written."""
    rows = ["date,hour,predicted"]
    rows += [
        f"{day},{hour},{value:.3f}"
        for (day, hour), value in zip(actuals.labels, result.predicted, strict=True)
    ]
    return "\n".join(rows) + "\n"


def scores_json(result: Evaluation) -> str:
    body = {
        "model": result.model.as_dict(),
        "baseline": result.baseline.as_dict(),
        "horizon_h": result.horizon,
        "rows": result.rows,
    }
    return json.dumps(body, indent=2, allow_nan=False) + "\n"


def _table(result: Evaluation) -> str:
    lines = [f"{'model':<32} {'MAE':>10} {'RMSE':>10} {'R²':>8}"]
    for s, role in ((result.model, ""), (result.baseline, " (baseline)")):
        lines.append(f"{s.name + role:<32} {s.mae:>10.2f} {s.rmse:>10.2f} {s.r2:>8.4f}")
    return "\n".join(lines)


@forecast.command("evaluate")
@click.option("--history", "history_path", required=True, type=click.Path(path_type=Path))
@click.option("--actuals", "actuals_path", required=True, type=click.Path(path_type=Path))
@click.option("--horizon-h", "horizon", required=True, type=int, help="hours ahead, 1 to 168")
@click.option("--predictions", "predictions_path", required=True, type=click.Path(path_type=Path))
@click.option("--model", default=DEFAULT, show_default=True, help=f"one of: {', '.join(MODELS)}")
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="scores as JSON")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(0, 2**32 - 1))
def evaluate_command(
    history_path: Path,
    actuals_path: Path,
    horizon: int,
    predictions_path: Path,
    model: str,
    json_path: Path | None,
    seed: int,
) -> None:
    """Fit MODEL on the history, forecast each hour of the actuals HORIZON hours ahead (knowing
    counts only up to then), write the predictions and print MAE, RMSE and R² beside the
    seasonal-naive baseline's."""
    if model not in MODELS:
        _fail(f"unknown model {model!r}; the models are: {', '.join(MODELS)}")
    if not MIN_HORIZON <= horizon <= MAX_HORIZON:
        _fail(f"--horizon-h {horizon} is not from {MIN_HORIZON} to {MAX_HORIZON}")
    for option, path in (("--history", history_path), ("--actuals", actuals_path)):
        if not path.is_file():
            _fail(f"{option} {path}: no such file")
    _check_outputs([p for p in (predictions_path, json_path) if p is not None])
    try:
        history, actuals = _read(history_path), _read(actuals_path)
        check_pair(history, actuals, str(history_path), str(actuals_path))
    except BadTable as exc:
        _fail(str(exc))
    with tqdm(desc=f"{model}, {horizon} h ahead", unit="fit", file=sys.stderr) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        result = evaluate(history, actuals, horizon, model, seed=seed, progress=progress)
    outputs = {predictions_path: predictions_csv(actuals, result)}
    if json_path is not None:
        outputs[json_path] = scores_json(result)
    _write_all(outputs)
    click.echo(_table(result))
