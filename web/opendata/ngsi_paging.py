"""NGSI-LD paging of ``GET /ngsi-ld/v1/entities``: reading ``limit``, ``offset`` and ``count``
from a query, and the ``Link`` to the next and previous pages (ETSI GS CIM 009, pagination and
counting). The views call these; nothing here reads the request itself."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NoReturn
from urllib.parse import urlencode

from dispatch.opendata.ngsi_export import DEFAULT_LIMIT, MAX_LIMIT, EntityPage
from web.errors import api_error

#: The query parameters that page: with ``type``, all the export takes.
PAGING = ("limit", "offset", "count")
#: The response header with the total, sent when ``count=true`` (NGSI-LD's name).
COUNT_HEADER = "NGSILD-Results-Count"
#: The farthest offset taken: beyond any fleet, and short enough to refuse a huge number
#: before it is parsed.
MAX_OFFSET = 999_999_999
_DIGITS = re.compile(r"[0-9]{1,9}", re.ASCII)


@dataclass(frozen=True, slots=True)
class Paging:
    """What a query asked for: the page's ``offset`` and ``limit``, and whether to ``count``."""

    offset: int = 0
    limit: int = DEFAULT_LIMIT
    count: bool = False


def _refuse(name: str, why: str) -> NoReturn:
    """Answer 400 ``invalid_parameter``, naming the parameter ``name`` and saying ``why``."""
    msg = f"{name} {why} (docs/ngsi-ld.md, paging)"
    raise api_error(400, msg, "invalid_parameter", {"parameter": name})


def _one(args: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = args.get(name) or []
    if len(values) > 1:
        _refuse(name, "is given more than once; give it once")
    return values[0] if values else None


def _integer(name: str, raw: str, most: int) -> int:
    if not _DIGITS.fullmatch(raw) or int(raw) > most:
        _refuse(name, f"must be a whole number from 0 to {most}, not {raw[:40]!r}")
    return int(raw)


def read_paging(args: Mapping[str, Sequence[str]]) -> Paging:
    """The paging of a query (``args``: each parameter's values, as given), or a 400
    ``invalid_parameter`` naming the parameter: ``limit`` a whole number from 1 to
    ``MAX_LIMIT`` (0 only with ``count=true``: the count alone, as NGSI-LD allows), ``offset``
    from 0, ``count`` ``true`` or ``false``; each at most once."""
    raw_count = _one(args, "count")
    if raw_count not in (None, "true", "false"):
        _refuse("count", f"must be true or false, not {raw_count[:40]!r}")
    count = raw_count == "true"
    raw_offset = _one(args, "offset")
    offset = 0 if raw_offset is None else _integer("offset", raw_offset, MAX_OFFSET)
    raw_limit = _one(args, "limit")
    limit = DEFAULT_LIMIT if raw_limit is None else _integer("limit", raw_limit, MAX_LIMIT)
    if limit == 0 and not count:
        _refuse("limit", "may be 0 only with count=true (the count alone)")
    return Paging(offset, limit, count)


def page_links(url: str, types: Sequence[str], paging: Paging, page: EntityPage) -> list[str]:
    """``Link`` values to the next and previous pages of ``page`` at ``url`` (the entities'
    absolute URL), keeping the query's ``type``, ``limit`` and ``count``."""
    links = []
    for rel, offset in (("next", page.next_offset), ("prev", page.prev_offset)):
        if offset is None:
            continue
        query: dict[str, str] = {"type": ",".join(types)} if types else {}
        query |= {"offset": str(offset), "limit": str(paging.limit)}
        if paging.count:
            query["count"] = "true"
        links.append(f'<{url}?{urlencode(query, safe=",")}>; rel="{rel}"')
    return links
