"""Rider bookings end to end: find and hold a vehicle, unlock, end the trip, cancel.

Each use case reads what it needs, decides with no transaction open (routing, ranking,
pricing), then writes in one short transaction whose conditional updates make the database the
judge of who got a vehicle. A booking reads its candidates nearest first, page by page, until no
unread one can be among the :data:`HEAD` best (:mod:`dispatch.riders.nearest`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from dispatch.exceptions import (
    DestinationUnreachable,
    NotYourBooking,
    NoVehicleAvailable,
    OpenBookingExists,
    ParkingRefused,
)
from dispatch.holds import expire_due_holds
from dispatch.riders import parking
from dispatch.riders.nearest import Fetch, rank_nearest
from dispatch.riders.ranking import WALK_M_PER_S, Ranked, Ranking, RiderRules
from dispatch.riders.ridden import MAX_SAMPLES, Ridden, distance_ridden
from dispatch.riders.trips import end_of_trip
from fleet.bookings import BOOKING_MACHINE, Booking, BookingStatus
from fleet.carbon import EUROPEAN_FACTORS, CarbonFactors
from fleet.catalog import Catalog, VehicleClass, parse_vehicle_class
from fleet.clock import Clock
from fleet.db import bookings as bookings_db
from fleet.db import riding as riding_db
from fleet.db import telemetry as telemetry_db
from fleet.db import vehicles as vehicles_db
from fleet.db.engine import Connection, Engine, reading, writing
from fleet.db.sites import list_sites, list_zones
from fleet.exceptions import InvalidValue
from fleet.geo import Position
from fleet.identity import Role, User
from fleet.ids import Ids
from fleet.pricing import Tariff
from fleet.sites import Site, SiteKind
from fleet.vehicles import Vehicle, VehicleStatus
from fleet.zones import Zone, ZoneKind, check_in_service_area, first_inside
from routing.engine import UNREACHABLE
from routing.exceptions import InsideClosure
from routing.modes import Mode, mode_of
from routing.routers import CityRouters

#: How many of the best vehicles a booking ranks exactly before it tries to hold them; were all
#: taken meanwhile, it ranks every vehicle in reach.
HEAD = 8
#: Classes riders book themselves (work EVs go through companies).
RIDER_CLASSES = (VehicleClass.E_KICKBOARD, VehicleClass.E_BIKE, VehicleClass.E_MOPED)


@dataclass(frozen=True, slots=True)
class RiderService:
    """Everything rider bookings run on."""

    engine: Engine
    routers: CityRouters
    clock: Clock
    ids: Ids
    catalog: Catalog
    rules: RiderRules
    hold_s: int
    tariff: Tariff
    #: the city's car baseline and grid (docs/carbon.md)
    carbon: CarbonFactors = EUROPEAN_FACTORS


@dataclass(frozen=True, slots=True)
class Booked:
    """A booking and its vehicle as they stand after the use case."""

    booking: Booking
    vehicle: Vehicle
    #: how the trip's distance was measured (set by ending a trip only)
    ridden: Ridden | None = None


def parse_rider_classes(names: Sequence[str]) -> list[VehicleClass]:
    """The wanted classes; work EVs and unknown names are refused."""
    if not names:
        msg = "name at least one vehicle class: " + ", ".join(map(str, RIDER_CLASSES))
        raise InvalidValue(msg)
    classes = [parse_vehicle_class(n) for n in names]
    no_work_evs(classes)
    return list(dict.fromkeys(classes))


def request_booking(
    service: RiderService,
    rider: User,
    position: Position,
    class_names: Sequence[str],
    destination: Position | None = None,
) -> Booked:
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
    expire_due_holds(service.engine, service.clock)  # their vehicles are candidates again
    with reading(service.engine) as conn:
        zones = list_zones(conn, rider.operator_id)
    for place in (position, destination):
        if place is not None:
            check_in_service_area(zones, place)
    walk = service.routers.router(Mode.WALK)
    walk.check_not_inside([position], zones, now)
    trip_m = (
        None
        if destination is None
        else _trip_lengths(service, classes, position, destination, zones)
    )
    radius_m = service.rules.walk_limit_s * WALK_M_PER_S
    # how far from the roads a vehicle in reach can stand: where roads are everywhere, the
    # search stops far sooner than with the router's maximum snap distance
    reach = walk.snap_reach(position, radius_m, zones, now)

    def fetch(after: tuple[float, str] | None, limit: int) -> list[riding_db.NearRow]:
        with reading(service.engine) as conn:
            return riding_db.available_nearest(
                conn, rider.operator_id, classes, position, radius_m, now, after=after, limit=limit
            )

    def ranking(candidates_of: Fetch) -> tuple[Ranking, bool]:
        return rank_nearest(
            position, candidates_of, walk, enough=HEAD, rules=service.rules,
            catalog=service.catalog, zones=zones, at=now, trip_m=trip_m,
            reach=reach,
        )  # fmt: skip

    head, whole = ranking(fetch)
    if not head.ranked:
        raise NoVehicleAvailable(head.explain())
    booked = _hold_first(service, rider, head.ranked, now)
    if booked is None and not whole:
        # every vehicle of the head was taken meanwhile: rank the whole reach, as before
        tried = {r.candidate.vehicle_id for r in head.ranked}
        rest, _ = ranking(lambda after, _limit: fetch(after, 1_000_000))
        others = [r for r in rest.ranked if r.candidate.vehicle_id not in tried]
        booked = _hold_first(service, rider, others, now)
    if booked is not None:
        return booked
    msg = "the vehicles near you were all taken a moment ago; try again"
    raise NoVehicleAvailable(msg)


def _hold_first(
    service: RiderService, rider: User, choices: Sequence[Ranked], now: datetime
) -> Booked | None:
    """Hold the first of ``choices`` nobody took meanwhile, in one transaction whose
    conditional update makes the database the judge; ``None``: all were taken.

    Raises
    ------
    OpenBookingExists
        The rider already has an open booking.
    """
    until = now + timedelta(seconds=service.hold_s)
    with writing(service.engine) as conn:
        already = bookings_db.open_booking_of(conn, rider.id)
        if already is not None:
            msg = (
                f"you already have an open booking ({already.id}, {already.status}): "
                "unlock, end or cancel it first"
            )
            raise OpenBookingExists(msg, already.id)
        for choice in choices:
            wanted = Booking(
                service.ids.new_id(),
                rider.operator_id,
                rider.id,
                choice.candidate.vehicle_id,
                BookingStatus.HELD,
                now,
                until,
            )
            booking = bookings_db.hold(conn, wanted)
            if booking is not None:
                return _booked(conn, booking)
    return None


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


def _booked(conn: Connection, booking: Booking) -> Booked:
    return Booked(booking, vehicles_db.get_vehicle(conn, booking.operator_id, booking.vehicle_id))


def _own(conn: Connection, rider: User, booking_id: str) -> Booking:
    booking = bookings_db.get_booking(conn, rider.operator_id, booking_id)
    if booking.rider_id != rider.id:
        msg = "this booking belongs to another rider"
        raise NotYourBooking(msg)
    return booking


def bookings_of(
    service: RiderService,
    rider: User,
    status_names: Sequence[str],
    *,
    limit: int,
    offset: int,
) -> tuple[list[Booked], int]:
    """A page of the rider's own bookings, newest first, and the total.

    Raises
    ------
    InvalidValue
        A status that is not a booking's.
    """
    statuses = []
    for name in status_names:
        try:
            statuses.append(BookingStatus(name))
        except ValueError:
            known = ", ".join(BookingStatus)
            msg = f"unknown booking status {name!r}; one of: {known}"
            raise InvalidValue(msg) from None
    with reading(service.engine) as conn:
        page, total = bookings_db.bookings_of(conn, rider.id, statuses, limit=limit, offset=offset)
        return [_booked(conn, b) for b in page], total


def booking_of(service: RiderService, user: User, booking_id: str) -> Booked:
    """A booking as its rider, or the operator's managers and crews, see it."""
    with reading(service.engine) as conn:
        if user.role is Role.RIDER:
            return _booked(conn, _own(conn, user, booking_id))
        return _booked(conn, bookings_db.get_booking(conn, user.operator_id, booking_id))


