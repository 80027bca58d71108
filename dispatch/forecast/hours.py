"""Hourly demand tables: the counts of rentals per hour with that hour's weather and calendar.

The columns are those of the UCI "Seoul Bike Sharing Demand" data (Sathishkumar V E and Cho Y,
2020; CC BY 4.0), found by their header names; other columns are ignored. Parsing is pure: it
takes the text's lines and the file's name (for messages) and does no IO.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import numpy.typing as npt

COUNT = "Rented Bike Count"
#: The weather columns, in the order models see them.
WEATHER = (
    "Temperature",
    "Humidity",
    "Wind speed",
    "Visibility",
    "Dew point temperature",
    "Solar Radiation",
    "Rainfall",
    "Snowfall",
)
REQUIRED = ("Date", "Hour", COUNT)
#: Read when present: without them the weather is unknown (NaN: the models that use it run
#: without it), no day is a holiday beyond the public calendar, and every hour was open.
OPTIONAL = (*WEATHER, "Holiday", "Functioning Day")
#: The fewest hours of history a forecast starts from: one week.
MIN_HISTORY = 168
NAN = float("nan")
_DIGITS = re.compile(r"[0-9]+")
#: Counts have at most this many digits: a billion rentals in an hour is no city's.
MAX_COUNT_DIGITS = 9
#: The years a table may hold: the calendar of holidays is known for them.
YEARS = range(1900, 3000)
_FLAGS = {"Holiday": ("Holiday", "No Holiday"), "Functioning Day": ("Yes", "No")}

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]


class BadTable(ValueError):
    """A table that cannot be read, with where: ``file``, ``line`` (1 = the header; 0 = the
    file as a whole) and ``problem``."""

    def __init__(self, file: str, line: int, problem: str) -> None:
        self.file, self.line, self.problem = file, line, problem
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class Hours:
    """Consecutive hours, in time order: the start of each (local time), its count, weather,
    holiday flag (as the table says) and whether the system was open."""

    starts: tuple[datetime, ...]
    counts: Floats
    weather: Floats  # one column per name of ``WEATHER``
    holiday: Bools
    open: Bools
    labels: tuple[tuple[str, str], ...]  # date and hour as written, for the output

    def __len__(self) -> int:
        return len(self.starts)

    def then(self, later: Hours) -> Hours:
        """These hours followed by ``later``'s."""
        return Hours(
            self.starts + later.starts,
            np.concatenate([self.counts, later.counts]),
            np.vstack([self.weather, later.weather]),
            np.concatenate([self.holiday, later.holiday]),
            np.concatenate([self.open, later.open]),
            self.labels + later.labels,
        )


def read_hours(lines: Iterable[str], file: str) -> Hours:
    """Parse a table of consecutive hours (``lines`` with or without their line ends).

    Raises
    ------
    BadTable
        A missing column, a value that does not parse, or hours out of order, repeated or
        missing, naming the line.
    """
    reader = csv.reader(line.rstrip("\r\n") for line in lines)
    at = columns(reader, REQUIRED, file, optional=OPTIONAL)
    try:
        rows = [_row(cells, at, file, n) for n, cells in enumerate(reader, start=2) if cells]
    except csv.Error as exc:  # a cell past the csv module's field limit, a NUL in a quote
        raise BadTable(file, reader.line_num, f"unreadable CSV: {exc}") from None
    if not rows:
        raise BadTable(file, 0, "no rows after the header")
    check_consecutive([r[0] for r in rows], file, first_line=2)
    return Hours(
        starts=tuple(r[0] for r in rows),
        counts=np.array([r[1] for r in rows], dtype=np.float64),
        weather=np.array([r[2] for r in rows], dtype=np.float64),
        holiday=np.array([r[3] for r in rows], dtype=np.bool_),
        open=np.array([r[4] for r in rows], dtype=np.bool_),
        labels=tuple(r[5] for r in rows),
    )


