"""Operators, companies, users and API tokens."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from fleet.clock import Clock
from fleet.db.audit import record
from fleet.db.tables import api_tokens, companies, operators, users
from fleet.exceptions import Conflict, InvalidValue, NotFound
from fleet.identity import Operator, Role, User
from fleet.ids import Ids, RandomIds
from fleet.passwords import DUMMY_HASH, check_password, hash_password, verify_password
from fleet.records import AuditEntry
from fleet.workev import Company

#: Where ids come from when the caller does not say (the platform always passes its own).
RANDOM_IDS = RandomIds()


def create_operator(
    conn: Connection, name: str, city: str, clock: Clock, ids: Ids = RANDOM_IDS
) -> Operator:
    """Store a new operator."""
    operator = Operator(id=ids.new_id(), name=name, city=city)
    try:
        with conn.begin_nested():
            conn.execute(
                insert(operators).values(
                    id=operator.id, name=operator.name, city=city, created_at=clock.now()
                )
            )
    except IntegrityError:
        msg = f"an operator named {name!r} exists already"
        raise Conflict(msg) from None
    record(
        conn,
        AuditEntry(
            clock.now(),
            operator.id,
            None,
            "operator.create",
            "operator",
            operator.id,
            {"name": name, "city": city},
        ),
    )
    return operator


def get_operator(conn: Connection, operator_id: str) -> Operator:
    """The operator with this id."""
    row = conn.execute(select(operators).where(operators.c.id == operator_id)).mappings().first()
    if row is None:
        msg = f"no operator {operator_id}"
        raise NotFound(msg)
    return Operator(id=row["id"], name=row["name"], city=row["city"])


def list_operators(conn: Connection) -> list[Operator]:
    """All operators, by name."""
    rows = conn.execute(select(operators).order_by(operators.c.name)).mappings()
    return [Operator(id=r["id"], name=r["name"], city=r["city"]) for r in rows]


def create_company(
    conn: Connection, operator_id: str, name: str, clock: Clock, ids: Ids = RANDOM_IDS
) -> Company:
    """Store a company under an operator."""
    company = Company(id=ids.new_id(), operator_id=operator_id, name=name)
    try:
        with conn.begin_nested():
            conn.execute(
                insert(companies).values(id=company.id, operator_id=operator_id, name=name)
            )
    except IntegrityError:
        msg = f"a company named {name!r} exists already"
        raise Conflict(msg) from None
    record(
        conn,
        AuditEntry(
            clock.now(), operator_id, None, "company.create", "company", company.id, {"name": name}
        ),
    )
    return company


def _user(row: dict[str, object]) -> User:
    return User(
        id=str(row["id"]),
        operator_id=str(row["operator_id"]),
        username=str(row["username"]),
        display_name=str(row["display_name"]),
        role=Role(str(row["role"])),
        company_id=str(row["company_id"]) if row["company_id"] else None,
        active=bool(row["active"]),
    )


def create_user(
    conn: Connection,
    *,
    operator_id: str,
    username: str,
    display_name: str,
    role: Role,
    password: str,
    clock: Clock,
    company_id: str | None = None,
    actor_id: str | None = None,
    ids: Ids = RANDOM_IDS,
    password_hash: str | None = None,
) -> User:
    """Store a new user with a hashed password (``password_hash``: one made of ``password``
    already, for accounts that share a published password, as the demo's people do).

    Raises
    ------
    InvalidValue
        Bad username, role/company mismatch, short password.
    Conflict
        The username is taken.
    """
    if not display_name.strip():
        msg = "display_name must not be blank: it is how others see the user"
        raise InvalidValue(msg)
    user = User(
        id=ids.new_id(),
        operator_id=operator_id,
        username=username,
        display_name=display_name,
        role=role,
        company_id=company_id,
    )
    try:
        if password_hash is None:
            password_hash = hash_password(password, ids.salt())
        else:
            check_password(password)
    except ValueError as exc:
        raise InvalidValue(str(exc)) from None
    try:
        with conn.begin_nested():
            conn.execute(
                insert(users).values(
                    id=user.id,
                    operator_id=operator_id,
                    username=username,
                    display_name=display_name,
                    role=str(user.role),
                    company_id=company_id,
                    password_hash=password_hash,
                    active=True,
                    created_at=clock.now(),
                )
            )
    except IntegrityError:
        msg = f"username {username!r} is taken"
        raise Conflict(msg) from None
    record(
        conn,
        AuditEntry(
            clock.now(),
            operator_id,
            actor_id,
            "user.create",
            "user",
            user.id,
            {"username": username, "role": str(user.role)},
        ),
    )
    return user


def get_user(conn: Connection, user_id: str) -> User:
    """The user with this id."""
    row = conn.execute(select(users).where(users.c.id == user_id)).mappings().first()
    if row is None:
        msg = f"no user {user_id}"
        raise NotFound(msg)
    return _user(dict(row))


def lock_user(conn: Connection, user_id: str) -> None:
    """Lock the user's row to the end of the transaction (PostgreSQL; SQLite's writers are
    serialised already): one person's changes that check each other take turns."""
    conn.execute(select(users.c.id).where(users.c.id == user_id).with_for_update())


def users_by_id(conn: Connection, user_ids: Iterable[str]) -> dict[str, User]:
    """The users with these ids, by id (unknown ids are left out)."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return {}
    rows = conn.execute(select(users).where(users.c.id.in_(wanted))).mappings()
    return {str(r["id"]): _user(dict(r)) for r in rows}


def authenticate(conn: Connection, username: str, password: str) -> User | None:
    """The active user with these credentials, or ``None``.

    The password is checked against a hash whether or not the user exists and is active (an
    unknown user's against ``DUMMY_HASH``), so each answer costs one hash computation."""
    row = conn.execute(select(users).where(users.c.username == username)).mappings().first()
    stored = DUMMY_HASH if row is None else row["password_hash"]
    matches = verify_password(password, stored)
    if row is None or not row["active"] or not matches:
        return None
    return _user(dict(row))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    conn: Connection, user_id: str, ttl_s: int, clock: Clock, ids: Ids = RANDOM_IDS
) -> str:
    """A new bearer token for the user; only its hash is stored."""
    token = ids.token(32)
    now = clock.now()
    conn.execute(
        insert(api_tokens).values(
            token_hash=_token_hash(token),
            user_id=user_id,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl_s),
            revoked=False,
        )
    )
    return token


def user_for_token(conn: Connection, token: str, clock: Clock) -> User | None:
    """The active user a valid, unexpired, unrevoked token belongs to."""
    row = (
        conn.execute(
            select(users)
            .join(api_tokens, api_tokens.c.user_id == users.c.id)
            .where(
                api_tokens.c.token_hash == _token_hash(token),
                api_tokens.c.revoked.is_(False),
                api_tokens.c.expires_at > clock.now(),
                users.c.active.is_(True),
            )
        )
        .mappings()
        .first()
    )
    return _user(dict(row)) if row is not None else None


def revoke_token(conn: Connection, token: str) -> bool:
    """Revoke a token; whether it existed."""
    result = conn.execute(
        update(api_tokens).where(api_tokens.c.token_hash == _token_hash(token)).values(revoked=True)
    )
    return bool(result.rowcount)
