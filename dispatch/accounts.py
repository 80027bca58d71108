"""Who is asking: sign-in for a bearer token, sign-out, and the user behind a token or a page
session. The web's auth decorators call these; so can a simulation's clients."""

from __future__ import annotations

from dataclasses import dataclass, field

from dispatch.sign_in_limits import (
    Attempts,
    MemoryAttempts,
    SignInLimits,
    record,
    refuse_if_limited,
)
from fleet.clock import Clock
from fleet.db import identity as identity_db
from fleet.db.engine import Engine, reading, writing
from fleet.exceptions import NotFound
from fleet.identity import User
from fleet.ids import Ids


@dataclass(frozen=True, slots=True)
class AccountService:
    """What sign-in runs on: tokens live ``token_ttl_s`` seconds; wrong passwords are counted
    in ``attempts`` and limited by ``limits`` (``dispatch.sign_in_limits``)."""

    engine: Engine
    clock: Clock
    ids: Ids
    token_ttl_s: int
    attempts: Attempts = field(default_factory=MemoryAttempts)
    limits: SignInLimits = field(default_factory=SignInLimits)


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A new bearer token and whose it is."""

    token: str
    user: User
    expires_in_s: int


def sign_in(
    service: AccountService, username: str, password: str, address: str | None = None
) -> SignedIn | None:
    """A fresh token for these credentials, or ``None`` when they are wrong (or the user is
    inactive): callers say "wrong username or password", never which.

    Raises
    ------
    TooManySignIns
        ``username`` or the client ``address`` had too many wrong passwords lately.
    """
    user = check_credentials(service, username, password, address)
    if user is None:
        return None
    with writing(service.engine) as conn:
        token = identity_db.issue_token(
            conn, user.id, service.token_ttl_s, service.clock, service.ids
        )
    return SignedIn(token, user, service.token_ttl_s)


def check_credentials(
    service: AccountService, username: str, password: str, address: str | None = None
) -> User | None:
    """The active user with these credentials (a page login), or ``None``; limited as
    :func:`sign_in` is."""
    refuse_if_limited(service.attempts, service.limits, username, address)
    with reading(service.engine) as conn:
        user = identity_db.authenticate(conn, username, password)
    record(service.attempts, service.limits, username, address, user)
    return user


def sign_out(service: AccountService, token: str) -> None:
    """Revoke ``token``."""
    with writing(service.engine) as conn:
        identity_db.revoke_token(conn, token)


def user_for_token(service: AccountService, token: str) -> User | None:
    """The active user a valid, unexpired, unrevoked token belongs to."""
    with reading(service.engine) as conn:
        return identity_db.user_for_token(conn, token, service.clock)


def active_user(service: AccountService, user_id: str) -> User | None:
    """The user of a page session, if it still exists and is active."""
    with reading(service.engine) as conn:
        try:
            user = identity_db.get_user(conn, user_id)
        except NotFound:
            return None
    return user if user.active else None
