"""NGSI-LD over HTTP: our JSON-LD context document, public at ``GET /ngsi-ld/context.jsonld``,
and the caller's operator's entities at ``GET /ngsi-ld/v1/entities`` for the city and managers
(the read-only export a data hub may pull; the push is ``dispatch.queue.ngsi_jobs``).

Both answer ``application/ld+json``; a client that accepts only ``application/json`` gets the
entities without ``@context`` and our context in a ``Link`` header instead, as NGSI-LD answers
plain JSON (the core context is then implied). The context document's IRIs and the entities'
``@context`` are under the platform's public URL (``server.public_url``), else under the
address the request reached. Errors keep the platform's one JSON shape (``web.errors``).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request

from dispatch.opendata.ngsi_context import CONTEXT_PATH, Contexts, context_document
from dispatch.opendata.ngsi_export import export_page
from fleet.exceptions import InvalidValue
from fleet.identity import Role
from web.auth import api_auth, current_user
from web.context import ctx
from web.errors import api_error
from web.opendata.ngsi_paging import COUNT_HEADER, PAGING, page_links, read_paging

bp = Blueprint("ngsi_ld", __name__)

JSON_LD = "application/ld+json"
JSON = "application/json"
#: The Link relation that names a JSON document's JSON-LD context (JSON-LD 1.1, 6.1).
LINK_REL = "http://www.w3.org/ns/json-ld#context"
#: Who may pull the operator's entities: the city's data hub reader and the operator's managers.
READERS = [str(Role.CITY), str(Role.MANAGER)]
_CORE = "fleetops.ngsi_core_context"
#: A broker fetches the context document for every entity it expands: let it keep it a while.
CONTEXT_MAX_AGE_S = 3600


def install(app: Flask, core_context: str) -> None:
    """Serve the NGSI-LD routes on ``app``; entities name ``core_context`` (the setting
    ``open_data.ngsi_core_context``) before ours."""
    app.extensions[_CORE] = core_context
    app.register_blueprint(bp)


def _contexts() -> Contexts:
    base = current_app.config.get("FLEETOPS_PUBLIC_URL") or request.host_url
    return Contexts(base.rstrip("/"), current_app.extensions[_CORE])


def _json_ld(body: Any) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), mimetype=JSON_LD)


@bp.get(CONTEXT_PATH)
def context() -> Response:
    """Our context document (public: a broker fetches it to expand our entities)."""
    answer = _json_ld(context_document(_contexts()))
    answer.headers["Cache-Control"] = f"public, max-age={CONTEXT_MAX_AGE_S}"
    return answer


def _types() -> list[str]:
    """The ``type`` query parameter: entity types, comma-separated (NGSI-LD's own form)."""
    raw = request.args.getlist("type")
    return [t.strip() for value in raw for t in value.split(",") if t.strip()]


def _refuse_other_parameters() -> None:
    """Refuse NGSI-LD query parameters the export does not implement (``q``, ``id``,
    ``attrs``, ``options``, ...): answering every entity to them would look like an answer
    (a filter, keyValues) and be wrong."""
    other = sorted(set(request.args) - {"type", *PAGING})
    if other:
        named = ", ".join(other)[:200]
        msg = (
            f"this export takes only type (entity types, comma-separated), limit, offset and "
            f"count, not {named}: it has no filters or options; query a context broker the "
            "entities are pushed to for those (docs/ngsi-ld.md)"
        )
        raise api_error(400, msg, "unsupported_parameter", {"parameters": other[:20]})


@bp.get("/ngsi-ld/v1/entities")
@api_auth.login_required(role=READERS)
def entities() -> Response:
    """A page of the caller's operator's entities as a JSON-LD array, by type then id
    (``?type=Vehicle,...`` narrows it; ``limit``, ``offset`` and ``count=true`` page it, with
    ``Link`` headers to the next and previous pages). An unknown type, a bad paging value or
    any other parameter is a 400."""
    _refuse_other_parameters()
    paging = read_paging(request.args.to_dict(flat=False))
    platform = ctx()
    types = _types()
    try:
        page = export_page(
            platform.engine,
            platform.clock,
            platform.catalog,
            current_user().operator_id,
            _contexts(),
            types,
            offset=paging.offset,
            limit=paging.limit,
            routers=platform.routers,
            city=platform.city.name,
        )
    except InvalidValue as exc:
        raise api_error(400, str(exc), "unknown_entity_type") from None
    links = page_links(_contexts().base_url + request.path, types, paging, page)
    wanted = request.accept_mimetypes.best_match([JSON_LD, JSON], default=JSON_LD)
    if wanted != JSON:
        answer = _json_ld(page.entities)
    else:
        plain = [{k: v for k, v in e.items() if k != "@context"} for e in page.entities]
        answer = Response(json.dumps(plain, ensure_ascii=False), mimetype=JSON)
        links.insert(0, f'<{_contexts().own_url}>; rel="{LINK_REL}"; type="{JSON_LD}"')
    if links:
        answer.headers["Link"] = ", ".join(links)
    if paging.count:
        answer.headers[COUNT_HEADER] = str(page.total)
    return answer
