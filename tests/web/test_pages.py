"""Session login for pages."""

from __future__ import annotations

import re

from tests.conftest import PASSWORD


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def test_pages_need_a_session_and_login_gives_one(client, world):
    first = client.get("/")
    assert first.status_code == 302 and "/login" in first.headers["Location"]
    form = client.get("/login?lang=en").get_data(as_text=True)  # the city's own is Korean
    wrong = client.post(
        "/login", data={"username": "a-manager", "password": "nope", "csrf": _csrf(form)}
    )
    assert wrong.status_code == 401 and "Wrong username or password" in wrong.get_data(True)
    ok = client.post(
        "/login?next=/", data={"username": "a-manager", "password": PASSWORD, "csrf": _csrf(form)}
    )
    assert ok.status_code == 302 and ok.headers["Location"] == "/"
    start = client.get("/")  # a manager's own page is the dashboard
    assert start.status_code == 302 and start.headers["Location"] == "/dashboard"
    home = client.get("/dashboard").get_data(as_text=True)
    assert "A manager" in home and "Fleet dashboard" in home
    client.post("/logout", data={"csrf": _csrf(home)})
    assert client.get("/").status_code == 302


def test_login_without_the_form_token_is_refused(client):
    response = client.post("/login", data={"username": "a-manager", "password": PASSWORD})
    assert response.status_code == 400


def test_login_does_not_redirect_off_site(client):
    form = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login?next=//evil.example/",
        data={"username": "a-manager", "password": PASSWORD, "csrf": _csrf(form)},
    )
    assert response.headers["Location"] == "/"
