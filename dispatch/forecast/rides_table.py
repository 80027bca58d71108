"""Tables of past rides an operator imports: one ride per row, columns by header name:
``started_at``, ``ended_at`` (ISO 8601 with an offset), ``start_lat``, ``start_lon``,
``end_lat``, ``end_lon`` (degrees); other columns are ignored. Parsing is pure (no IO)."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from datetime import datetime

from dispatch.forecast.hours import BadTable, columns
from fleet.geo import Position
from fleet.rides import PastRide

COLUMNS = ("started_at", "ended_at", "start_lat", "start_lon", "end_lat", "end_lon")
#: The longest ride a table may hold: anything longer is a record of a lost vehicle, not a ride.
MAX_RIDE_S = 24 * 3600


def read_rides(lines: Iterable[str], file: str) -> list[PastRide]:
    """The rides of a table, in its order.

    Raises
    ------
    BadTable
        A missing column or a row that does not parse, naming the line.
    """
    reader = csv.reader(line.rstrip("\r\n") for line in lines)
    where = columns(reader, COLUMNS, file)
    at = [where[c] for c in COLUMNS]
    try:
        rides = [_ride(cells, at, file, n) for n, cells in enumerate(reader, start=2) if cells]
    except csv.Error as exc:
        raise BadTable(file, reader.line_num, f"unreadable CSV: {exc}") from None
    if not rides:
        raise BadTable(file, 0, "no rides after the header")
    return rides


def _ride(cells: Sequence[str], at: list[int], file: str, line: int) -> PastRide:
    if max(at) >= len(cells):
        raise BadTable(file, line, f"{len(cells)} cells, fewer than the header's columns")
    started, ended = (_instant(cells[at[k]].strip(), COLUMNS[k], file, line) for k in (0, 1))
    if not 0 < (ended - started).total_seconds() <= MAX_RIDE_S:
        problem = f"a ride must end after it starts and within {MAX_RIDE_S // 3600} hours"
        raise BadTable(file, line, problem)
    lat1, lon1, lat2, lon2 = (_degrees(cells[at[k]], COLUMNS[k], file, line) for k in range(2, 6))
    return PastRide(started, ended, Position(lat1, lon1), Position(lat2, lon2))


def _instant(text: str, name: str, file: str, line: int) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise BadTable(file, line, f"{name} {text!r} is not an ISO 8601 time") from None
    if value.tzinfo is None:
        raise BadTable(file, line, f"{name} {text!r} has no UTC offset")
    if not 2000 <= value.year < 2100:
        raise BadTable(file, line, f"{name} {text!r} is not between 2000 and 2100")
    return value


def _degrees(text: str, name: str, file: str, line: int) -> float:
    try:
        value = float(text)
    except ValueError:
        raise BadTable(file, line, f"{name} {text.strip()!r} is not a number") from None
    limit = 90.0 if name.endswith("lat") else 180.0
    if not math.isfinite(value) or abs(value) > limit:
        raise BadTable(file, line, f"{name} {text.strip()!r} is not a {name[-3:]} in degrees")
    return value
