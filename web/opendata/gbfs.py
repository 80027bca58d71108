"""The public GBFS feeds (no sign-in: GBFS is open data), v3.0 and v2.3.

``/gbfs/v3/manifest.json`` lists every operator's discovery files; ``/gbfs/<v>/<file>.json``
serves the default operator's (the oldest), ``/gbfs/<v>/<operator_id>/<file>.json`` any
operator's, where ``<v>`` is ``v3`` or ``v2``. Links inside the files are absolute, on the
public URL when one is set, and always name the operator. Answers may be cached for the file's
``ttl`` and read from any site (CORS); an unchanged file answers 304 to ``If-None-Match``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, jsonify, request

from dispatch.opendata import gbfs_snapshot as snapshots
from dispatch.opendata.gbfs_format import PATH_OF, TTL_S, Version
from dispatch.opendata.gbfs_snapshot import FeedSetup
from dispatch.opendata.gbfs_system import build, check_file, manifest
from fleet.exceptions import NotFound
from web.context import ctx
from web.errors import api_error
from web.links import external_url

bp = Blueprint("gbfs", __name__, url_prefix="/gbfs")

_VERSIONS = {path: version for version, path in PATH_OF.items()}
#: What an operator id can look like: anything else is no operator's, unread.
_OPERATOR_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
#: The feeds' contact unless the app is given one (``FLEETOPS_FEED_CONTACT_EMAIL``).
CONTACT_CONFIG = "FLEETOPS_FEED_CONTACT_EMAIL"
#: What the key derived from the app's secret is for (the public vehicle ids).
_KEY_USE = b"fleetops gbfs public vehicle ids"


def _links(version: Version, operator_id: str, name: str) -> str:
    if name == "manifest":
        return external_url("gbfs.manifest_file")
    return external_url(
        "gbfs.operator_file", version=PATH_OF[version], operator_id=operator_id, name=name
    )


def _setup() -> FeedSetup:
    app = ctx()
    contact = current_app.config.get(CONTACT_CONFIG)
    if not contact:
        base = current_app.config.get("FLEETOPS_PUBLIC_URL") or request.host_url
        contact = f"opendata@{urlsplit(base).hostname or 'localhost'}"
    return FeedSetup(
        catalog=app.catalog,
        tariff=app.riders.tariff,
        timezone=app.city.timezone,
        language=app.city.language,
        hold_s=app.riders.hold_s,
        # a key of its own, derived from the app's: the ids reveal nothing of the key that
        # signs sessions
        secret=hmac.new(
            str(current_app.config["SECRET_KEY"]).encode(), _KEY_USE, "sha256"
        ).digest(),
        contact_email=contact,
    )


def _version(path: str) -> Version:
    if path not in _VERSIONS:
        known = ", ".join(f"/gbfs/{p}/" for p in _VERSIONS)
        raise api_error(404, f"no GBFS version {path!r} here; there are {known}", "unknown_version")
    return _VERSIONS[path]


def _answer(body: dict[str, Any], name: str) -> Response:
    """The file, cacheable for its ttl, readable from any site, 304 when unchanged."""
    response = jsonify(body)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = f"public, max-age={TTL_S[name]}"
    content = json.dumps(body["data"], sort_keys=True, ensure_ascii=False).encode()
    response.set_etag(hashlib.sha256(content).hexdigest()[:32], weak=True)
    return response.make_conditional(request)


def _serve(version_path: str, operator_id: str | None, name: str) -> Response:
    version = _version(version_path)
    try:
        check_file(version, name)
    except NotFound as exc:
        raise api_error(404, str(exc), "unknown_file") from None
    app = ctx()
    if operator_id is None:
        everyone = snapshots.operators(app.engine)
        if not everyone:
            raise api_error(404, "no operator publishes a feed here yet", "unknown_operator")
        operator_id = everyone[0].id
    elif not _OPERATOR_ID.fullmatch(operator_id):
        raise api_error(404, "no operator has an id like that", "unknown_operator")
    try:
        snapshot = snapshots.take_snapshot(app.engine, app.clock, operator_id)
    except NotFound as exc:
        raise api_error(404, str(exc), "unknown_operator") from None
    return _answer(build(name, snapshot, _setup(), version, _links), name)


@bp.get("/v3/manifest.json")
def manifest_file() -> Response:
    """Every operator's discovery files (GBFS v3 ``manifest.json``)."""
    app = ctx()
    body = manifest(snapshots.operators(app.engine), _links, app.clock.now(), app.zone)
    return _answer(body, "manifest")


@bp.get("/<version>/<name>.json")
def default_file(version: str, name: str) -> Response:
    """A file of the default operator's feed."""
    return _serve(version, None, name)


@bp.get("/<version>/<operator_id>/<name>.json")
def operator_file(version: str, operator_id: str, name: str) -> Response:
    """A file of one operator's feed."""
    return _serve(version, operator_id, name)


@bp.get("/", defaults={"rest": ""})
@bp.get("/<path:rest>")
def elsewhere(rest: str) -> Response:
    """Any other path under /gbfs: say where the feeds are."""
    msg = (
        "no GBFS file at this path; the feeds are /gbfs/v3/manifest.json, "
        "/gbfs/<v3|v2>/<file>.json and /gbfs/<v3|v2>/<operator_id>/<file>.json"
    )
    raise api_error(404, msg, "unknown_file")
