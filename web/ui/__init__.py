"""The pages: session login for people, and the start page after it."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from dispatch import accounts
from dispatch.exceptions import TooManySignIns
from fleet.identity import Role
from web.browser import csrf_matches, csrf_token, end_session, session_user, start_session
from web.context import ctx
from web.i18n import translate
from web.ui.pages import PAGES, nav_for

bp = Blueprint("ui", __name__)

#: A path of this site: one slash, then no second slash or backslash (browsers read a backslash
#: as a slash: ``//x`` is another host), and no whitespace or control character anywhere
#: (browsers drop tabs and newlines, so slash-tab-slash is ``//`` too).
_SAME_SITE_PATH = re.compile(r"/(?![/\\])[^\s\\\x00-\x1f\x7f-\x9f]*")


def same_site(target: str) -> str | None:
    """``target`` if it is a path of this site (a ``next`` to send the browser to), else
    ``None``."""
    return target if _SAME_SITE_PATH.fullmatch(target) else None


def _check_form_token() -> None:
    """A page form that POSTs carries the session's CSRF token in its ``csrf`` field."""
    if not csrf_matches(request.form.get("csrf")):
        abort(400, "the form's CSRF token is missing or stale: reload the page and try again")


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Send people who are not signed in to the login page."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if session_user() is None:
            return redirect(url_for("ui.login", next=request.path))
        return view(*args, **kwargs)

    return wrapper


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int, dict[str, str]]:
    error, status, headers = None, 200, {}
    if request.method == "POST":
        _check_form_token()
        try:
            user = accounts.check_credentials(
                ctx().accounts,
                request.form.get("username", ""),
                request.form.get("password", ""),
                request.remote_addr,
            )
        except TooManySignIns as exc:
            error, status = translate("login.too_many", minutes=exc.minutes), 429
            headers["Retry-After"] = str(exc.retry_after_s)
        else:
            if user is not None:
                start_session(user)
                target = same_site(request.args.get("next", ""))
                return redirect(target or url_for("ui.home"))
            error, status = translate("login.wrong"), 401
    page = render_template("login.html", error=error, csrf=csrf_token(), city=ctx().city)
    return page, status, headers


@bp.post("/logout")
def logout() -> Response:
    _check_form_token()
    end_session()
    return redirect(url_for("ui.login"))


@bp.get("/")
@login_required
def home() -> str | Response:
    """Send people to their role's page; roles without one see the start page."""
    user = session_user()
    if user is not None and Role(user.role) in PAGES:
        return redirect(PAGES[Role(user.role)][0])
    return render_template(
        "home.html", user=user, city=ctx().city, csrf=csrf_token(), nav=nav_for(user)
    )


def register_pages() -> None:
    """Import the role pages so their routes attach to :data:`bp` (called by create_app)."""
    from web.ui import company, courier, crew, dashboard, rider  # noqa: F401