def unlock(service: RiderService, rider: User, booking_id: str) -> Booked:
    """Start the trip of a held booking (the vehicle becomes in use), unless the vehicle stands
    in a closure that came into force since it was held (``InsideClosure``: the rider cancels
    and books another)."""
    expire_due_holds(service.engine, service.clock)
    now = service.clock.now()
    with writing(service.engine) as conn:
        booking = _own(conn, rider, booking_id)
        vehicle = vehicles_db.get_vehicle(conn, rider.operator_id, booking.vehicle_id)
        closures = list_zones(conn, rider.operator_id, ZoneKind.HAZARD_CLOSURE)
        closed = first_inside([z for z in closures if z.closes_roads(now)], vehicle.position)
        if closed is not None:
            raise InsideClosure(vehicle.position.lat, vehicle.position.lon, closed.name)
        return _booked(conn, bookings_db.start_trip(conn, booking, now, vehicle.position))


def cancel(service: RiderService, rider: User, booking_id: str) -> Booked:
    """Give a held vehicle back before unlocking it."""
    expire_due_holds(service.engine, service.clock)
    now = service.clock.now()
    with writing(service.engine) as conn:
        booking = _own(conn, rider, booking_id)
        return _booked(conn, bookings_db.cancel(conn, booking, now))


def end_trip(service: RiderService, rider: User, booking_id: str, position: Position) -> Booked:
    """End an active trip where the rider parked: check the parking rules, measure the distance
    ridden (the vehicle's telemetry, map-matched: :mod:`dispatch.riders.ridden`), drain the
    battery by it, price the trip and store the receipt with the booking."""
    now = service.clock.now()
    with reading(service.engine) as conn:
        booking = _own(conn, rider, booking_id)
        if booking.status is not BookingStatus.ACTIVE:
            BOOKING_MACHINE.check(booking.status, BookingStatus.COMPLETED)  # raises
        vehicle = vehicles_db.get_vehicle(conn, rider.operator_id, booking.vehicle_id)
        zones = list_zones(conn, rider.operator_id)
        check_in_service_area(zones, position)
        _check_parking(conn, rider.operator_id, position, zones)
        start, since = booking.start, booking.started_at
        assert start is not None and since is not None
        track = telemetry_db.track(conn, vehicle.id, since, now, limit=MAX_SAMPLES)
    samples = [(lat, lon, (at - since).total_seconds()) for at, lat, lon in track]
    router = service.routers.router(mode_of(vehicle.vehicle_class))
    measured = distance_ridden(router, start, position, samples)
    end = end_of_trip(
        service.catalog[vehicle.vehicle_class],
        service.tariff,
        carbon=service.carbon,
        soc_pct=vehicle.soc_pct,
        ridden_m=measured.distance_m,
        started_at=since,
        ended_at=now,
        distance_method=str(measured.method),
    )
    with writing(service.engine) as conn:
        ended = bookings_db.complete_trip(
            conn,
            booking,
            now,
            position,
            end.receipt,
            soc_pct=end.soc_pct,
            after=end.status,
            co2=end.co2,
        )
        return replace(_booked(conn, ended), ridden=measured)


