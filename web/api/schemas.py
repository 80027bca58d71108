"""Request and response schemas shared by the API views (they make the OpenAPI document)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from apiflask import Schema, fields, validators
from marshmallow import ValidationError

from dispatch.couriers.views import JobSeen
from dispatch.platform import Paging
from fleet import clock
from fleet.catalog import Catalog, VehicleClass
from fleet.vehicles import Vehicle, VehicleStatus
from web.errors import api_error

#: The instants any request may name: wide enough for every real use, narrow enough that no
#: time zone takes one past the year 9999 (each use bounds its own horizon more tightly).
EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)


class Instant(fields.AwareDateTime):
    """An ISO 8601 instant with its offset, between :data:`EARLIEST` and :data:`LATEST`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {}).setdefault("description", "ISO 8601 with offset")
        kwargs["metadata"]["description"] += ", from 2000-01-01 to 2100-01-01"
        too_far = "too far ahead or behind: an instant lies from 2000-01-01 to 2100-01-01"
        kwargs.setdefault(
            "error_messages",
            {"invalid_awareness": "needs its UTC offset, as in 2026-03-02T09:00:00+09:00"},
        )
        super().__init__(
            format="iso", validate=validators.Range(EARLIEST, LATEST, error=too_far), **kwargs
        )


class ErrorDetail(Schema):
    status = fields.Integer(required=True)
    code = fields.String(required=True)
    message = fields.String(required=True)
    detail = fields.Dict()


class ErrorOut(Schema):
    error = fields.Nested(ErrorDetail, required=True)


def one_of(values: Iterable[object]) -> dict[str, Any]:
    """Metadata stating the values a field takes, where the platform checks them itself (its
    422 names the field and lists them): the document says them up front, the check stays."""
    return {"enum": [str(value) for value in values]}


#: Metadata stating bounds the platform checks itself (``fleet.geo.Position``, charges).
LATITUDE: dict[str, Any] = {"minimum": -90, "maximum": 90}
LONGITUDE: dict[str, Any] = {"minimum": -180, "maximum": 180}
PERCENT: dict[str, Any] = {"minimum": 0, "maximum": 100}
CLASSES = one_of(VehicleClass)


class PointIn(Schema):
    lat = fields.Float(required=True, metadata=LATITUDE)
    lon = fields.Float(required=True, metadata=LONGITUDE)


#: The largest value an INTEGER column holds (PostgreSQL's are 32-bit): a bound for the API's
#: integers that are stored, so a larger one is refused by name rather than failing the insert.
INT32_MAX = 2**31 - 1

#: The last page a listing may ask for: its offset stays far inside what a database counts with
#: (a page past 2^63 failed the query, and no listing has a million pages).
MAX_PAGE = 1_000_000


