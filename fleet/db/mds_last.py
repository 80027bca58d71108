"""Each vehicle's last audit entries, for the MDS statuses: the newest few per vehicle, ranked in
the database, instead of every entry of the window.

Which entry becomes an MDS event is decided in ``dispatch.opendata.mds_events`` (some become
none). The database leaves out the entries that surely become none (a change of charge alone,
most crew tasks' moves: :func:`candidates`); of the rest, a caller asks for the newest few and,
for the vehicles none of them fits (a drop cancelled before its pick-up was done), the few
before those (``skip``). The log is only appended to: an entry logged between two such reads
moves ranks down, so a later read may see an entry again but never misses one."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, func, or_, select, union_all

from fleet.db.mds import AuditFact, audit_facts, fact_sources, facts_where
from fleet.db.tables import audit_log, ops_tasks
from fleet.ops import TaskKind
from fleet.vehicles import VehicleStatus

#: The most entry ids one statement reads back: a PostgreSQL statement takes at most 65,535
#: parameters, and in later rounds each of a page's 1,000 vehicles may have 256, 1,024, … chosen.
IDS_PER_READ = 20_000


def _task_may_count() -> ColumnElement[bool]:
    """The crew tasks' entries that may become an event: a swap or a pick-up started; a swap,
    a pick-up or a drop done or failed; a drop cancelled (the pick-up's state decides)."""
    action, kind, drop = audit_log.c.action, ops_tasks.c.kind, ops_tasks.c.is_drop
    crew = kind.in_([str(TaskKind.SWAP), str(TaskKind.REBALANCE)])
    return or_(
        and_(action == "task.start", kind == str(TaskKind.SWAP)),
        and_(action == "task.start", kind == str(TaskKind.REBALANCE), drop.is_(False)),
        and_(action.in_(["task.complete", "task.fail"]), or_(crew, drop.is_(True))),
        and_(action == "task.cancel", drop.is_(True)),
    )


def _vehicle_may_count() -> ColumnElement[bool]:
    """The vehicles' entries that may become an event: a creation with a known status, a
    change whose status became a known one (a change of charge or place alone is none)."""
    known = [str(s) for s in VehicleStatus]
    status = audit_log.c.changes["status"].as_string()
    changed_to = audit_log.c.changes[("status", 1)].as_string()
    return or_(
        and_(audit_log.c.action == "vehicle.create", status.in_(known)),
        and_(audit_log.c.action == "vehicle.update", changed_to.in_(known)),
    )


def candidates(where: list[Any]) -> tuple[Select[Any], ...]:
    """The ids and vehicles of the entries of ``where`` that may become an MDS event (a
    necessary condition, wider than ``dispatch.opendata.mds_events.event_of``, which decides):
    every booking's; a vehicle's and a crew task's as :func:`_vehicle_may_count` and
    :func:`_task_may_count` say. tests/opendata/test_mds_last.py holds it wider than
    ``event_of`` for every kind of entry."""
    by_booking, by_vehicle, by_task = fact_sources(where, full=False)
    return by_booking, by_vehicle.where(_vehicle_may_count()), by_task.where(_task_may_count())


def last_facts(
    conn: Connection,
    operator_id: str,
    start: datetime,
    end: datetime,
    classes: Collection[str],
    vehicle_ids: Collection[str],
    *,
    skip: int = 0,
    count: int = 1,
) -> list[AuditFact]:
    """The audit entries of ``[start, end)`` about each of ``vehicle_ids`` that may become an
    MDS event (:func:`candidates`; read as :func:`fleet.db.mds.audit_facts` reads them), ranked
    ``skip + 1`` to ``skip + count`` from the newest, in the order the log recorded them.

    Two statements: one ranks the entries by their ids alone (``ROW_NUMBER``, on SQLite and
    PostgreSQL alike) and keeps at most ``count`` per vehicle; one reads those entries whole
    (one per :data:`IDS_PER_READ` of them: their ids are sent as parameters).
    """
    if count < 1 or skip < 0:
        msg = f"count must be at least 1 and skip at least 0, got {count} and {skip}"
        raise ValueError(msg)
    wanted = sorted(set(vehicle_ids))
    if not wanted:
        return []
    where = facts_where(operator_id, start, end, 0, classes, wanted)
    entries = union_all(*candidates(where)).subquery("entries")
    rank = func.row_number().over(partition_by=entries.c.vehicle_id, order_by=entries.c.id.desc())
    ranked = select(entries.c.id, rank.label("rank")).subquery("ranked")
    ids = conn.execute(
        select(ranked.c.id).where(ranked.c.rank > skip, ranked.c.rank <= skip + count)
    ).scalars()
    chosen = sorted(ids)
    facts: list[AuditFact] = []
    for first in range(0, len(chosen), IDS_PER_READ):
        part = chosen[first : first + IDS_PER_READ]
        facts += audit_facts(conn, operator_id, start, end, classes, vehicle_ids=wanted, ids=part)
    return facts  # the parts are in id order, each in itself and after the one before
