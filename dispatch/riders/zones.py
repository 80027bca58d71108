"""The rule zones riders need to see: where they may ride and park, where they must slow down,
and the closures in force now."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dispatch.riders.bookings import RiderService
from fleet.db import identity as identity_db
from fleet.db.engine import reading
from fleet.db.sites import list_zones
from fleet.exceptions import InvalidValue
from fleet.zones import Zone, ZoneKind
from routing.modes import Mode
from routing.surface import road_of


def parse_kinds(names: Sequence[str]) -> list[ZoneKind]:
    """The zone kinds asked for (all when none).

    Raises
    ------
    InvalidValue
        A kind that is not a zone's.
    """
    kinds = []
    for name in names:
        try:
            kinds.append(ZoneKind(name))
        except ValueError:
            msg = f"unknown zone kind {name!r}; one of: {', '.join(ZoneKind)}"
            raise InvalidValue(msg) from None
    return kinds or list(ZoneKind)


def rule_zones(
    service: RiderService, operator_id: str | None, kind_names: Sequence[str]
) -> list[Zone]:
    """The zones of these kinds, of one operator or of every one, by name; a closure only
    while it is in force."""
    kinds = set(parse_kinds(kind_names))
    now = service.clock.now()
    with reading(service.engine) as conn:
        operators = (
            [operator_id]
            if operator_id is not None
            else [o.id for o in identity_db.list_operators(conn)]
        )
        zones = [z for op in operators for z in list_zones(conn, op)]
    return [
        z
        for z in zones
        if z.kind in kinds
        and (
            z.kind is not ZoneKind.HAZARD_CLOSURE
            or (
                (z.active_from is None or z.active_from <= now)
                and (z.active_until is None or now < z.active_until)
            )
        )
    ]


@dataclass(frozen=True, slots=True)
class ClosedRoads:
    """A closure in force and the streets of the riders' network it closes."""

    closure: Zone
    lines: list[list[tuple[float, float]]]  # one per street, (lon, lat), each way once


def closed_roads(service: RiderService, operator_id: str | None) -> list[ClosedRoads]:
    """The closures in force (of one operator or of all) with the streets they close on the
    bike network (the streets bikes and kickboards ride, car roads included): the edges the
    router avoids, a street's two directions drawn once."""
    closures = rule_zones(service, operator_id, [str(ZoneKind.HAZARD_CLOSURE)])
    router = service.routers.router(Mode.BIKE)
    network, now = router.network, service.clock.now()
    found = []
    for closure in closures:
        edges = router.closed_edges([closure], now)
        streets = sorted({road_of(e, network.twin) for e in edges})
        lines = [
            [(round(x, 5), round(y, 5)) for x, y in network.edge_line(e).coords] for e in streets
        ]
        found.append(ClosedRoads(closure, lines))
    return found
