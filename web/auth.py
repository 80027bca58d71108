"""Who is asking: bearer tokens for the API, session login for pages, and role checks."""

from __future__ import annotations

from apiflask import HTTPTokenAuth
from flask import g

from dispatch import accounts
from fleet.identity import Role, User
from web.context import ctx
from web.errors import api_error

token_auth = HTTPTokenAuth(scheme="Bearer", description="A token from POST /api/v1/auth/token")


@token_auth.verify_token
def _verify(token: str) -> User | None:
    if not token:
        return None
    user = accounts.user_for_token(ctx().accounts, token)
    if user is not None:
        g.user = user
    return user


@token_auth.get_user_roles
def _roles(user: User) -> list[str]:
    return [str(user.role)]


@token_auth.error_handler
def _auth_error(status: int) -> None:
    if status == 403:
        raise api_error(403, "your role may not use this endpoint", "forbidden")
    raise api_error(
        401, "a valid bearer token is required (POST /api/v1/auth/token)", "unauthorized"
    )


def current_user() -> User:
    """The authenticated user of this request."""
    user: User = token_auth.current_user
    return user


#: Roles grouped by what they may see, so endpoints read as sentences.
FLEET_STAFF = [str(Role.MANAGER), str(Role.CREW)]
MANAGERS = [str(Role.MANAGER)]
