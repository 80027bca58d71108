"""Without SECRET_KEY, every process on one var dir signs sessions with the same key: gunicorn's
workers each load the settings, and a session signed by one must be valid in the others."""

from __future__ import annotations

import re

import pytest

from config.settings import load_settings
from tests.conftest import PASSWORD
from web import create_app


@pytest.fixture
def env(tmp_path, cache_dir):
    """An environment without SECRET_KEY, on its own var dir."""
    return {
        "FLEETOPS_VAR_DIR": str(tmp_path / "var"),
        "FLEETOPS_CACHE_DIR": str(cache_dir),
        "FLEETOPS_CITY": "synthetic",
    }


def _signed_in(client) -> str:
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    answer = client.post(
        "/login", data={"username": "a-rider", "password": PASSWORD, "csrf": token}
    )
    assert answer.status_code == 302
    return client.get_cookie("session").value


def test_a_session_from_one_worker_is_valid_in_another(env, world):
    first, second = (
        create_app(load_settings(env), engine=world.engine, clock=world.clock) for _ in range(2)
    )
    cookie = _signed_in(first.test_client())
    other = second.test_client()
    other.set_cookie("session", cookie)
    assert other.get("/api/v1/me").status_code == 200