def _check_parking(
    conn: Connection, operator_id: str, position: Position, zones: Sequence[Zone]
) -> None:
    stations = list_sites(conn, operator_id, SiteKind.PARKING)

    def parked(at: Sequence[Site]) -> dict[str, int]:
        radius = parking.PARKING_RADIUS_M
        return {
            s.id: riding_db.count_parked_near(conn, operator_id, s.position, radius) for s in at
        }

    here = parked(parking.stations_at(stations, position))
    refused = parking.refusal(zones, position, stations, here)
    if refused is not None:
        nearest = parking.suggestion(zones, position, stations, parked(stations), refused.exclude)
        raise ParkingRefused(refused.message, nearest)


def available_vehicles(
    service: RiderService,
    *,
    operator_id: str | None,
    classes: Sequence[VehicleClass],
    limit: int,
    offset: int,
) -> vehicles_db.VehiclePage:
    """A page of the vehicles riders may book, by code, of every operator unless one is named
    (holds that ran out are freed first, so their vehicles are offered again).

    Raises
    ------
    InvalidValue
        Work EVs were asked for: they are reserved through a company.
    """
    no_work_evs(classes)
    expire_due_holds(service.engine, service.clock)
    with reading(service.engine) as conn:
        return vehicles_db.list_vehicles(
            conn,
            operator_id=operator_id,
            statuses=[VehicleStatus.AVAILABLE],
            classes=classes,
            limit=limit,
            offset=offset,
            riders_at=service.clock.now(),
        )


def no_work_evs(classes: Sequence[VehicleClass]) -> None:
    if VehicleClass.WORK_EV in classes:
        msg = "work EVs are reserved through your company (POST /api/v1/reservations)"
        raise InvalidValue(msg)
