"""Rider bookings end to end: choose and hold a vehicle, unlock, end the trip, cancel.

Routing and ranking run outside any write transaction; each state change is one short write
transaction whose conditional updates make the database the judge of who got a vehicle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, select

from dispatch.exceptions import (
    DestinationUnreachable,
    NotYourBooking,
    NoVehicleAvailable,
    ParkingRefused,
)
from dispatch.riders import WALK_M_PER_S, Candidate, RiderRules, rank
from fleet.bookings import BOOKING_MACHINE, Booking, BookingStatus
from fleet.catalog import DEFAULT_CATALOG, VehicleClass, parse_vehicle_class
from fleet.clock import Clock
from fleet.db import bookings as bookings_db
from fleet.db.engine import writing
from fleet.db.sites import check_in_service_area, list_sites, list_zones
from fleet.db.tables import bookings, vehicles
from fleet.exceptions import Conflict, InvalidValue
from fleet.geo import Position, degrees_around, haversine_m
from fleet.identity import User
from fleet.pricing import Tariff
from fleet.sites import ParkingKind, Site, SiteKind
from fleet.vehicles import VehicleStatus
from fleet.zones import Zone, ZoneKind
from routing.engine import UNREACHABLE
from routing.modes import Mode, mode_of
from routing.routers import CityRouters

#: Classes riders book themselves (work EVs go through companies).
RIDER_CLASSES = (VehicleClass.E_KICKBOARD, VehicleClass.E_BIKE, VehicleClass.E_MOPED)
#: A trip ending within this distance of a parking station ends *at* that station.
PARKING_RADIUS_M = 25.0
_PARKED = [
    str(s)
    for s in (
        VehicleStatus.AVAILABLE,
        VehicleStatus.LOW_BATTERY,
        VehicleStatus.RESERVED,
        VehicleStatus.MAINTENANCE,
        VehicleStatus.CHARGING,
        VehicleStatus.OFFLINE,
    )
]


@dataclass(frozen=True, slots=True)
class RiderService:
    """Everything rider bookings run on."""

    engine: Engine
    routers: CityRouters
    clock: Clock
    rules: RiderRules
    hold_s: int
    tariff: Tariff


def parse_rider_classes(names: Sequence[str]) -> list[VehicleClass]:
    """The wanted classes; work EVs and unknown names are refused."""
    if not names:
        msg = "name at least one vehicle class: " + ", ".join(map(str, RIDER_CLASSES))
        raise InvalidValue(msg)
    classes = [parse_vehicle_class(n) for n in names]
    if VehicleClass.WORK_EV in classes:
        msg = "work EVs are reserved through your company (POST /api/v1/reservations)"
        raise InvalidValue(msg)
    return list(dict.fromkeys(classes))


def _candidates(
    conn: Connection,
    operator_id: str,
    classes: Sequence[VehicleClass],
    near: Position,
    radius_m: float,
) -> list[Candidate]:
    dlat, dlon = degrees_around(near, radius_m)
    rows = conn.execute(
        select(
            vehicles.c.id,
            vehicles.c.vehicle_class,
            vehicles.c.lat,
            vehicles.c.lon,
            vehicles.c.soc_pct,
        ).where(
            vehicles.c.operator_id == operator_id,
            vehicles.c.status == str(VehicleStatus.AVAILABLE),
            vehicles.c.vehicle_class.in_([str(c) for c in classes]),
            vehicles.c.lat.between(near.lat - dlat, near.lat + dlat),
            vehicles.c.lon.between(near.lon - dlon, near.lon + dlon),
        )
    ).all()
    return [
        Candidate(r.id, VehicleClass(r.vehicle_class), Position(r.lat, r.lon), r.soc_pct)
        for r in rows
    ]


def request_booking(
    service: RiderService,
    rider: User,
    position: Position,
    class_names: Sequence[str],
    destination: Position | None = None,
) -> Booking:
    """Hold the best vehicle for a rider.

    Raises
    ------
    InvalidValue, OutsideServiceArea, InsideClosure, DestinationUnreachable
        The request cannot be served as asked.
    NoVehicleAvailable
        Nothing qualifies nearby (the message says why).
    Conflict
        The rider already has an open booking.
    """
    classes = parse_rider_classes(class_names)
    now = service.clock.now()
    expire_due_holds(service.engine, now)  # so vehicles whose hold ran out are candidates again
    with service.engine.connect() as conn:
        check_in_service_area(conn, rider.operator_id, position)
        if destination is not None:
            check_in_service_area(conn, rider.operator_id, destination)
        zones = list_zones(conn, rider.operator_id)
        candidates = _candidates(
            conn, rider.operator_id, classes, position, service.rules.walk_limit_s * WALK_M_PER_S
        )
    trip_m = (
        None
        if destination is None
        else _trip_lengths(service, classes, position, destination, zones)
    )
    walk = service.routers.router(Mode.WALK)
    walk.check_not_inside([position], zones, now)
    ranking = rank(
        position, candidates, walk, rules=service.rules, zones=zones, at=now, trip_m=trip_m
    )
    if not ranking.ranked:
        raise NoVehicleAvailable(ranking.explain())
    with writing(service.engine) as conn:
        bookings_db.expire_holds(conn, now)
        if bookings_db.open_booking_of(conn, rider.id) is not None:
            msg = "you already have an open booking: unlock, end or cancel it first"
            raise Conflict(msg)
        for choice in ranking.ranked:
            booking = bookings_db.hold(
                conn,
                operator_id=rider.operator_id,
                rider_id=rider.id,
                vehicle_id=choice.candidate.vehicle_id,
                now=now,
                hold_until=now + timedelta(seconds=service.hold_s),
            )
            if booking is not None:
                return booking
    msg = "the vehicles near you were all taken a moment ago; try again"
    raise NoVehicleAvailable(msg)


def expire_due_holds(engine: Engine, now: datetime) -> int:
    """Expire holds whose time ran out (a cheap read first; a write only when some are due)."""
    with engine.connect() as conn:
        due = conn.execute(
            select(bookings.c.id)
            .where(bookings.c.status == str(BookingStatus.HELD), bookings.c.hold_until <= now)
            .limit(1)
        ).first()
    if due is None:
        return 0
    with writing(engine) as conn:
        return bookings_db.expire_holds(conn, now)


def _trip_lengths(
    service: RiderService,
    classes: Sequence[VehicleClass],
    origin: Position,
    destination: Position,
    zones: Sequence[Zone],
) -> dict[VehicleClass, int]:
    now = service.clock.now()
    lengths: dict[VehicleClass, int] = {}
    for vehicle_class in classes:
        router = service.routers.router(mode_of(vehicle_class))
        matrix = router.matrix([origin], [destination], closures=zones, at=now)
        if matrix.distance_m[0, 0] != UNREACHABLE:
            lengths[vehicle_class] = int(matrix.distance_m[0, 0])
    if not lengths:
        msg = "no open road leads from here to the destination for the classes asked for"
        raise DestinationUnreachable(msg)
    return lengths


def _own(rider: User, booking_id: str, conn: Connection) -> Mapping[Any, Any]:
    row = bookings_db.get_row(conn, rider.operator_id, booking_id)
    if row["rider_id"] != rider.id:
        msg = "this booking belongs to another rider"
        raise NotYourBooking(msg)
    return row


def unlock(service: RiderService, rider: User, booking_id: str) -> Booking:
    """Start the trip of a held booking (the vehicle becomes in use)."""
    now = service.clock.now()
    with writing(service.engine) as conn:
        bookings_db.expire_holds(conn, now)
        row = _own(rider, booking_id, conn)
        booking = bookings_db.get_booking(conn, rider.operator_id, booking_id)
        vehicle = (
            conn.execute(select(vehicles).where(vehicles.c.id == row["vehicle_id"]))
            .mappings()
            .one()
        )
        started = bookings_db.move(
            conn,
            booking,
            BookingStatus.ACTIVE,
            now,
            rider.id,
            started_at=now,
            start_lat=vehicle["lat"],
            start_lon=vehicle["lon"],
        )
        if not bookings_db.set_vehicle_status(
            conn, booking.vehicle_id, VehicleStatus.RESERVED, VehicleStatus.IN_USE, now
        ):
            msg = "the vehicle is no longer reserved for you"
            raise Conflict(msg)
        return started


def cancel(service: RiderService, rider: User, booking_id: str) -> Booking:
    """Give a held vehicle back before unlocking it."""
    now = service.clock.now()
    with writing(service.engine) as conn:
        bookings_db.expire_holds(conn, now)
        _own(rider, booking_id, conn)
        booking = bookings_db.get_booking(conn, rider.operator_id, booking_id)
        cancelled = bookings_db.move(
            conn, booking, BookingStatus.CANCELLED, now, rider.id, ended_at=now
        )
        bookings_db.set_vehicle_status(
            conn, booking.vehicle_id, VehicleStatus.RESERVED, VehicleStatus.AVAILABLE, now
        )
        return cancelled


def _parking_suggestion(
    conn: Connection,
    operator_id: str,
    position: Position,
    zones: Sequence[Zone],
    exclude: str | None = None,
) -> dict[str, Any] | None:
    """The nearest parking station with room, outside no-parking zones."""
    best: tuple[float, Site] | None = None
    for site in list_sites(conn, operator_id, SiteKind.PARKING):
        if site.id == exclude or any(
            z.kind is ZoneKind.NO_PARKING and z.contains(site.position) for z in zones
        ):
            continue
        if _parked_at(conn, operator_id, site) >= site.capacity:
            continue
        d = haversine_m(position.lat, position.lon, site.position.lat, site.position.lon)
        if best is None or d < best[0]:
            best = (d, site)
    if best is None:
        return None
    d, site = best
    return {
        "site_id": site.id,
        "name": site.name,
        "lat": site.position.lat,
        "lon": site.position.lon,
        "distance_m": round(d),
    }


def _parked_at(conn: Connection, operator_id: str, site: Site) -> int:
    dlat, dlon = degrees_around(site.position, PARKING_RADIUS_M)
    rows = conn.execute(
        select(vehicles.c.lat, vehicles.c.lon).where(
            and_(
                vehicles.c.operator_id == operator_id,
                vehicles.c.status.in_(_PARKED),
                vehicles.c.lat.between(site.position.lat - dlat, site.position.lat + dlat),
                vehicles.c.lon.between(site.position.lon - dlon, site.position.lon + dlon),
            )
        )
    ).all()
    return sum(
        1
        for r in rows
        if haversine_m(r.lat, r.lon, site.position.lat, site.position.lon) <= PARKING_RADIUS_M
    )


def _check_parking(
    conn: Connection, operator_id: str, position: Position, zones: Sequence[Zone]
) -> None:
    check_in_service_area(conn, operator_id, position)
    for zone in zones:
        if zone.kind is ZoneKind.NO_PARKING and zone.contains(position):
            suggestion = _parking_suggestion(conn, operator_id, position, zones)
            msg = f"parking is not allowed here ({zone.name})"
            raise ParkingRefused(msg, suggestion)
    for site in list_sites(conn, operator_id, SiteKind.PARKING):
        if site.parking_kind is not ParkingKind.DESIGNATED:
            continue
        near = haversine_m(position.lat, position.lon, site.position.lat, site.position.lon)
        if near <= PARKING_RADIUS_M and _parked_at(conn, operator_id, site) >= site.capacity:
            suggestion = _parking_suggestion(conn, operator_id, position, zones, site.id)
            msg = f"parking station {site.name!r} is full"
            raise ParkingRefused(msg, suggestion)


def end_trip(
    service: RiderService, rider: User, booking_id: str, position: Position
) -> tuple[Booking, bookings_db.Receipt]:
    """End an active trip where the rider parked: check the parking rules, drain the battery by
    the distance ridden, price the trip and write the receipt."""
    now = service.clock.now()
    with service.engine.connect() as conn:
        row = _own(rider, booking_id, conn)
        zones = list_zones(conn, rider.operator_id)
        booking = bookings_db.get_booking(conn, rider.operator_id, booking_id)
        if booking.status is not BookingStatus.ACTIVE:
            BOOKING_MACHINE.check(booking.status, BookingStatus.COMPLETED)  # raises
        vehicle = (
            conn.execute(select(vehicles).where(vehicles.c.id == booking.vehicle_id))
            .mappings()
            .one()
        )
        _check_parking(conn, rider.operator_id, position, zones)
    vehicle_class = VehicleClass(vehicle["vehicle_class"])
    start = Position(row["start_lat"], row["start_lon"])
    router = service.routers.router(mode_of(vehicle_class))
    ridden = int(router.matrix([start], [position]).distance_m[0, 0])
    if ridden == UNREACHABLE:  # parked off the network's reach: count the straight line
        ridden = round(haversine_m(start.lat, start.lon, position.lat, position.lon))
    assert booking.started_at is not None
    duration_s = max(0, int((now - booking.started_at).total_seconds()))
    kind = DEFAULT_CATALOG[vehicle_class]
    used_pct = ridden / 1000 * kind.energy_wh_per_km / kind.battery_wh * 100
    soc = max(0.0, round(float(vehicle["soc_pct"]) - used_pct, 1))
    receipt = bookings_db.Receipt(
        distance_m=ridden,
        duration_s=duration_s,
        price_minor=service.tariff.price_minor(vehicle_class, duration_s),
        currency=service.tariff.currency,
        co2_avoided_g=round(ridden / 1000 * kind.replaced_car_co2_g_per_km),
    )
    after = VehicleStatus.LOW_BATTERY if soc < kind.low_battery_pct else VehicleStatus.AVAILABLE
    with writing(service.engine) as conn:
        ended = bookings_db.move(
            conn,
            booking,
            BookingStatus.COMPLETED,
            now,
            rider.id,
            ended_at=now,
            end_lat=position.lat,
            end_lon=position.lon,
            distance_m=receipt.distance_m,
            duration_s=receipt.duration_s,
            price_minor=receipt.price_minor,
            currency=receipt.currency,
            co2_avoided_g=receipt.co2_avoided_g,
        )
        bookings_db.set_vehicle_status(
            conn,
            booking.vehicle_id,
            VehicleStatus.IN_USE,
            after,
            now,
            soc_pct=soc,
            lat=position.lat,
            lon=position.lon,
            odometer_m=vehicles.c.odometer_m + receipt.distance_m,
        )
    return ended, receipt
