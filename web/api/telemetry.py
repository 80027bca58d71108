"""Telemetry ingest: an operator's vehicle-data gateway posts batches of samples
(docs/telemetry.md)."""

from __future__ import annotations

from typing import Any

from apiflask import Schema, fields, validators

from dispatch.ops import telemetry as service
from fleet.identity import Role
from fleet.records import MAX_SAMPLE_ID
from web.api import api
from web.api.schemas import LATITUDE, LONGITUDE, PERCENT, Instant
from web.auth import api_auth, current_user
from web.context import ctx

GATEWAYS = [str(Role.GATEWAY)]
#: A vehicle id is a uuid (36 characters); a longer one is no vehicle of any operator.
VEHICLE_ID = 36
REFUSED = (
    "a sample that cannot be stored (sample_refused: detail names its index, id and problem: "
    "invalid_value, duplicate_id, unknown_vehicle, in_future, too_old, outside_service_area), "
    f"a malformed field (validation_error naming samples.<index>.<field>), or more than "
    f"{service.MAX_SAMPLES} samples; nothing of the batch is stored"
)


class SampleIn(Schema):
    id = fields.String(
        required=True,
        validate=validators.Length(1, MAX_SAMPLE_ID),
        metadata={"description": "the gateway's id of the sample, unique per vehicle"},
    )
    vehicle_id = fields.String(required=True, validate=validators.Length(1, VEHICLE_ID))
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
