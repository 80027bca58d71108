"""The browser's session: who signed in at ``/login``, and the session's CSRF token.

The session cookie (Flask's signed cookie: HttpOnly, SameSite=Lax, Secure when
``auth.secure_cookies``) authenticates pages and, since issue 11, API calls too. A browser sends
that cookie with any request, including one a foreign page makes it send, so every unsafe request
it authenticates must also carry the session's CSRF token: a page form in its ``csrf`` field, a
script in the ``X-CSRF-Token`` header. The token lives in the session; pages put it in a
``<meta name="csrf-token">`` tag and ``GET /api/v1/auth/csrf`` returns it. Another site can make
the browser send the cookie but cannot read the token (synchronizer-token pattern).
"""

from __future__ import annotations

import hmac
import secrets

from flask import session

from dispatch import accounts
from fleet.identity import User
from web.context import ctx

#: The header scripts send the session's CSRF token in.
CSRF_HEADER = "X-CSRF-Token"
#: Methods that change nothing (RFC 9110 §9.2.1): no CSRF token needed.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_token() -> str:
    """The CSRF token of this session (made on first use; a new one after each sign-in)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return str(session["csrf"])


def csrf_matches(sent: str | None) -> bool:
    """Whether ``sent`` is this session's CSRF token (compared in constant time)."""
    expected = session.get("csrf")
    if not expected or not sent:
        return False
    return hmac.compare_digest(sent.encode(), str(expected).encode())


def session_user() -> User | None:
    """The user signed in to this browser session, if any (and still active)."""
    user_id = session.get("user_id")
    if not user_id:
        return None
    return accounts.active_user(ctx().accounts, user_id)


def start_session(user: User) -> None:
    """Sign ``user`` in: a fresh session, so no value (nor CSRF token) planted before survives."""
    session.clear()
    session["user_id"] = user.id
    csrf_token()


def end_session() -> None:
    """Sign out of this browser."""
    session.clear()
