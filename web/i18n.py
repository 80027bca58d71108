"""The pages' two languages: Korean and English, Korean first in Korean cities.

Every word a page shows comes from the tables ``web/messages/<lang>/*.json`` by key (a
file per page, read as one table; a key is defined once): templates call
``t("key")`` and scripts ``FO.t("key")`` on the same table (fetched from
``/i18n/<lang>.json``). A person switches with ``?lang=ko`` or ``?lang=en`` on any page; the
choice is kept in a cookie for a year. Without one, pages open in the city profile's
``language``. tests/web/test_i18n.py finds every key the templates and scripts use and checks
that both tables hold it, and that both tables hold the same keys.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request

from fleet.city import LANGUAGES
from web.context import ctx

MESSAGES_DIR = Path(__file__).parent / "messages"
#: The cookie that remembers the language a person chose.
COOKIE = "lang"
_YEAR_S = 365 * 24 * 3600

bp = Blueprint("i18n", __name__)


@cache
def messages(lang: str) -> dict[str, str]:
    """The message table of ``lang``: its files read once, as one table."""
    table: dict[str, str] = {}
    for path in sorted((MESSAGES_DIR / lang).glob("*.json")):
        part = json.loads(path.read_text("utf-8"))
        twice = sorted(set(part) & set(table))
        if twice:
            msg = f"{path}: keys defined in another file too: {', '.join(twice)}"
            raise ValueError(msg)
        table.update(part)
    return table


def language() -> str:
    """The language of this request: asked for, else chosen before, else the city's."""
    for asked in (request.args.get("lang"), request.cookies.get(COOKIE)):
        if asked in LANGUAGES:
            return str(asked)
    return ctx().city.language


def translate(key: str, **values: Any) -> str:
    """The message ``key`` in this request's language, with ``{name}`` fields filled in.

    A key missing from the table shows as itself (and fails tests/web/test_i18n.py)."""
    text = messages(language()).get(key, key)
    return text.format(**values) if values else text


def _remember(response: Response) -> Response:
    asked = request.args.get("lang")
    if asked in LANGUAGES and request.cookies.get(COOKIE) != asked:
        response.set_cookie(COOKIE, str(asked), max_age=_YEAR_S, samesite="Lax", httponly=True)
    return response


@bp.get("/i18n/<lang>.json")
def table(lang: str) -> Response | tuple[Response, int]:
    """A language's table for the page scripts."""
    if lang not in LANGUAGES:
        found = jsonify(error={"status": 404, "code": "not_found", "message": "no such language"})
        return found, 404
    response = jsonify(messages(lang))
    response.cache_control.max_age = 300
    return response


def install(app: Flask) -> None:
    """Give templates ``t`` and ``lang``, remember a language asked for, serve the tables."""
    app.jinja_env.globals.update(t=translate, lang=language, languages=LANGUAGES)
    app.after_request(_remember)
    app.register_blueprint(bp)
