"""Idempotency keys for creating requests: the first answer is stored and replayed.

A key belongs to one user. Its row is claimed (``status_code`` NULL) before the request runs, so a
concurrent repeat is told the first is still running; the answer is stored when it is known.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from fleet.clock import Clock
from fleet.db.tables import idempotency_keys

#: A claim older than this is taken as abandoned (the process died mid-request).
STALE_AFTER_S = 300


class Claim(StrEnum):
    """What happened when a request tried to claim its key."""

    CLAIMED = "claimed"  # first time: run the request
    REPLAY = "replay"  # answered before: send ``stored``
    IN_PROGRESS = "in_progress"  # the first request is still running
    MISMATCH = "mismatch"  # same key, different request


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """A stored response."""

    status_code: int
    body: str


def claim(
    conn: Connection,
    *,
    user_id: str,
    key: str,
    method: str,
    path: str,
    request_hash: str,
    clock: Clock,
) -> tuple[Claim, StoredAnswer | None]:
    """Claim ``key`` for this request, or say why not."""
    where = (idempotency_keys.c.user_id == user_id, idempotency_keys.c.key == key)
    for _ in range(2):
        row = conn.execute(select(idempotency_keys).where(*where)).mappings().first()
        if row is None:
            try:
                with conn.begin_nested():
                    conn.execute(
                        insert(idempotency_keys).values(
                            user_id=user_id,
                            key=key,
                            method=method,
                            path=path,
                            request_hash=request_hash,
                            created_at=clock.now(),
                        )
                    )
            except IntegrityError:
                continue  # claimed concurrently: read what the other request stored
            return Claim.CLAIMED, None
        if (row["request_hash"], row["method"], row["path"]) != (request_hash, method, path):
            return Claim.MISMATCH, None
        if row["status_code"] is None:
            if clock.now() - row["created_at"] > timedelta(seconds=STALE_AFTER_S):
                conn.execute(delete(idempotency_keys).where(*where))
                continue
            return Claim.IN_PROGRESS, None
        return Claim.REPLAY, StoredAnswer(int(row["status_code"]), str(row["response_body"]))
    return Claim.IN_PROGRESS, None


def store(conn: Connection, *, user_id: str, key: str, answer: StoredAnswer) -> None:
    """Record the answer of a claimed request."""
    conn.execute(
        update(idempotency_keys)
        .where(idempotency_keys.c.user_id == user_id, idempotency_keys.c.key == key)
        .values(status_code=answer.status_code, response_body=answer.body)
    )


def release(conn: Connection, *, user_id: str, key: str) -> None:
    """Drop a claim whose request failed unexpectedly, so it may be retried."""
    conn.execute(
        delete(idempotency_keys).where(
            idempotency_keys.c.user_id == user_id, idempotency_keys.c.key == key
        )
    )
