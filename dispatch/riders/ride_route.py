"""A rider's route to a destination on the vehicle's roads (issue 17, docs/road-surface.md):
for bikes and kickboards it goes around roads the road-surface index found broken, where a way
of similar time exists, and says how much of it still runs on the worst roads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dispatch.exceptions import DestinationUnreachable
from dispatch.ops import surface
from dispatch.riders.bookings import RIDER_CLASSES, RiderService
from fleet.catalog import VehicleClass
from fleet.db import surface as surface_db
from fleet.db.engine import reading
from fleet.db.sites import list_zones
from fleet.exceptions import InvalidValue
from fleet.geo import Position
from fleet.identity import User
from fleet.zones import check_in_service_area
from routing.engine import Route
from routing.modes import mode_of
from routing.surface import road_of


@dataclass(frozen=True, slots=True)
class RideRoute:
    """The route, and what the road-surface index says of it."""

    route: Route
    vehicle_class: VehicleClass
    #: metres of the route on roads in the index's worst decile
    rough_m: int
    #: when the index the route was planned with was made; ``None``: no index for these roads
    surface_at: datetime | None


def ride_route(
    service: RiderService,
    rider: User,
    origin: Position,
    destination: Position,
    vehicle_class: VehicleClass,
) -> RideRoute:
    """The fastest route for ``vehicle_class`` (bad surfaces cost more for bikes and
    kickboards), avoiding the operator's active closures.

    Raises
    ------
    InvalidValue
        The class is not one riders ride.
    OutsideServiceArea
        Either end lies outside the operator's service area.
    InsideClosure
        Either end lies in an active hazard closure.
    DestinationUnreachable
        No open road leads there.
    """
    if vehicle_class not in RIDER_CLASSES:
        msg = f"riders ride {', '.join(map(str, RIDER_CLASSES))}, not {vehicle_class}"
        raise InvalidValue(msg)
    now = service.clock.now()
    with reading(service.engine) as conn:
        zones = list_zones(conn, rider.operator_id)
    for place in (origin, destination):
        check_in_service_area(zones, place)
    mode = mode_of(vehicle_class)
    router = service.routers.router(mode)
    route = router.route(origin, destination, closures=zones, at=now)
    if route is None:
        msg = f"no open road leads from here to the destination for {vehicle_class}"
        raise DestinationUnreachable(msg)
    if mode is not surface.MODE:
        return RideRoute(route, vehicle_class, 0, None)
    net = router.network
    with reading(service.engine) as conn:
        state = surface_db.network_state(conn, mode.value)
        if state is None or state.network_key != surface.network_key(net):
            return RideRoute(route, vehicle_class, 0, None)
        worst = surface_db.worst_roads(conn, mode.value)
    rough = round(
        sum(
            m
            for e, m in zip(route.edges, route.edge_m, strict=True)
            if road_of(e, net.twin) in worst
        )
    )
    return RideRoute(route, vehicle_class, rough, state.computed_at)
