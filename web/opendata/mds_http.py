"""The HTTP of the MDS provider API: its versioned media type (``Accept`` checked, 406 for a
version it does not serve), bearer tokens of the ``city`` role, and MDS's own error body
``{error, error_description, error_details}`` (docs/mds.md says why not the house shape)."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, g, request

from dispatch import accounts
from fleet.identity import Role, User
from web.context import ctx

MDS_MEDIA = "application/vnd.mds+json"
#: The MDS versions (major.minor) this provider serves.
SERVED_VERSIONS = ("2.0",)
CONTENT_TYPE = f"{MDS_MEDIA};version={SERVED_VERSIONS[-1]}"
#: Other media ranges a client may accept the feed under.
_ALSO_FINE = frozenset({"*/*", "application/*", "application/json"})


class MdsError(Exception):
    """An MDS error answer: status, MDS ``error`` code, description and details."""

    def __init__(
        self,
        status: int,
        error: str,
        description: str,
        details: tuple[str, ...] = (),
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description
        self.details, self.headers = details, headers


def answer(body: dict[str, Any], status: int = 200) -> Response:
    """A JSON answer of the MDS media type."""
    return Response(json.dumps(body), status=status, content_type=CONTENT_TYPE)


def error_answer(err: MdsError) -> Response:
    """The MDS error body of ``err``."""
    body = {
        "error": err.error,
        "error_description": err.description,
        "error_details": list(err.details) or [err.description],
    }
    response = answer(body, err.status)
    for name, value in err.headers:
        response.headers[name] = value
    return response


def _media_ranges(accept: str) -> list[tuple[str, dict[str, str]]]:
    """The media ranges of an ``Accept`` header with their parameters, refused ones (q=0)
    left out."""
    ranges = []
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        named = {}
        for param in params:
            key, _, value = param.partition("=")
            named[key.strip().lower()] = value.strip().strip('"')
        try:
            if float(named.get("q", "1")) <= 0:
                continue
        except ValueError:
            pass
        ranges.append((media.lower(), named))
    return ranges


def _major_minor(version: str) -> str:
    """``2.0`` of ``2.0`` and of ``2.0.0``: the header names MAJOR.MINOR, but a client may copy
    the full version the bodies carry, which names the same API."""
    parts = version.split(".")
    return ".".join(parts[:2]) if len(parts) == 3 and all(p.isdigit() for p in parts) else version


def check_accept() -> None:
    """Refuse (406) an ``Accept`` that admits no MDS version this provider serves: an MDS
    media type of another version, or only types that are not JSON. No ``Accept`` (or one
    admitting any JSON) gets the newest version served."""
    accept = request.headers.get("Accept", "")
    if not accept.strip():
        return
    asked = []
    for media, params in _media_ranges(accept[:2000]):
        if media == MDS_MEDIA:
            version = params.get("version")
            if version is None or _major_minor(version) in SERVED_VERSIONS:
                return
            asked.append(version)
        elif media in _ALSO_FINE:
            return
    served = ", ".join(SERVED_VERSIONS)
    what = f"MDS version {', '.join(asked)[:100]}" if asked else "no media type this API serves"
    msg = f"the Accept header asks for {what}; this provider serves {MDS_MEDIA};version={served}"
    raise MdsError(406, "unsupported_version", msg, (f"supported versions: {served}",))


_CHALLENGE = (("WWW-Authenticate", 'Bearer realm="mds"'),)


def authenticate() -> User:
    """The ``city`` user of the request's bearer token (kept in ``g.mds_user``).

    Raises
    ------
    MdsError
        401 without a valid, unexpired bearer token; 403 for a user of another role.
    """
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        msg = "send Authorization: Bearer <token> (POST /api/v1/auth/token as a city user)"
        raise MdsError(401, "unauthorized", msg, headers=_CHALLENGE)
    user = accounts.user_for_token(ctx().accounts, token.strip()[:512])
    if user is None:
        msg = "the bearer token is not valid: it is unknown, expired or revoked"
        raise MdsError(401, "unauthorized", msg, headers=_CHALLENGE)
    if user.role is not Role.CITY:
        msg = f"the MDS feeds are for the city's users; a {user.role} token may not read them"
        raise MdsError(403, "forbidden", msg)
    g.mds_user = user
    return user


def operator_id() -> str:
    """The operator whose data the authenticated city user reads."""
    user: User = g.mds_user
    return user.operator_id
