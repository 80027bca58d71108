"""Telemetry ingest: an operator's vehicle-data gateway posts batches of samples, each naming its
vehicle by id or by the operator's code, and reads its operator's vehicles' ids and codes
(docs/telemetry.md)."""

from __future__ import annotations

from typing import Any

from apiflask import Schema, fields, validators
from marshmallow import ValidationError, validates_schema

from dispatch.ops import telemetry as service
from fleet.identity import Role
from fleet.records import MAX_SAMPLE_ID
from web.api import api
from web.api.schemas import (
    LATITUDE,
    LONGITUDE,
    PERCENT,
    Instant,
    PageInfo,
    PageQuery,
    page_info,
    paging,
)
from web.auth import FLEET_STAFF, api_auth, current_user
from web.context import ctx

GATEWAYS = [str(Role.GATEWAY)]
#: Who may read the operator's vehicles' ids and codes: its gateways, and its fleet staff, who
#: read the whole fleet anyway (and set gateways up).
CODE_READERS = [*GATEWAYS, *FLEET_STAFF]
#: A vehicle id is a uuid (36 characters); a longer one is no vehicle of any operator.
VEHICLE_ID = 36
#: A vehicle's code is at most 64 characters (as registered: ``POST /fleet/vehicles``).
VEHICLE_CODE = 64
REFUSED = (
    "a sample that cannot be stored (sample_refused: detail names its index, id and problem: "
    "invalid_value, duplicate_id, unknown_vehicle, in_future, too_old, outside_service_area), "
    "a malformed field or a vehicle named by both or neither of vehicle_id and vehicle_code "
    f"(validation_error naming samples.<index>.<field>), or more than "
    f"{service.MAX_SAMPLES} samples; nothing of the batch is stored"
)


class SampleIn(Schema):
    id = fields.String(
        required=True,
        validate=validators.Length(1, MAX_SAMPLE_ID),
        metadata={"description": "the gateway's id of the sample, unique per vehicle"},
    )
    vehicle_id = fields.String(
        validate=validators.Length(1, VEHICLE_ID),
        metadata={"description": "the platform's id of the vehicle (or give vehicle_code)"},
    )
    vehicle_code = fields.String(
        validate=validators.Length(1, VEHICLE_CODE),
        metadata={"description": "the operator's code of the vehicle (or give vehicle_id)"},
    )
    at = Instant(required=True, metadata={"description": "when the sample was taken"})
    lat = fields.Float(required=True, validate=validators.Range(-90, 90), metadata=LATITUDE)
    lon = fields.Float(required=True, validate=validators.Range(-180, 180), metadata=LONGITUDE)
    speed_kph = fields.Float(required=True, validate=validators.Range(0, service.MAX_SPEED_KPH))
    soc_pct = fields.Float(required=True, validate=validators.Range(0, 100), metadata=PERCENT)
    vibration_rms_ms2 = fields.Float(
        validate=validators.Range(0, service.MAX_VIBRATION_MS2),
        metadata={"description": "RMS of the vertical acceleration over the sample, m/s²"},
    )
    noise_db = fields.Float(
        validate=validators.Range(0, service.MAX_NOISE_DB),
        metadata={"description": "sound level, dB(A), if measured"},
    )

    @validates_schema
    def _one_vehicle(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if "vehicle_id" in data and "vehicle_code" in data:
            msg = "name the vehicle by vehicle_id or by vehicle_code, not both"
            raise ValidationError(msg, "vehicle_code")
        if "vehicle_id" not in data and "vehicle_code" not in data:
            msg = "name the vehicle by vehicle_id or by vehicle_code (the operator's code)"
            raise ValidationError(msg, "vehicle_id")


class BatchIn(Schema):
    samples = fields.List(
        fields.Nested(SampleIn),
        required=True,
        validate=validators.Length(1, service.MAX_SAMPLES),
    )


class BatchOut(Schema):
    accepted = fields.Integer(metadata={"description": "samples stored by this request"})
    duplicates = fields.Integer(metadata={"description": "samples stored before (skipped)"})


@api.post("/telemetry")
@api.auth_required(api_auth, roles=GATEWAYS)
@api.input(BatchIn, arg_name="body")
@api.output(BatchOut)
@api.doc(
    summary="Store a batch of vehicle samples (position, charge, speed, vertical vibration, "
    "noise), all or none; a replayed batch stores nothing twice and answers the same counts",
    responses={401: "no valid token", 403: "not a telemetry gateway", 422: REFUSED},
)
def post_telemetry(body: dict[str, Any]) -> dict[str, Any]:
    app = ctx()
    done = service.ingest(app.engine, app.clock, current_user(), body["samples"])
    return {"accepted": done.accepted, "duplicates": done.duplicates}


class VehicleCodeOut(Schema):
    id = fields.String(metadata={"description": "the platform's id (vehicle_id of a sample)"})
    code = fields.String(metadata={"description": "the operator's code (vehicle_code)"})


class VehicleCodeList(Schema):
    data = fields.List(fields.Nested(VehicleCodeOut))
    pagination = fields.Nested(PageInfo)


@api.get("/telemetry/vehicles")
@api.auth_required(api_auth, roles=CODE_READERS)
@api.input(PageQuery, location="query", arg_name="query")
@api.output(VehicleCodeList)
@api.doc(
    summary="The operator's vehicles' ids and codes, by code, so a gateway maps its codes to "
    "ids (or names samples by vehicle_code); paged",
    responses={401: "no valid token", 403: "not a gateway, manager or crew", 422: "bad page"},
)
def list_vehicle_codes(query: dict[str, Any]) -> dict[str, Any]:
    app = ctx()
    page, per_page = paging(query, app.paging)
    found = service.vehicle_codes(
        app.engine, current_user(), limit=per_page, offset=(page - 1) * per_page
    )
    return {
        "data": [{"id": vehicle_id, "code": code} for vehicle_id, code in found.items],
        "pagination": page_info(page, per_page, found.total),
    }
