"""The sign-out form needs the session's CSRF token: another site cannot sign a browser out
(nor, from the same form, do anything else). Without the token, or with a token that is not this
session's, the answer is 400 and the session stays."""

from __future__ import annotations

import re

from tests.conftest import PASSWORD


def _form_token(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def test_sign_out_without_this_sessions_token_is_refused_and_the_session_stays(client, world):
    form = client.get("/login").get_data(as_text=True)
    signed = client.post(
        "/login", data={"username": "a-rider", "password": PASSWORD, "csrf": _form_token(form)}
    )
    assert signed.status_code == 302
    home = client.get("/", follow_redirects=True).get_data(as_text=True)  # their role's page
    token = _form_token(home)
    for sent in ({}, {"csrf": ""}, {"csrf": token[:-1]}, {"csrf": _form_token(form)}):
        assert client.post("/logout", data=sent).status_code == 400, sent
        assert client.get("/api/v1/me").status_code == 200  # still signed in
    assert client.post("/logout", data={"csrf": token}).status_code == 302
    assert client.get("/api/v1/me").status_code == 401