class DigitsInteger(fields.Integer):
    """An integer written in ASCII digits: Python's ``int`` also reads other scripts' digits
    (``page=１``, a full-width one), which no client means to send."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str) and not value.isascii():
            msg = "Not a valid integer (ASCII digits only)."
            raise ValidationError(msg)
        return super()._deserialize(value, attr, data, **kwargs)


class PageQuery(Schema):
    page = DigitsInteger(load_default=1, validate=validators.Range(min=1, max=MAX_PAGE))
    per_page = DigitsInteger(load_default=None, validate=validators.Range(min=1))


class FeatureCollection(Schema):
    """A GeoJSON FeatureCollection (the features' shape is each endpoint's to document)."""

    type = fields.String()
    features = fields.List(fields.Dict())


class PageInfo(Schema):
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()


def paging(query: dict[str, Any], sizes: Paging) -> tuple[int, int]:
    """The page and page size a listing asks for (the size checked against the platform's)."""
    per_page = query.get("per_page") or sizes.default
    if per_page > sizes.maximum:
        msg = f"per_page must be at most {sizes.maximum}"
        raise api_error(422, msg, "invalid_value", {"query": {"per_page": [msg]}})
    return int(query["page"]), int(per_page)


def page_info(page: int, per_page: int, total: int) -> dict[str, int]:
    """The pagination block of a listing."""
    return {
        "page": page,
        "per_page": per_page,
        "total": total,
        "pages": max(1, -(-total // per_page)),
    }


class PublicVehicle(Schema):
    id = fields.String()
    operator_id = fields.String()
    code = fields.String(metadata={"description": "the fleet code on its sticker"})
    plate = fields.String(allow_none=True, metadata={"description": "registration plate"})
    model = fields.String(allow_none=True)
    vehicle_class = fields.String()
    lat = fields.Float()
    lon = fields.Float()
    soc_pct = fields.Float(metadata={"description": "state of charge, percent"})
    range_m = fields.Integer(metadata={"description": "range left at this charge, metres"})
    walk_s = fields.Integer(
        metadata={"description": "with lat/lon: seconds of walking to it (nearest first)"}
    )
    distance_m = fields.Integer(metadata={"description": "with lat/lon: metres of walking"})


class FleetVehicle(PublicVehicle):
    status = fields.String()
    odometer_m = fields.Integer()
    battery_serial = fields.String(allow_none=True)
    updated_at = fields.String(metadata={"description": "ISO 8601 in the city's time zone"})


class VehicleOut(FleetVehicle):
    """A single vehicle answer (its own class: apispec registers each schema class once, and
    FleetVehicle is already registered through the list)."""


class PublicVehicleList(Schema):
    data = fields.List(fields.Nested(PublicVehicle))
    pagination = fields.Nested(PageInfo)


class FleetVehicleList(Schema):
    data = fields.List(fields.Nested(FleetVehicle))
    pagination = fields.Nested(PageInfo)


class VehicleListQuery(PageQuery):
    vehicle_class = fields.List(fields.String(metadata=CLASSES), load_default=list)
    operator_id = fields.String(load_default=None)
    lat = fields.Float(load_default=None, validate=validators.Range(min=-90, max=90))
    lon = fields.Float(load_default=None, validate=validators.Range(min=-180, max=180))
    radius_m = fields.Integer(load_default=500, validate=validators.Range(min=1, max=5000))


class FleetListQuery(PageQuery):
    vehicle_class = fields.List(fields.String(metadata=CLASSES), load_default=list)
    status = fields.List(fields.String(metadata=one_of(VehicleStatus)), load_default=list)


class VehicleIn(Schema):
    code = fields.String(required=True, validate=validators.Length(min=1, max=64))
    vehicle_class = fields.String(required=True, metadata=CLASSES)
    lat = fields.Float(required=True, metadata=LATITUDE)
    lon = fields.Float(required=True, metadata=LONGITUDE)
    soc_pct = fields.Float(required=True, metadata=PERCENT)
    odometer_m = fields.Integer(load_default=0, validate=validators.Range(min=0, max=INT32_MAX))
    status = fields.String(load_default="available", metadata=one_of(VehicleStatus))
    battery_serial = fields.String(
        load_default=None, allow_none=True, validate=validators.Length(min=1, max=64)
    )
    plate = fields.String(load_default=None, validate=validators.Length(min=1, max=32))
    model = fields.String(load_default=None, validate=validators.Length(min=1, max=64))


class VehiclePatch(Schema):
    status = fields.String(metadata=one_of(VehicleStatus))
    soc_pct = fields.Float(metadata=PERCENT)
    lat = fields.Float(metadata=LATITUDE)
    lon = fields.Float(metadata=LONGITUDE)
    odometer_m = fields.Integer(validate=validators.Range(min=0, max=INT32_MAX))


def local_iso(at: datetime, zone: ZoneInfo) -> str:
    """An instant as ISO 8601 in ``zone`` (see ``fleet.clock.local_iso``)."""
    return clock.local_iso(at, zone)


def public_vehicle(v: Vehicle, catalog: Catalog) -> dict[str, Any]:
    """What a rider app sees of a vehicle."""
    return {
        "id": v.id,
        "operator_id": v.operator_id,
        "code": v.code,
        "plate": v.plate,
        "model": v.model,
        "vehicle_class": str(v.vehicle_class),
        "lat": v.position.lat,
        "lon": v.position.lon,
        "soc_pct": round(v.soc_pct, 1),
        "range_m": catalog[v.vehicle_class].range_m(v.soc_pct),
    }


def fleet_vehicle(v: Vehicle, catalog: Catalog, zone: ZoneInfo) -> dict[str, Any]:
    """What fleet staff see of a vehicle."""
    return {
        **public_vehicle(v, catalog),
        "status": str(v.status),
        "odometer_m": v.odometer_m,
        "battery_serial": v.battery_serial,
        "updated_at": local_iso(v.updated_at, zone),
    }


class CourierRef(Schema):
    """The courier a job is with, by name."""

    id = fields.String()
    display_name = fields.String()


class MopedRef(Schema):
    """The moped a job rides on, by the code and plate people read."""

    id = fields.String()
    code = fields.String()
    plate = fields.String(allow_none=True)


def job_people(seen: JobSeen) -> dict[str, Any]:
    """The ``courier`` and ``vehicle`` of a job's answer (``None`` until a courier has it)."""
    job, moped = seen.job, seen.moped
    return {
        "courier": None
        if job.courier_id is None or seen.courier_name is None
        else {"id": job.courier_id, "display_name": seen.courier_name},
        "vehicle": None if moped is None else {"id": moped[0], "code": moped[1], "plate": moped[2]},
    }
