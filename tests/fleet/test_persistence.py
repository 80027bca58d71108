"""Persistence on SQLite and PostgreSQL: migrations, repositories, audit, atomicity."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from fleet.catalog import DEFAULT_CATALOG as CATALOG
from fleet.db import audit
from fleet.db import idempotency as keys
from fleet.db import identity as idb
from fleet.db import vehicles as vdb
from fleet.db.engine import make_engine, writing
from fleet.db.migrate import current_revision, downgrade, head_revision, upgrade
from fleet.db.tables import metadata
from fleet.exceptions import (
    Conflict,
    IllegalTransition,
    InvalidValue,
    NotFound,
    OutsideServiceArea,
    UnknownVehicleClass,
)
from fleet.geo import Position
from fleet.vehicles import VehicleStatus

IN_A = Position(37.55, 126.955)
IN_B = Position(37.51, 126.955)


def snapshot(engine) -> dict[str, list]:
    """Every row of every table, for 'nothing changed' checks."""
    with engine.connect() as conn:
        return {
            t.name: sorted(map(repr, conn.execute(sa.select(t)).all()))
            for t in metadata.sorted_tables
        }


def register(world, conn, code="K-0001", **kw):
    args = dict(
        operator_id=world.a.id,
        code=code,
        vehicle_class="e_kickboard",
        position=IN_A,
        soc_pct=80.0,
        clock=world.clock,
    )
    return vdb.register_vehicle(conn, **{**args, **kw})


def test_migrations_run_down_to_base_and_back_to_head(engine):
    assert current_revision(engine) == head_revision()
    downgrade(engine, "base")
    with engine.connect() as conn:
        left = set(sa.inspect(conn).get_table_names()) - {"alembic_version"}
    assert left == set()
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def test_migrations_match_the_tables_in_code(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_empty_database_upgrades_to_head(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'new' / 'db.sqlite'}")
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def test_register_and_read_back_a_vehicle_with_its_audit_entry(world):
    with writing(world.engine) as conn:
        vehicle = register(world, conn, actor_id=world.users["manager"].id)
    with world.engine.connect() as conn:
        stored = vdb.get_vehicle(conn, world.a.id, vehicle.id)
        entries = audit.entries_for(conn, "vehicle", vehicle.id)
    assert stored == vehicle
    assert stored.updated_at.tzinfo is not None and stored.updated_at == world.clock.now()
    assert [e.action for e in entries] == ["vehicle.create"]
    assert entries[0].actor_id == world.users["manager"].id


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"soc_pct": 150.0}, InvalidValue),
        ({"soc_pct": -1.0}, InvalidValue),
        ({"vehicle_class": "hoverboard"}, UnknownVehicleClass),
        ({"position": IN_B}, OutsideServiceArea),
        ({"code": "  "}, InvalidValue),
    ],
)
def test_bad_vehicle_input_is_refused_and_nothing_is_stored(world, change, error):
    before = snapshot(world.engine)
    with pytest.raises(error), writing(world.engine) as conn:
        register(world, conn, **change)
    assert snapshot(world.engine) == before


def test_a_failure_late_in_a_transaction_undoes_the_earlier_writes(world):
    before = snapshot(world.engine)
    with pytest.raises(Conflict), writing(world.engine) as conn:
        register(world, conn, code="K-0001")
        register(world, conn, code="K-0002")
        register(world, conn, code="K-0001")  # duplicate code
    assert snapshot(world.engine) == before


def test_status_changes_follow_the_machine_and_are_audited(world):
    with writing(world.engine) as conn:
        v = register(world, conn)
    with writing(world.engine) as conn:
        v = vdb.update_vehicle(
            conn,
            operator_id=world.a.id,
            vehicle_id=v.id,
            clock=world.clock,
            catalog=CATALOG,
            status="reserved",
            soc_pct=70.0,
        )
    assert v.status is VehicleStatus.RESERVED and v.soc_pct == 70.0
    before = snapshot(world.engine)
    with pytest.raises(IllegalTransition), writing(world.engine) as conn:
        vdb.update_vehicle(
            conn,
            operator_id=world.a.id,
            vehicle_id=v.id,
            clock=world.clock,
            catalog=CATALOG,
            status="charging",
        )
    with pytest.raises(InvalidValue), writing(world.engine) as conn:
        vdb.update_vehicle(
            conn,
            operator_id=world.a.id,
            vehicle_id=v.id,
            clock=world.clock,
            catalog=CATALOG,
            soc_pct=101.0,
        )
    with pytest.raises(Conflict, match="odometer"), writing(world.engine) as conn:
        vdb.update_vehicle(
            conn,
            operator_id=world.a.id,
            vehicle_id=v.id,
            clock=world.clock,
            catalog=CATALOG,
            odometer_m=-5,
        )
    assert snapshot(world.engine) == before
    with world.engine.connect() as conn:
        entries = audit.entries_for(conn, "vehicle", v.id)
    assert entries[-1].changes["status"] == ["available", "reserved"]


def test_another_operator_cannot_see_or_change_a_vehicle(world):
    with writing(world.engine) as conn:
        v = register(world, conn)
    with world.engine.connect() as conn, pytest.raises(NotFound):
        vdb.get_vehicle(conn, world.b.id, v.id)
    with pytest.raises(NotFound), writing(world.engine) as conn:
        vdb.update_vehicle(
            conn,
            operator_id=world.b.id,
            vehicle_id=v.id,
            clock=world.clock,
            catalog=CATALOG,
            status="offline",
        )
    with world.engine.connect() as conn:
        assert vdb.list_vehicles(conn, operator_id=world.b.id).total == 0
        assert vdb.list_vehicles(conn, operator_id=world.a.id).total == 1


def test_a_stale_write_is_a_conflict_not_a_lost_update(world):
    with writing(world.engine) as conn:
        v = register(world, conn)
    # Two writers race from 'available' to statuses that do not lead to each other: whichever
    # way the database orders them, the loser must fail (changed row or illegal move).
    errors: list[Exception] = []
    barrier = threading.Barrier(2)

    def change(status: str) -> None:
        barrier.wait()
        try:
            with writing(world.engine) as conn:
                vdb.update_vehicle(
                    conn,
                    operator_id=world.a.id,
                    vehicle_id=v.id,
                    clock=world.clock,
                    catalog=CATALOG,
                    status=status,
                )
        except (Conflict, IllegalTransition) as exc:
            errors.append(exc)

    threads = [threading.Thread(target=change, args=(s,)) for s in ("reserved", "charging")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with world.engine.connect() as conn:
        final = vdb.get_vehicle(conn, world.a.id, v.id)
        n_audit = len(audit.entries_for(conn, "vehicle", v.id))
    assert len(errors) == 1
    assert final.status in (VehicleStatus.RESERVED, VehicleStatus.CHARGING)
    assert n_audit == 2  # create + the one winning update


def test_users_passwords_and_tokens(world):
    manager = world.users["manager"]
    with writing(world.engine) as conn:
        assert idb.authenticate(conn, manager.username, "correct-horse-battery") == manager
        assert idb.authenticate(conn, manager.username, "wrong-password") is None
        token = idb.issue_token(conn, manager.id, 60, world.clock)
        assert idb.user_for_token(conn, token, world.clock) == manager
    world.clock.advance(61)
    with world.engine.connect() as conn:
        assert idb.user_for_token(conn, token, world.clock) is None  # expired
    with writing(world.engine) as conn:
        with pytest.raises(Conflict, match="taken"):
            idb.create_user(
                conn,
                operator_id=world.a.id,
                username=manager.username,
                display_name="x",
                role="rider",
                password="long-enough",
                clock=world.clock,
            )
        with pytest.raises(InvalidValue, match="at least 8"):
            idb.create_user(
                conn,
                operator_id=world.a.id,
                username="shorty",
                display_name="x",
                role="rider",
                password="short",
                clock=world.clock,
            )


def test_idempotency_claim_replay_and_mismatch(world):
    user = world.users["manager"].id
    args = dict(
        user_id=user, key="k1", method="POST", path="/x", request_hash="h1", clock=world.clock
    )
    with writing(world.engine) as conn:
        assert keys.claim(conn, **args) == (keys.Claim.CLAIMED, None)
    with writing(world.engine) as conn:
        assert keys.claim(conn, **args)[0] is keys.Claim.IN_PROGRESS
        keys.store(conn, user_id=user, key="k1", answer=keys.StoredAnswer(201, '{"ok": 1}'))
    with writing(world.engine) as conn:
        assert keys.claim(conn, **args) == (keys.Claim.REPLAY, keys.StoredAnswer(201, '{"ok": 1}'))
        assert keys.claim(conn, **{**args, "request_hash": "h2"})[0] is keys.Claim.MISMATCH
        assert keys.claim(conn, **{**args, "key": "k2"})[0] is keys.Claim.CLAIMED
    world.clock.advance(keys.STALE_AFTER_S + 1)
    with writing(world.engine) as conn:  # an abandoned claim is taken over
        assert keys.claim(conn, **{**args, "key": "k2"})[0] is keys.Claim.CLAIMED
