"""One JSON error shape for every API error, and domain errors mapped to HTTP statuses.

``{"error": {"status": 422, "code": "invalid_value", "message": "...", "detail": {...}}}``
"""

from __future__ import annotations

import json
import logging
from typing import Any

from apiflask import APIFlask, HTTPError
from flask import Response, jsonify, request

from dispatch.exceptions import (
    DestinationUnreachable,
    NotYourBooking,
    NoVehicleAvailable,
    ParkingRefused,
    SampleRefused,
)
from fleet.exceptions import (
    Conflict,
    FleetError,
    IllegalTransition,
    InvalidValue,
    NotFound,
    OutsideServiceArea,
    UnknownVehicleClass,
)
from routing.exceptions import InsideClosure

log = logging.getLogger(__name__)

#: Domain error → (HTTP status, machine-readable code). The first matching class wins.
DOMAIN_ERRORS: list[tuple[type[Exception], int, str]] = [
    (ParkingRefused, 422, "parking_refused"),
    (SampleRefused, 422, "sample_refused"),
    (DestinationUnreachable, 422, "destination_unreachable"),
    (NoVehicleAvailable, 409, "no_vehicle_available"),
    (NotYourBooking, 403, "not_your_booking"),
    (OutsideServiceArea, 422, "outside_service_area"),
    (InsideClosure, 422, "inside_closure"),
    (UnknownVehicleClass, 422, "unknown_vehicle_class"),
    (IllegalTransition, 409, "illegal_transition"),
    (InvalidValue, 422, "invalid_value"),
    (NotFound, 404, "not_found"),
    (Conflict, 409, "conflict"),
]

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


def error_body(
    status: int, message: str, code: str | None = None, detail: Any = None
) -> dict[str, Any]:
    """The error shape every API error uses."""
    return {
        "error": {
            "status": status,
            "code": code or _STATUS_CODES.get(status, "error"),
            "message": message,
            "detail": detail if detail is not None else {},
        }
    }


def api_error(status: int, message: str, code: str | None = None, detail: Any = None) -> HTTPError:
    """An ``HTTPError`` carrying our code (raise it from a view)."""
    return HTTPError(
        status,
        message=message,
        detail=detail or {},
        extra_data={"code": code or _STATUS_CODES.get(status, "error")},
    )


#: Methods whose body the API reads as a JSON object.
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _check_json_body() -> None:
    """Refuse, saying why, an API body that is not a JSON object: one sent without
    ``Content-Type: application/json`` (415), or one that does not parse or is not an object
    (400). Without this a broken body got a bare "Bad Request" and an untyped one a misleading
    "Missing data for required field"."""
    if request.method not in _BODY_METHODS or not request.path.startswith("/api/"):
        return
    raw = request.get_data(cache=True)
    if not raw.strip():
        return
    if request.mimetype != "application/json":
        got = request.mimetype or "none"
        msg = f"send the body as JSON with Content-Type: application/json (got {got})"
        raise api_error(415, msg, "unsupported_media_type")
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise api_error(400, f"the body is not valid JSON: {exc}", "invalid_json") from None
    except RecursionError:
        msg = "the body is nested too deeply to read: no request of this API nests like that"
        raise api_error(400, msg, "invalid_json") from None
    if not isinstance(body, dict):
        msg = f"the body must be a JSON object, not {type(body).__name__}"
        raise api_error(400, msg, "invalid_json")
    where = _bad_text_in(body)
    if where is not None:
        raise api_error(400, f"{where} {BAD_TEXT}", "invalid_text")


#: What text may not hold (PostgreSQL text cannot store NUL; a lone surrogate is no character).
BAD_TEXT = "holds a NUL byte or a lone surrogate, which no text field accepts"


def _is_bad(text: str) -> bool:
    return "\x00" in text or any("\ud800" <= ch <= "\udfff" for ch in text)


def _bad_text_in(body: Any) -> str | None:
    """The name (a dotted path) of the first key or string of ``body`` with bad text."""
    stack: list[tuple[str, Any]] = [("the body", body)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str) and _is_bad(value):
            return where
        if isinstance(value, dict):
            for key, item in value.items():
                name = key if where == "the body" else f"{where}.{key}"
                if _is_bad(key):
                    return f"a key of {where}"
                stack.append((name, item))
        elif isinstance(value, list):
            stack.extend((f"{where}[{i}]", item) for i, item in enumerate(value))
    return None


def _check_text() -> None:
    """Refuse a path or query with bad text (400 ``invalid_text``), before any view reads it."""
    if _is_bad(request.path):
        raise api_error(400, f"the path {BAD_TEXT}", "invalid_text")
    for key, value in request.args.items(multi=True):
        if _is_bad(key) or _is_bad(value):
            raise api_error(400, f"query parameter {key!r} {BAD_TEXT}", "invalid_text")


def _first_problem(detail: Any) -> str:
    """The first field a validation error names, as ``"body.field: what is wrong; "``."""
    where: list[str] = []
    while isinstance(detail, dict) and detail:
        key, detail = next(iter(detail.items()))
        where.append(str(key))
    if isinstance(detail, list) and detail and isinstance(detail[0], str):
        return f"{'.'.join(where[1:]) or 'the request'}: {detail[0]} "
    return ""


def install(app: APIFlask) -> None:
    """Register the error processor, the JSON body check and the domain-error handlers on
    ``app``."""
    app.before_request(_check_text)
    app.before_request(_check_json_body)

    @app.error_processor
    def _shape(error: HTTPError) -> tuple[dict[str, Any], int, Any]:
        code = error.extra_data.get("code") if error.extra_data else None
        message = error.message
        if error.status_code == 422 and code is None:
            code = "validation_error"
            message = f"the request is not valid: {_first_problem(error.detail)}(see detail)"
        body = error_body(error.status_code, message, code, error.detail)
        return body, error.status_code, error.headers

    @app.errorhandler(FleetError)
    def _domain(exc: Exception) -> tuple[Response, int]:
        for cls, status, code in DOMAIN_ERRORS:
            if isinstance(exc, cls):
                detail = getattr(exc, "detail", None)  # what the error names, if anything
                if isinstance(exc, ParkingRefused):
                    detail = {"nearest_allowed": exc.suggestion}
                return jsonify(error_body(status, str(exc), code, detail)), status
        log.exception("unmapped domain error on %s %s", request.method, request.path)
        return jsonify(error_body(500, "internal error")), 500
