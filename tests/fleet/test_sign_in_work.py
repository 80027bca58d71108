"""Sign-in does the same work whether the username exists or not, so its answer time does not
tell which usernames exist. Counted in password-hash computations, not measured in time."""

from __future__ import annotations

import hashlib

import pytest

from fleet.db import identity as idb
from fleet.db.engine import reading, writing
from tests.conftest import PASSWORD


@pytest.fixture
def hashes(monkeypatch):
    """A list that grows by one with every scrypt computation."""
    computed: list[int] = []
    real = hashlib.scrypt

    def counting(*args, **kwargs):
        computed.append(kwargs.get("n", 0))
        return real(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counting)
    return computed


def _work(engine, hashes, username: str, password: str) -> list[int]:
    hashes.clear()
    with reading(engine) as conn:
        assert idb.authenticate(conn, username, password) is None
    return list(hashes)


def test_an_unknown_username_costs_the_same_hash_as_a_wrong_password(world, hashes):
    known = _work(world.engine, hashes, "a-manager", "not-the-password")
    unknown = _work(world.engine, hashes, "no-such-user", "not-the-password")
    assert known and unknown == known  # as many computations, with the same cost parameter


def test_an_inactive_user_costs_the_same_hash_as_a_wrong_password(world, hashes):
    from sqlalchemy import update

    from fleet.db.tables import users

    with writing(world.engine) as conn:
        conn.execute(update(users).where(users.c.username == "a-crew").values(active=False))
    known = _work(world.engine, hashes, "a-manager", "not-the-password")
    inactive = _work(world.engine, hashes, "a-crew", PASSWORD)
    assert known and inactive == known


def test_the_dummy_hash_has_the_current_parameters_and_matches_no_password():
    from fleet import passwords

    real = passwords.hash_password("any-password-at-all", bytes(16))
    assert passwords.DUMMY_HASH.split("$")[:4] == real.split("$")[:4]
    assert not passwords.verify_password("any-password-at-all", passwords.DUMMY_HASH)
