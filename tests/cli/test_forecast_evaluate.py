"""``fleetops forecast evaluate`` (issue 13) on slices of the real Seoul hourly rentals: the
contract's files, metrics recomputed here from OUT.csv, no peeking past t − N, and bad input
refused by file and line with nothing written."""

from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cli.main import cli
from dispatch.forecast.evaluation import evaluate
from dispatch.forecast.hours import Hours, read_hours
from dispatch.forecast.models import MODELS
from tests.conftest import need

pytestmark = pytest.mark.shared_data
DEMAND = "demand/seoul_bike_hourly_2017-12_2018-08.csv"
HISTORY_ROWS, ACTUAL_ROWS = 336, 60  # two weeks from 1 Dec 2017, then two and a half days


@pytest.fixture(scope="module")
def seoul(data_dir) -> list[str]:
    """The real table's lines, CRLF ends kept."""
    path = data_dir / DEMAND
    need(path.is_file(), f"the Seoul demand table is missing at {path}")
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


@pytest.fixture
def files(seoul, tmp_path) -> tuple[Path, Path]:
    """H.csv and A.csv: consecutive slices of the real table, CRLF as it comes."""
    history, actuals = tmp_path / "H.csv", tmp_path / "A.csv"
    history.write_text("".join(seoul[: 1 + HISTORY_ROWS]), encoding="utf-8", newline="")
    rows = seoul[1 + HISTORY_ROWS : 1 + HISTORY_ROWS + ACTUAL_ROWS]
    actuals.write_text(seoul[0] + "".join(rows), encoding="utf-8", newline="")
    return history, actuals


def invoke(*args: str | Path):
    return CliRunner().invoke(cli, ["forecast", "evaluate", *map(str, args)])


