"""After sign-in, ``/login?next=...`` sends the browser back only to a path of this site.

Browsers drop tabs and newlines from a URL and read a backslash as a slash, so ``/\\tevil``
and ``/\\evil`` are ``//evil``: another site."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

import pytest

from tests.conftest import PASSWORD

#: Targets that left the site (or carried control characters) before issue 12.
HOSTILE = [
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "/\\evil.example",
    "/\\/evil.example",
    "/\x0b/evil.example",
    "/\x1f/evil.example",
    "/\u3000/evil.example",
    "/\x9b/evil.example",
]
#: Targets refused already: they stay refused.
REFUSED = [
    "//evil.example",
    "///evil.example",
    "\\/evil.example",
    "http://evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    " //evil.example",
]


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def _sign_in(client, next_query: str) -> str:
    form = client.get("/login").get_data(as_text=True)
    response = client.post(
        f"/login?next={next_query}",
        data={"username": "a-manager", "password": PASSWORD, "csrf": _csrf(form)},
    )
    assert response.status_code == 302
    return response.headers["Location"]


def _as_a_browser_reads_it(location: str) -> str:
    return re.sub(r"[\t\n\r]", "", location).replace("\\", "/").strip()


@pytest.mark.parametrize("target", HOSTILE)
def test_login_never_redirects_off_site(client, world, target):
    location = _sign_in(client, quote(target, safe=""))
    seen = urlsplit(_as_a_browser_reads_it(location))
    assert not seen.scheme and not seen.netloc and location == "/", location


@pytest.mark.parametrize("target", REFUSED)
def test_login_still_refuses_other_sites(client, world, target):
    assert _sign_in(client, quote(target, safe="")) == "/"


def test_login_redirects_to_a_path_of_the_site(client, world):
    assert _sign_in(client, quote("/api/docs?x=1", safe="")) == "/api/docs?x=1"
    assert _sign_in(client, "%2F%2Fevil.example") == "/"
