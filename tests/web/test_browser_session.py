"""A signed-in browser calls the JSON API with its session (issue 11): reads need only the session
cookie, unsafe methods also the page's CSRF token, roles still apply, bearer tokens need no CSRF
token, and the page forms that POST carry theirs."""

from __future__ import annotations

import re

import pytest

from cli.demo import DEMO_PASSWORD
from tests.web.test_bookings import login
from web import create_app


@pytest.fixture
def client(demo):
    return demo[0].test_client()


def _form_token(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def page_token(client) -> str:
    """The CSRF token the start page hands its scripts (``<meta name="csrf-token">``)."""
    home = client.get("/", follow_redirects=True).get_data(as_text=True)  # their role's page
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', home)
    assert match, home
    return match.group(1)


def sign_in(client, username: str):
    """Sign in through the login form, as a browser does; the login response."""
    form = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login", data={"username": username, "password": DEMO_PASSWORD, "csrf": _form_token(form)}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def a_vehicle(client, headers=None) -> tuple[str, int]:
    """The path of a vehicle of the fleet, and an odometer reading it may move on to."""
    listed = client.get("/api/v1/fleet/vehicles?per_page=1", headers=headers or {})
    assert listed.status_code == 200, listed.get_json()
    vehicle = listed.get_json()["data"][0]
    return f"/api/v1/fleet/vehicles/{vehicle['id']}", vehicle["odometer_m"] + 1000


def test_a_signed_in_manager_reads_the_api_with_the_session(client):
    sign_in(client, "manager")
    me = client.get("/api/v1/me")
    assert me.status_code == 200, me.get_json()
    assert me.get_json()["username"] == "manager"
    assert client.get("/api/v1/fleet/vehicles").status_code == 200


def test_unsafe_calls_by_session_need_the_pages_csrf_token(client):
    sign_in(client, "manager")
    vehicle, odometer_m = a_vehicle(client)
    for headers in ({}, {"X-CSRF-Token": "not-the-token"}):
        refused = client.patch(vehicle, json={"odometer_m": odometer_m}, headers=headers)
        assert refused.status_code == 403, refused.get_json()
        error = refused.get_json()["error"]
        assert error["code"] == "csrf_failed" and "X-CSRF-Token" in error["message"]
    token = page_token(client)
    assert client.get("/api/v1/auth/csrf").get_json()["csrf_token"] == token
    done = client.patch(vehicle, json={"odometer_m": odometer_m}, headers={"X-CSRF-Token": token})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["odometer_m"] == odometer_m


def test_roles_still_apply_to_a_browser_session(client):
    sign_in(client, "rider1")
    refused = client.get("/api/v1/fleet/vehicles")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    mine = client.get("/api/v1/bookings")
    assert mine.status_code == 200, mine.get_json()


def test_bearer_calls_need_no_csrf_token_even_beside_a_session(client):
    """A guard: the bearer token decides who asks, and needs no CSRF token."""
    manager = login(client, "manager")
    vehicle, odometer_m = a_vehicle(client, manager)
    sign_in(client, "rider1")
    done = client.patch(vehicle, json={"odometer_m": odometer_m}, headers=manager)
    assert done.status_code == 200, done.get_json()


def test_the_sign_out_form_carries_and_needs_its_token(client):
    sign_in(client, "manager")
    assert client.post("/logout").status_code == 400
    assert client.get("/dashboard").status_code == 200  # still signed in
    home = client.get("/dashboard").get_data(as_text=True)
    out = client.post("/logout", data={"csrf": _form_token(home)})
    assert out.status_code == 302
    denied = client.get("/api/v1/me")
    assert denied.status_code == 401
    assert "sign in" in denied.get_json()["error"]["message"]


def test_the_session_cookie_is_httponly_lax_and_secure_when_configured(demo, settings, clock):
    app, _summary, _prepared = demo
    cookie = sign_in(app.test_client(), "manager").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    engine = app.extensions["fleetops"].engine
    secure = create_app(settings.with_overrides(secure_cookies=True), engine=engine, clock=clock)
    cookie = sign_in(secure.test_client(), "manager").headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_the_openapi_document_names_the_session_and_its_csrf_header(client):
    spec = client.get("/api/openapi.json").get_json()
    scheme = spec["components"]["securitySchemes"]["SessionCookie"]
    assert scheme["in"] == "cookie" and "X-CSRF-Token" in scheme["description"]
    security = spec["paths"]["/api/v1/fleet/vehicles"]["post"]["security"]
    assert {"BearerAuth", "SessionCookie"} <= {name for req in security for name in req}
    assert spec["paths"]["/api/v1/auth/csrf"]["get"]["security"] == [{"SessionCookie": []}]


def test_a_session_post_honours_its_idempotency_key_and_still_needs_the_token(client):
    sign_in(client, "manager")
    vehicles = client.get("/api/v1/fleet/vehicles?per_page=1").get_json()["data"]
    body = {
        "code": "BROWSER-1",
        "vehicle_class": "e_bike",
        "lat": vehicles[0]["lat"],
        "lon": vehicles[0]["lon"],
        "soc_pct": 90,
    }
    key = {"Idempotency-Key": "browser-register-1"}
    headers = {**key, "X-CSRF-Token": page_token(client)}
    first = client.post("/api/v1/fleet/vehicles", json=body, headers=headers)
    assert first.status_code == 201, first.get_json()
    again = client.post("/api/v1/fleet/vehicles", json=body, headers=headers)
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    forged = client.post("/api/v1/fleet/vehicles", json=body, headers=key)
    assert forged.status_code == 403 and forged.get_json()["error"]["code"] == "csrf_failed"
