"""Writing and reading the audit log. Write in the same transaction as the change it records."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, insert, select

from fleet.db.tables import audit_log
from fleet.records import AuditEntry


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def record(conn: Connection, entry: AuditEntry) -> None:
    """Append ``entry`` to the audit log."""
    conn.execute(
        insert(audit_log).values(
            at=entry.at,
            operator_id=entry.operator_id,
            actor_id=entry.actor_id,
            action=entry.action,
            entity=entry.entity,
            entity_id=entry.entity_id,
            changes=_jsonable(entry.changes),
        )
    )


def entries_for(conn: Connection, entity: str, entity_id: str) -> list[AuditEntry]:
    """The audit entries of one entity, oldest first."""
    rows = conn.execute(
        select(audit_log)
        .where(audit_log.c.entity == entity, audit_log.c.entity_id == entity_id)
        .order_by(audit_log.c.id)
    ).mappings()
    return [
        AuditEntry(
            at=r["at"],
            operator_id=r["operator_id"],
            actor_id=r["actor_id"],
            action=r["action"],
            entity=r["entity"],
            entity_id=r["entity_id"],
            changes=dict(r["changes"]),
        )
        for r in rows
    ]


def count(conn: Connection) -> int:
    """Number of audit entries."""
    return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())
