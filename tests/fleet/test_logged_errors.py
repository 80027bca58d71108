"""What a failed statement says when it is logged: the SQL, never its values (a user's
password hash, a tracking code). The web logs an unhandled error with its traceback, whose
message SQLAlchemy writes with the statement's parameters unless told to hide them."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError

from fleet.db import identity as idb
from fleet.db.engine import writing
from fleet.db.tables import users
from fleet.identity import Role
from fleet.passwords import hash_password

log = logging.getLogger("tests.logged")


def test_a_failed_user_insert_logs_no_password_hash(world, caplog):
    stored = hash_password("a-secret-password")
    with pytest.raises(DBAPIError) as failed, writing(world.engine) as conn:
        conn.execute(
            insert(users).values(
                id="u-bad",
                operator_id="no-such-operator",  # a foreign key that fails on both databases
                username="newcomer",
                display_name="Newcomer",
                role="rider",
                password_hash=stored,
                active=True,
                created_at=world.clock.now(),
            )
        )
    with caplog.at_level(logging.ERROR, logger="tests.logged"):
        log.error("Exception on /api/v1/staff [POST]", exc_info=failed.value)
    assert "INSERT INTO users" in caplog.text  # what failed is still told
    assert stored not in caplog.text and stored.split("$")[-1] not in caplog.text


def test_registering_staff_with_a_value_the_column_refuses_logs_no_hash(world, caplog):
    if world.engine.dialect.name == "sqlite":
        pytest.skip("SQLite does not enforce the column's length")
    with pytest.raises(DBAPIError) as failed, writing(world.engine) as conn:
        idb.create_user(
            conn,
            operator_id=world.a.id,
            username="long-name",
            display_name="x" * 201,
            role=Role.RIDER,
            password="a-secret-password",
            clock=world.clock,
        )
    with caplog.at_level(logging.ERROR, logger="tests.logged"):
        log.error("Exception on /api/v1/staff [POST]", exc_info=failed.value)
    assert "scrypt$" not in caplog.text