def test_the_installed_command_writes_the_contracts_files_from_any_folder(files, tmp_path):
    history, actuals = files
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLEETOPS_", "DATABASE"))}
    env |= {"FLEETOPS_DATA_DIR": str(tmp_path / "none"), "REDIS_URL": "redis://127.0.0.1:1"}
    done = subprocess.run(
        [Path(sys.executable).parent / "fleetops", "forecast", "evaluate", "--history", history,
         "--actuals", actuals, "--horizon-h", "3", "--predictions", "out.csv",
         "--json", "out.json"],
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "gbm-weekly" in done.stdout and "seasonal-naive" in done.stdout
    raw = (elsewhere / "out.csv").read_bytes()
    assert b"\r" not in raw
    out = list(csv.reader(raw.decode().splitlines()))
    truth = list(csv.DictReader(actuals.read_text(encoding="utf-8").splitlines()))
    assert out[0] == ["date", "hour", "predicted"] and len(out) == 1 + len(truth)
    assert [r[:2] for r in out[1:]] == [[t["Date"], t["Hour"]] for t in truth]
    predicted = [float(r[2]) for r in out[1:]]
    assert all(math.isfinite(p) and p >= 0 for p in predicted)
    # the metrics, recomputed from the files alone
    y = [float(t["Rented Bike Count"]) for t in truth]
    errors = [a - p for a, p in zip(y, predicted, strict=True)]
    mean = sum(y) / len(y)
    scores = json.loads((elsewhere / "out.json").read_text())
    assert scores["horizon_h"] == 3 and scores["rows"] == len(y)
    assert scores["model"]["name"] == "gbm-weekly"
    assert scores["baseline"]["name"] == "seasonal-naive"
    mae = sum(abs(e) for e in errors) / len(y)
    rmse = math.sqrt(sum(e * e for e in errors) / len(y))
    r2 = 1 - sum(e * e for e in errors) / sum((a - mean) ** 2 for a in y)
    for name, value in (("mae", mae), ("rmse", rmse), ("r2", r2)):
        assert scores["model"][name] == pytest.approx(value, abs=2e-3), name


def test_same_inputs_and_seed_give_byte_identical_files(files, tmp_path):
    history, actuals = files
    made = []
    for n in range(2):
        out, js = tmp_path / f"p{n}.csv", tmp_path / f"s{n}.json"
        args = ["--history", history, "--actuals", actuals, "--horizon-h", "24"]
        result = invoke(*args, "--predictions", out, "--json", js, "--seed", "7")
        assert result.exit_code == 0, result.output
        made.append((out.read_bytes(), js.read_bytes()))
    assert made[0] == made[1]


def _altered(hours: Hours, after: int, keep: int) -> Hours:
    """``hours`` cut after row ``keep`` with every count after row ``after`` scrambled."""
    counts = hours.counts.copy()
    rng = np.random.default_rng(5)
    counts[after + 1 :] = rng.integers(0, 5000, len(counts) - after - 1)
    end = keep + 1
    return Hours(
        hours.starts[:end],
        counts[:end],
        hours.weather[:end],
        hours.holiday[:end],
        hours.open[:end],
        hours.labels[:end],
    )


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.parametrize("horizon", [1, 3, 24])
def test_no_model_reads_a_count_after_t_minus_n_or_any_row_after_t(seoul, model, horizon):
    history = read_hours(seoul[: 1 + HISTORY_ROWS], "H.csv")
    actuals = read_hours([seoul[0], *seoul[1 + HISTORY_ROWS : 1 + HISTORY_ROWS + 48]], "A.csv")
    whole = evaluate(history, actuals, horizon, model).predicted
    for t in (0, 20, 47):  # rows of A
        both = history.then(actuals)
        changed = _altered(both, len(history) + t - horizon, len(history) + t)
        cut_history = Hours(*(getattr(changed, f)[: len(history)] for f in _FIELDS))
        cut_actuals = Hours(*(getattr(changed, f)[len(history) :] for f in _FIELDS))
        again = evaluate(cut_history, cut_actuals, horizon, model).predicted
        assert again[t] == whole[t], (model, horizon, t)


_FIELDS = ("starts", "counts", "weather", "holiday", "open", "labels")


def _table(lines: list[str], path: Path) -> Path:
    path.write_text("".join(lines), encoding="utf-8", newline="")
    return path


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ("drop-column", ["H.csv:1", "missing column", "Rented Bike Count"]),
        ("text-count", ["H.csv:6", "Rented Bike Count", "'many'"]),
        ("duplicate-hour", ["H.csv:11", "repeats"]),
        ("missing-hour", ["A.csv:3", "skips"]),
        ("gap-between", ["A.csv:2", "not the hour after"]),
        ("short-history", ["H.csv", "at least 168"]),
    ],
)
def test_bad_tables_are_named_by_file_and_line_and_nothing_is_written(
    seoul, tmp_path, change, words
):
    history = list(seoul[: 1 + HISTORY_ROWS])
    actuals = [seoul[0], *seoul[1 + HISTORY_ROWS : 1 + HISTORY_ROWS + 10]]
    if change == "drop-column":
        history = [",".join(c for i, c in enumerate(r.split(",")) if i != 1) for r in history]
        history = [r if r.endswith("\n") else r + "\n" for r in history]
    elif change == "text-count":
        cells = history[5].split(",")
        history[5] = ",".join([cells[0], "many", *cells[2:]])
    elif change == "duplicate-hour":
        history[10] = history[9]
    elif change == "missing-hour":
        del actuals[2]
    elif change == "gap-between":
        del actuals[1]
    elif change == "short-history":
        history = history[:100]
    out = tmp_path / "out.csv"
    out.write_text("kept\n")
    result = invoke(
        "--history", _table(history, tmp_path / "H.csv"),
        "--actuals", _table(actuals, tmp_path / "A.csv"),
        "--horizon-h", "3", "--predictions", out, "--json", tmp_path / "out.json",
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    assert out.read_text() == "kept\n" and not (tmp_path / "out.json").exists()


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--horizon-h", "0", "not from 1 to 168"),
        ("--horizon-h", "169", "not from 1 to 168"),
        ("--model", "prophet", "seasonal-naive, hour-of-week-mean, plain-gbm"),
    ],
)
def test_bad_options_exit_2_with_one_line(files, tmp_path, option, value, words):
    history, actuals = files
    args = {"--history": history, "--actuals": actuals, "--horizon-h": "3"}
    args[option] = value
    flat = [str(x) for pair in args.items() for x in pair]
    result = invoke(*flat, "--predictions", tmp_path / "out.csv")
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and words in result.stderr
    assert not (tmp_path / "out.csv").exists()


UCI_HEADER = (
    "Date,Rented Bike Count,Hour,Temperature(\u00b0C),Humidity(%),Wind speed (m/s),"
    "Visibility (10m),Dew point temperature(\u00b0C),Solar Radiation (MJ/m2),Rainfall(mm),"
    "Snowfall (cm),Seasons,Holiday,Functioning Day\r\n"
)


def test_the_uci_originals_headers_with_units_read_the_same(seoul):
    plain = read_hours(seoul[:200], "H.csv")
    with_units = read_hours([UCI_HEADER, *seoul[1:200]], "H.csv")
    assert np.array_equal(plain.weather, with_units.weather)
    assert np.array_equal(plain.counts, with_units.counts)


