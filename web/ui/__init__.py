"""The pages: session login for people, and the start page after it."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from dispatch import accounts
from fleet.identity import User
from web.context import ctx

bp = Blueprint("ui", __name__)


def _csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return str(session["csrf"])


def page_user() -> User | None:
    """The user signed in to this browser session, if any."""
    user_id = session.get("user_id")
    if not user_id:
        return None
    return accounts.active_user(ctx().accounts, user_id)


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Send people who are not signed in to the login page."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if page_user() is None:
            return redirect(url_for("ui.login", next=request.path))
        return view(*args, **kwargs)

    return wrapper


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    error = None
    if request.method == "POST":
        if not hmac.compare_digest(request.form.get("csrf", ""), _csrf_token()):
            abort(400)
        user = accounts.check_credentials(
            ctx().accounts, request.form.get("username", ""), request.form.get("password", "")
        )
        if user is not None:
            session.clear()
            session["user_id"] = user.id
            target = request.args.get("next", "")
            safe = target.startswith("/") and not target.startswith("//")
            return redirect(target if safe else url_for("ui.home"))
        error = "Wrong username or password."
    page = render_template("login.html", error=error, csrf=_csrf_token(), city=ctx().city)
    return (page, 401) if error else page


@bp.post("/logout")
def logout() -> Response:
    session.clear()
    return redirect(url_for("ui.login"))


@bp.get("/")
@login_required
def home() -> str:
    user = page_user()
    return render_template("home.html", user=user, city=ctx().city, csrf=_csrf_token())
