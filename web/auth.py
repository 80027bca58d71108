"""Who is asking the API: a bearer token, else the browser's session (with its CSRF token for
unsafe methods); and role checks."""

from __future__ import annotations

from typing import Any

from apiflask import HTTPTokenAuth
from flask import request

from dispatch import accounts
from fleet.identity import Role, User
from web.browser import CSRF_HEADER, SAFE_METHODS, csrf_matches, session_user
from web.context import ctx
from web.errors import api_error


class BearerOrSession(HTTPTokenAuth):
    """Bearer tokens, as apiflask has them; a request without an ``Authorization`` header is
    asked for the browser's session instead (and, if unsafe, its CSRF token)."""

    def authenticate(self, auth: Any, stored_password: Any) -> User | None:
        if "Authorization" in request.headers:  # a bad header is refused, never passed over
            user: User | None = super().authenticate(auth, stored_password)
            return user
        return _session_caller()


api_auth = BearerOrSession(
    scheme="Bearer",
    description="A token from POST /api/v1/auth/token. A browser signed in at /login may send "
    f"its session cookie instead (SessionCookie); unsafe methods then need the {CSRF_HEADER} "
    "header (GET /api/v1/auth/csrf).",
)

CSRF_MISSING = (
    f"a call signed in by the browser session must send the session's CSRF token in the "
    f'{CSRF_HEADER} header (the page\'s <meta name="csrf-token">, or GET /api/v1/auth/csrf)'
)


@api_auth.verify_token
def _verify(token: str) -> User | None:
    return accounts.user_for_token(ctx().accounts, token) if token else None


def request_user() -> User | None:
    """Who this request authenticates as, decided as :data:`api_auth` decides (for a check that
    runs before the view's own, such as ``Idempotency-Key``): the bearer token's user, else the
    session's, whose unsafe calls need the CSRF token (403 ``csrf_failed``)."""
    if "Authorization" in request.headers:
        scheme, _, token = request.headers["Authorization"].partition(" ")
        return _verify(token) if scheme == "Bearer" else None
    return _session_caller()


def _session_caller() -> User | None:
    """The browser session's user; an unsafe call must also carry the session's CSRF token."""
    user = session_user()
    unsafe = request.method not in SAFE_METHODS
    if user is not None and unsafe and not csrf_matches(request.headers.get(CSRF_HEADER)):
        raise api_error(403, CSRF_MISSING, "csrf_failed")
    return user


@api_auth.get_user_roles
def _roles(user: User) -> list[str]:
    return [str(user.role)]


@api_auth.error_handler
def _auth_error(status: int) -> None:
    if status == 403:
        raise api_error(403, "your role may not use this endpoint", "forbidden")
    raise api_error(
        401,
        "sign in: send a bearer token (POST /api/v1/auth/token) or, from a browser, the "
        "session cookie of /login",
        "unauthorized",
    )


def current_user() -> User:
    """The authenticated user of this request."""
    user: User = api_auth.current_user
    return user


#: Roles grouped by what they may see, so endpoints read as sentences.
FLEET_STAFF = [str(Role.MANAGER), str(Role.CREW)]
MANAGERS = [str(Role.MANAGER)]