def test_a_table_without_weather_serves_the_weather_free_model(seoul):
    keep = 3  # Date, Rented Bike Count, Hour
    bare = [",".join(line.split(",")[:keep]) + "\n" for line in seoul]
    history = read_hours(bare[: 1 + HISTORY_ROWS], "H.csv")
    actuals = read_hours([bare[0], *bare[1 + HISTORY_ROWS : 1 + HISTORY_ROWS + 24]], "A.csv")
    assert np.isnan(history.weather).all() and history.open.all()
    full_h = read_hours(seoul[: 1 + HISTORY_ROWS], "H.csv")
    full_a = read_hours([seoul[0], *seoul[1 + HISTORY_ROWS : 1 + HISTORY_ROWS + 24]], "A.csv")
    model = "gbm-weekly-no-weather"
    without = evaluate(history, actuals, 3, model).predicted
    assert np.array_equal(without, evaluate(full_h, full_a, 3, model).predicted)
    assert np.isfinite(evaluate(history, actuals, 3, "gbm-weekly").predicted).all()


def _history_with(seoul, change) -> list[str]:
    rows = list(seoul[: 1 + HISTORY_ROWS])
    for n in range(1, len(rows)):
        cells = rows[n].split(",")
        rows[n] = ",".join(change(cells, n))
    return rows


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda c, n: [c[0], "1" + "0" * 308, *c[2:]] if n == 4 else c, ["H.csv:5", "10^9"]),
        (lambda c, n: [c[0], c[1], "\u0663", *c[3:]] if n == 4 else c, ["H.csv:5", "Hour"]),
        (lambda c, n: [c[0], "-0", *c[2:]] if n == 4 else c, ["H.csv:5", "whole number"]),
        (lambda c, n: [c[0][:6] + "9999", *c[1:]], ["H.csv:2", "years"]),
        (lambda c, n: [c[0], c[1], c[2], '"' + "x" * 200_000 + '"', *c[4:]], ["H.csv", "CSV"]),
    ],
)
def test_more_bad_tables_exit_2_with_one_line(seoul, tmp_path, change, words):
    actuals = [seoul[0], *seoul[1 + HISTORY_ROWS : 1 + HISTORY_ROWS + 10]]
    result = invoke(
        "--history", _table(_history_with(seoul, change), tmp_path / "H.csv"),
        "--actuals", _table(actuals, tmp_path / "A.csv"),
        "--horizon-h", "3", "--predictions", tmp_path / "out.csv",
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.strip().splitlines()
    assert all(word in line for word in words), line


@pytest.mark.parametrize("model", ["plain-gbm", "gbm-weekly"])
def test_a_history_with_no_rides_or_no_open_hour_forecasts_zero(seoul, tmp_path, model):
    actuals = [seoul[0], *seoul[1 + HISTORY_ROWS : 1 + HISTORY_ROWS + 10]]
    for name, change in [
        ("zero", lambda c, n: [c[0], "0", *c[2:]]),
        ("closed", lambda c, n: [*c[:-1], "No\r\n"]),
    ]:
        out = tmp_path / f"{name}.csv"
        result = invoke(
            "--history", _table(_history_with(seoul, change), tmp_path / "H.csv"),
            "--actuals", _table(actuals, tmp_path / "A.csv"),
            "--horizon-h", "3", "--model", model, "--predictions", out,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert {r.split(",")[2] for r in out.read_text().splitlines()[1:]} == {"0.000"}


def test_outputs_are_all_written_or_none(files, tmp_path):
    history, actuals = files
    old = tmp_path / "old.csv"
    old.write_text("OLD\n")
    folder = tmp_path / "dir"
    folder.mkdir()
    base = ["--history", history, "--actuals", actuals, "--horizon-h", "3"]
    for extra, words in [
        (["--predictions", old, "--json", folder], "is a folder"),
        (["--predictions", folder], "is a folder"),
        (["--predictions", old, "--json", old], "same file"),
        (["--predictions", old, "--seed", "-1"], "--seed"),
    ]:
        result = invoke(*base, *extra)
        assert result.exit_code == 2 and words in result.stderr, result.stderr
        assert old.read_text() == "OLD\n"


def test_an_undefined_r2_is_null_in_the_json(seoul, tmp_path):
    constant = [seoul[0], *seoul[1 + HISTORY_ROWS : 1 + HISTORY_ROWS + 5]]
    constant = [constant[0]] + [
        ",".join([r.split(",")[0], "7", *r.split(",")[2:]]) for r in constant[1:]
    ]
    out, js = tmp_path / "p.csv", tmp_path / "s.json"
    result = invoke(
        "--history", _table(seoul[: 1 + HISTORY_ROWS], tmp_path / "H.csv"),
        "--actuals", _table(constant, tmp_path / "A.csv"),
        "--horizon-h", "1", "--model", "seasonal-naive", "--predictions", out, "--json", js,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    scores = json.loads(js.read_text())  # strict JSON: no NaN
    assert scores["model"]["r2"] is None and scores["baseline"]["r2"] is None
    assert (out.stat().st_mode & 0o777) == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
