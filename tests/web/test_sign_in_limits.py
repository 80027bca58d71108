"""Sign-in is rate-limited: too many wrong passwords for one username, or from one client
address, within the window answer 429 with Retry-After, on the API and on the /login page. The
counters live in Redis, so every web worker (here: a second app) sees the same."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD
from tests.web.test_api import assert_error
from web import create_app

#: More wrong passwords than any sane limit allows in a window.
MANY = 60


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def _token(client, username: str, password: str):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def _wrong_until_refused(client, username: str) -> int:
    """Wrong passwords for ``username`` until the API refuses with 429; how many were 401."""
    for tried in range(MANY):
        response = _token(client, username, f"wrong-password-{tried}")
        if response.status_code == 429:
            return tried
        assert response.status_code == 401
    pytest.fail(f"{MANY} wrong passwords in a row were never refused")


def test_wrong_passwords_for_one_username_are_refused_with_429(client, world):
    _wrong_until_refused(client, "a-manager")
    refused = _token(client, "a-manager", PASSWORD)  # even the right one, for the window
    error = assert_error(refused, 429, "too_many_sign_ins")
    assert "try again" in error["message"]
    assert int(refused.headers["Retry-After"]) > 0


def test_wrong_passwords_from_one_address_are_refused_across_usernames(client, world):
    for tried in range(MANY * 4):
        response = _token(client, f"nobody-{tried}", "wrong-password")
        if response.status_code == 429:
            break
    else:
        pytest.fail("an address that guessed at many usernames was never refused")
    assert_error(_token(client, "a-rider", PASSWORD), 429, "too_many_sign_ins")


def test_the_login_page_is_limited_too_and_says_so(client, world):
    for tried in range(MANY):
        form = client.get("/login?lang=en").get_data(as_text=True)
        page = client.post(
            "/login",
            data={"username": "a-crew", "password": f"nope-{tried}", "csrf": _csrf(form)},
        )
        if page.status_code == 429:
            break
        assert page.status_code == 401
    else:
        pytest.fail(f"{MANY} wrong passwords on the page were never refused")
    assert int(page.headers["Retry-After"]) > 0
    assert "Too many" in page.get_data(as_text=True)


def test_the_counters_are_shared_by_every_web_worker(settings, world, redis_url, client):
    """Two apps on one Redis stand for two gunicorn workers: failures in one count in both."""
    allowed = _wrong_until_refused(client, "a-courier")
    other = create_app(
        settings.with_overrides(redis_url=redis_url), engine=world.engine, clock=world.clock
    ).test_client()
    assert allowed > 0
    assert_error(_token(other, "a-courier", PASSWORD), 429, "too_many_sign_ins")


def test_a_successful_sign_in_forgets_the_usernames_failures(settings, world, redis_url, client):
    limited = settings.with_overrides(redis_url=redis_url, max_failures_per_username=3)
    client = create_app(limited, engine=world.engine, clock=world.clock).test_client()
    for _ in range(2):
        assert _token(client, "a-merchant", "wrong-password").status_code == 401
    assert _token(client, "a-merchant", PASSWORD).status_code == 201
    for _ in range(2):
        assert _token(client, "a-merchant", "wrong-password").status_code == 401
    assert _token(client, "a-merchant", PASSWORD).status_code == 201
    for _ in range(3):
        assert _token(client, "a-merchant", "wrong-password").status_code == 401
    assert_error(_token(client, "a-merchant", PASSWORD), 429, "too_many_sign_ins")
    assert _token(client, "a-rider", PASSWORD).status_code == 201  # others are not locked out


def test_without_redis_one_worker_counts_in_its_memory(settings, world):
    limited = settings.with_overrides(redis_url=None, max_failures_per_username=2)
    client = create_app(limited, engine=world.engine, clock=world.clock).test_client()
    assert [_token(client, "a-city", "wrong-pass").status_code for _ in range(3)] == [401, 401, 429]