def columns(
    reader: Iterator[list[str]], required: Sequence[str], file: str, optional: Sequence[str] = ()
) -> dict[str, int]:
    """Read the header row: where each required column is, and each optional one present (by
    name; a BOM, spaces around names and a unit in brackets after them, as in the UCI
    original's ``Temperature(°C)``, are ignored).

    Raises
    ------
    BadTable
        An empty file or missing columns, named.
    """
    header = next(reader, None)
    if header is None:
        raise BadTable(file, 0, "the file is empty")
    names = [_UNIT.sub("", name.strip().lstrip("\ufeff")) for name in header]
    missing = [name for name in required if name not in names]
    if missing:
        raise BadTable(file, 1, f"missing column(s): {', '.join(missing)}")
    return {name: names.index(name) for name in (*required, *optional) if name in names}


_UNIT = re.compile(r"\s*\([^()]*\)$")


_Row = tuple[datetime, float, list[float], bool, bool, tuple[str, str]]


def _row(cells: Sequence[str], at: dict[str, int], file: str, line: int) -> _Row:
    if len(cells) < len(at) or max(at.values()) >= len(cells):
        raise BadTable(file, line, f"{len(cells)} cells, fewer than the header's columns")

    def cell(name: str, absent: str = "") -> str:
        return cells[at[name]].strip() if name in at else absent

    day = _date(cell("Date"), file, line)
    if not _DIGITS.fullmatch(cell("Hour")) or int(cell("Hour")) > 23:
        raise BadTable(file, line, f"Hour {cell('Hour')!r} is not a whole number 0-23")
    hour = int(cell("Hour"))
    if not _DIGITS.fullmatch(cell(COUNT)) or len(cell(COUNT)) > MAX_COUNT_DIGITS:
        problem = f"{COUNT} {cell(COUNT)!r} is not a whole number from 0 to 10^9 - 1"
        raise BadTable(file, line, problem)
    count = float(cell(COUNT))
    flags = []
    for name, (yes, no) in _FLAGS.items():
        value = cell(name, absent=no if name == "Holiday" else yes)
        if value not in (yes, no):
            raise BadTable(file, line, f"{name} {value!r} is neither {yes!r} nor {no!r}")
        flags.append(value == yes)
    start = datetime(day.year, day.month, day.day) + timedelta(hours=int(hour))
    weather = [_number(cell(name), name, file, line) if name in at else NAN for name in WEATHER]
    return start, count, weather, flags[0], flags[1], (cell("Date"), cell("Hour"))


def _date(text: str, file: str, line: int) -> date:
    try:
        day = datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        raise BadTable(file, line, f"Date {text!r} is not dd/mm/yyyy") from None
    if day.year not in YEARS:
        raise BadTable(file, line, f"Date {text!r} is not in the years {YEARS[0]}-{YEARS[-1]}")
    return day


def _number(text: str, name: str, file: str, line: int) -> float:
    try:
        value = float(text)
    except ValueError:
        raise BadTable(file, line, f"{name} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise BadTable(file, line, f"{name} {text!r} is not a finite number")
    return value


def check_consecutive(starts: Sequence[datetime], file: str, *, first_line: int) -> None:
    """Every hour one hour after the one before (no gap, repeat or step back).

    Raises
    ------
    BadTable
        Naming the first line that breaks the run.
    """
    for n in range(1, len(starts)):
        if starts[n] - starts[n - 1] != timedelta(hours=1):
            kind = "repeats or goes back from" if starts[n] <= starts[n - 1] else "skips after"
            problem = f"the hour {starts[n]:%d/%m/%Y %H}h {kind} {starts[n - 1]:%d/%m/%Y %H}h"
            raise BadTable(file, first_line + n, problem)


def check_pair(history: Hours, actuals: Hours, history_file: str, actuals_file: str) -> None:
    """The history is long enough and the actuals start the hour after it ends.

    Raises
    ------
    BadTable
    """
    if len(history) < MIN_HISTORY:
        problem = f"{len(history)} hours of history; at least {MIN_HISTORY} are needed"
        raise BadTable(history_file, 0, problem)
    if actuals.starts[0] - history.starts[-1] != timedelta(hours=1):
        problem = (
            f"the first hour {actuals.starts[0]:%d/%m/%Y %H}h is not the hour after the "
            f"history's last ({history.starts[-1]:%d/%m/%Y %H}h)"
        )
        raise BadTable(actuals_file, 2, problem)
