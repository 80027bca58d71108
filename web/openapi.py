"""What the OpenAPI document says that no single view does: the one error shape, the answers
every operation may give before its view runs, and the browser session as an alternative to a
bearer token. Installed by ``create_app`` as apiflask's spec processor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dispatch.platform import Platform
from web.errors import BAD_TEXT

#: The one error shape (web/errors.py ``error_body``), documented for every 4xx answer.
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "code", "message", "detail"],
            "additionalProperties": False,
            "properties": {
                "status": {"type": "integer", "description": "the HTTP status again"},
                "code": {"type": "string", "description": "what went wrong, for programs"},
                "message": {"type": "string", "description": "what went wrong, for people"},
                "detail": {"type": "object", "description": "what the error names, if anything"},
            },
        }
    },
}

#: Where the document keeps it (the name apiflask gives its HTTP_ERROR_SCHEMA).
ERROR_REF = "#/components/schemas/HTTPError"

#: Methods whose body the API reads (web/errors.py checks it before any view).
_BODY_METHODS = ("post", "put", "patch")

#: Answers any API operation may give, by web/errors.py's checks before its view runs.
_EVERY_OPERATION = {"400": f"invalid_text: a path or query parameter {BAD_TEXT}"}
_WITH_BODY = {
    "400": "invalid_json or invalid_text: the body is not a JSON object, or a string of it "
    "holds a NUL byte or a lone surrogate",
    "413": "the body is larger than 1 MiB",
    "415": "a body sent without Content-Type: application/json",
}


def processor(platform: Platform) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The spec processor ``create_app`` installs: it completes the document apiflask generated,
    with what the running platform is set to (the largest page size)."""

    def process(spec: dict[str, Any]) -> dict[str, Any]:
        spec.setdefault("components", {}).setdefault("schemas", {})["HTTPError"] = ERROR_SCHEMA
        for item in spec.get("paths", {}).values():
            for method, operation in item.items():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                _session_alternative(operation)
                _common_answers(method, operation)
                _page_size(operation, platform.paging.maximum)
        return spec

    return process


def _page_size(operation: dict[str, Any], maximum: int) -> None:
    """State the largest ``per_page`` (a setting, api.page_size_max, checked by ``paging``)."""
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "query" and parameter.get("name") == "per_page":
            parameter["schema"]["maximum"] = maximum


def _session_alternative(operation: dict[str, Any]) -> None:
    """Document that a bearer-secured operation also takes the browser session."""
    security = operation.get("security")
    for requirement in list(security or []):
        if "BearerAuth" in requirement:
            security.append({"SessionCookie": requirement["BearerAuth"]})


def _common_answers(method: str, operation: dict[str, Any]) -> None:
    """Add the answers of the checks every request passes, keeping a view's own words."""
    answers = dict(_EVERY_OPERATION)
    if method in _BODY_METHODS:
        answers.update(_WITH_BODY)
    responses = operation["responses"]
    for status, description in answers.items():
        own = responses.get(status)
        if own is None:
            responses[status] = {
                "description": description,
                "content": {"application/json": {"schema": {"$ref": ERROR_REF}}},
            }
        elif description not in own.get("description", ""):
            own["description"] = f"{own.get('description', '')}; {description}".lstrip("; ")
