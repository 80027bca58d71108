"""Paging of ``GET /ngsi-ld/v1/entities`` on the seeded demo (SQLite, PostgreSQL): walking the
pages gives every entity once, in type-then-id order; ``count=true`` gives the total;
``Link`` names the next and previous pages; ``type`` pages too; every bad value is a 400 that
names its parameter, never a 500."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from dispatch.opendata.ngsi_export import DEFAULT_LIMIT, MAX_LIMIT
from tests.web.conftest import demo  # noqa: F401  (the seeded demo city and its app)
from tests.web.test_bookings import login

URL = "/ngsi-ld/v1/entities"
LINK = re.compile(r'<(?P<url>[^>]*)>; rel="(?P<rel>[^"]*)"')


@pytest.fixture
def city(demo):  # noqa: F811
    """The demo app's test client and the city user's headers."""
    client = demo[0].test_client()
    return client, login(client, "city")


def get(city, query: str, accept: str | None = None):
    client, headers = city
    if accept:
        headers = {**headers, "Accept": accept}
    return client.get(f"{URL}?{query}", headers=headers)


def links(answer) -> dict[str, str]:
    """rel → URL of the answer's ``Link`` header."""
    return {m["rel"]: m["url"] for m in LINK.finditer(answer.headers.get("Link", ""))}


def page_query(url: str) -> str:
    """The query of a ``Link`` URL, checked to point back at the entities."""
    parts = urlsplit(url)
    assert parts.scheme == "http" and parts.netloc == "localhost" and parts.path == URL
    return parts.query


def walk(city, query: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Every entity met following ``next`` from ``query``, and each page's query."""
    seen: list[dict[str, Any]] = []
    queries = [query]
    while True:
        answer = get(city, queries[-1])
        assert answer.status_code == 200, answer.get_json()
        seen += json.loads(answer.get_data())
        following = links(answer).get("next")
        if following is None:
            return seen, queries
        queries.append(page_query(following))
        assert len(queries) < 100, "the pages never end"


def everything(city, types: str = "") -> list[dict[str, Any]]:
    query = f"limit={MAX_LIMIT}&count=true" + (f"&type={types}" if types else "")
    answer = get(city, query)
    found = json.loads(answer.get_data())
    assert int(answer.headers["NGSILD-Results-Count"]) == len(found) < MAX_LIMIT
    return found


def test_walking_pages_of_seven_gives_every_entity_once_in_order(city):
    whole = everything(city)
    assert len(whole) > 3 * 7, "the demo must fill several pages"
    seen, queries = walk(city, "limit=7&count=true")
    assert [e["id"] for e in seen] == [e["id"] for e in whole]
    assert len({e["id"] for e in seen}) == len(seen)
    assert [(e["type"], e["id"]) for e in seen] == sorted((e["type"], e["id"]) for e in seen)
    assert len(queries) == -(-len(whole) // 7)
    for number, query in enumerate(queries):
        assert parse_qs(query) == {
            "limit": ["7"], "count": ["true"], **({"offset": [str(7 * number)]} if number else {})
        }  # fmt: skip


def test_count_and_the_links_of_first_middle_and_last_pages(city):
    total = len(everything(city))
    first = get(city, "limit=7&count=true")
    assert first.headers["NGSILD-Results-Count"] == str(total)
    assert set(links(first)) == {"next"}
    assert parse_qs(page_query(links(first)["next"]))["offset"] == ["7"]
    middle = get(city, "limit=7&offset=10")
    assert "NGSILD-Results-Count" not in middle.headers
    assert parse_qs(page_query(links(middle)["next"]))["offset"] == ["17"]
    assert parse_qs(page_query(links(middle)["prev"]))["offset"] == ["3"]
    near_start = get(city, "limit=7&offset=3")
    assert parse_qs(page_query(links(near_start)["prev"]))["offset"] == ["0"]
    last = get(city, f"limit=7&offset={total - 2}")
    assert len(json.loads(last.get_data())) == 2 and set(links(last)) == {"prev"}
    beyond = get(city, f"limit=7&offset={total + 50}&count=true")
    assert beyond.status_code == 200 and json.loads(beyond.get_data()) == []
    assert beyond.headers["NGSILD-Results-Count"] == str(total) and "next" not in links(beyond)


def test_the_default_page_and_the_count_alone(city):
    total = len(everything(city))
    default = get(city, "")
    assert len(json.loads(default.get_data())) == min(total, DEFAULT_LIMIT)
    assert ("next" in links(default)) == (total > DEFAULT_LIMIT)
    alone = get(city, "limit=0&count=true")
    assert alone.status_code == 200 and json.loads(alone.get_data()) == []
    assert alone.headers["NGSILD-Results-Count"] == str(total) and not links(alone)
    assert get(city, "count=false").headers.get("NGSILD-Results-Count") is None


def test_type_pages_too_and_its_links_keep_it(city):
    types = "GeofencingZone,BikeHireDockingStation"
    whole = everything(city, types)
    seen, queries = walk(city, f"type={types}&limit=3")
    assert [e["id"] for e in seen] == [e["id"] for e in whole]
    assert {e["type"] for e in seen} == set(types.split(","))
    assert len(queries) > 2 and all(parse_qs(q)["type"] == [types] for q in queries[1:])


def test_plain_json_names_the_context_and_the_pages_in_one_link(city):
    answer = get(city, "limit=7&offset=7", accept="application/json")
    assert answer.mimetype == "application/json"
    found = links(answer)
    assert set(found) == {"http://www.w3.org/ns/json-ld#context", "next", "prev"}
    assert found["http://www.w3.org/ns/json-ld#context"].endswith("/ngsi-ld/context.jsonld")


BAD = [
    ("limit=abc", "limit"), ("limit=-1", "limit"), ("limit=0", "limit"), ("limit=", "limit"),
    (f"limit={MAX_LIMIT + 1}", "limit"), ("limit=1.5", "limit"), ("limit=+5", "limit"),
    ("limit=" + "9" * 5000, "limit"), ("limit=%D9%A3", "limit"), ("limit=1&limit=2", "limit"),
    ("limit= 5", "limit"), ("offset=1%0A", "offset"), ("count=%07true", "count"),
    ("offset=-1", "offset"),
    ("offset=x", "offset"), ("offset=1e3", "offset"), ("offset=" + "9" * 40, "offset"),
    ("offset=0&offset=7", "offset"), ("offset=", "offset"), ("count=yes", "count"),
    ("count=TRUE", "count"), ("count=", "count"), ("count=true&count=false", "count"),
    ("limit=0&count=false", "limit"), ("type=Vehicle&limit=0x10", "limit"),
]  # fmt: skip


@pytest.mark.parametrize(("query", "named"), BAD)
def test_every_bad_paging_value_is_a_400_naming_it(demo, query, named):  # noqa: F811
    client = demo[0].test_client()
    answer = client.get(f"{URL}?{query}", headers=login(client, "manager"))
    assert answer.status_code == 400, (query, answer.get_data()[:200])
    error = answer.get_json()["error"]
    assert error["code"] == "invalid_parameter" and error["detail"] == {"parameter": named}
    assert error["message"].startswith(named) and len(error["message"]) < 300


def test_a_nul_byte_is_refused_before_the_view(city):
    """The app refuses NUL in any query (``web.errors``), naming the parameter."""
    for query in ("limit=%00", "offset=1%00", "count=true%00"):
        answer = get(city, query)
        assert answer.status_code == 400, query
        error = answer.get_json()["error"]
        assert error["code"] == "invalid_text" and query.split("=")[0] in error["message"]
