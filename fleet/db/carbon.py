"""The CO2 ledger (``co2_credits``): a ride's or a delivery's footprint written when it ends,
and an operator's totals per local day summed in the database in one grouped query, whatever
the number of rides.

Days are given as their boundaries (local midnights, from the caller): a CASE ladder turns an
instant into the index of its day, the same on SQLite and PostgreSQL and right across a
daylight-saving change. ``ride_history`` (generated or imported rides) is never credited.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, case, func, insert, literal, select

from fleet.carbon import Footprint
from fleet.db.carbon_tables import co2_credits
from fleet.db.types import UTCDateTime

Kind = Literal["ride", "delivery"]
#: Per (kind, day index): how many, and their summed footprint.
DayRows = dict[tuple[str, int], tuple[int, Footprint]]


def credit(
    conn: Connection, operator_id: str, kind: Kind, source_id: str, at: datetime, co2: Footprint
) -> None:
    """Write the footprint of the ride (booking id) or delivery (job id) ``source_id`` that
    ended ``at``; a second credit of the same one is refused by the primary key."""
    conn.execute(
        insert(co2_credits).values(
            kind=kind,
            source_id=source_id,
            operator_id=operator_id,
            at=at,
            distance_m=co2.distance_m,
            car_g=co2.car_g,
            charging_g=co2.charging_g,
            net_g=co2.net_g,
        )
    )


def _day_of(at: Any, bounds: Sequence[datetime]) -> Any:
    """The index of the day ``at`` falls in (``bounds[i] <= at < bounds[i + 1]``)."""
    edges = [literal(b, UTCDateTime()) for b in bounds[1:]]
    if len(edges) == 1:
        return literal(0)
    return case(*((at < edge, i) for i, edge in enumerate(edges[:-1])), else_=len(edges) - 1)


def by_day(conn: Connection, operator_id: str, bounds: Sequence[datetime]) -> DayRows:
    """The operator's credits within ``bounds`` (``bounds[0] <= at < bounds[-1]``) per kind
    and day: how many, distance, car baseline and charging grams."""
    at = co2_credits.c.at
    day = _day_of(at, bounds)
    c = co2_credits.c
    rows = conn.execute(
        select(
            c.kind,
            day,
            func.count(),
            func.sum(c.distance_m),
            func.sum(c.car_g),
            func.sum(c.charging_g),
        )
        .where(c.operator_id == operator_id, at >= bounds[0], at < bounds[-1])
        .group_by(c.kind, day)
    ).all()
    return {
        (str(kind), int(i)): (int(n), Footprint(int(m), int(car), int(charging)))
        for kind, i, n, m, car, charging in rows
    }
