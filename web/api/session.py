"""Bearer tokens: sign in for one, sign out, and who am I; the browser session's CSRF token."""

from __future__ import annotations

from typing import Any

from apiflask import Schema, fields
from flask import request

from dispatch import accounts
from dispatch.exceptions import TooManySignIns
from web.api import api
from web.auth import api_auth, current_user
from web.browser import CSRF_HEADER, csrf_token, end_session, session_user
from web.context import ctx
from web.errors import api_error


class Credentials(Schema):
    username = fields.String(required=True)
    password = fields.String(required=True)


class TokenOut(Schema):
    token = fields.String()
    token_type = fields.String()
    expires_in_s = fields.Integer()
    user_id = fields.String()
    role = fields.String()


class CsrfOut(Schema):
    csrf_token = fields.String()
    header = fields.String()


class UserOut(Schema):
    id = fields.String()
    operator_id = fields.String()
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    company_id = fields.String(allow_none=True)


@api.post("/auth/token")
@api.input(Credentials, arg_name="credentials")
@api.output(TokenOut, status_code=201)
@api.doc(
    summary="Sign in: exchange a username and password for a bearer token",
    responses={
        401: "wrong username or password",
        429: "too many wrong passwords for this username or from this address lately: wait "
        "the Retry-After header's seconds",
    },
)
def sign_in(credentials: dict[str, str]) -> dict[str, Any]:
    try:
        signed = accounts.sign_in(
            ctx().accounts, credentials["username"], credentials["password"], request.remote_addr
        )
    except TooManySignIns as exc:
        error = api_error(429, str(exc), "too_many_sign_ins")
        error.headers = {"Retry-After": str(exc.retry_after_s)}
        raise error from None
    if signed is None:
        raise api_error(401, "wrong username or password", "bad_credentials")
    return {
        "token": signed.token,
        "token_type": "Bearer",
        "expires_in_s": signed.expires_in_s,
        "user_id": signed.user.id,
        "role": str(signed.user.role),
    }


@api.delete("/auth/token")
@api.auth_required(api_auth)
@api.output({}, status_code=204)
@api.doc(summary="Sign out: revoke the token of this request, or end the browser session")
def sign_out() -> tuple[str, int]:
    token = request.headers.get("Authorization", "").partition(" ")[2]
    if token:
        accounts.sign_out(ctx().accounts, token)
    else:
        end_session()
    return "", 204


@api.get("/auth/csrf")
@api.output(CsrfOut)
@api.doc(
    summary=f"The browser session's CSRF token: send it in {CSRF_HEADER} with unsafe methods",
    security="SessionCookie",
    responses={401: "no browser session: sign in at /login"},
)
def session_csrf() -> dict[str, str]:
    if session_user() is None:
        raise api_error(401, "no browser session: sign in at /login", "unauthorized")
    return {"csrf_token": csrf_token(), "header": CSRF_HEADER}


@api.get("/me")
@api.auth_required(api_auth)
@api.output(UserOut)
@api.doc(summary="The signed-in user")
def me() -> dict[str, Any]:
    user = current_user()
    return {
        "id": user.id,
        "operator_id": user.operator_id,
        "username": user.username,
        "display_name": user.display_name,
        "role": str(user.role),
        "company_id": user.company_id,
    }
