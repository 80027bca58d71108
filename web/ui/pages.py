"""What every role's page shares: who may open it, its bar, the map and the language.

Each role has its own page, and ``/`` sends people to theirs (:data:`PAGES`). A page module
(``web/ui/dashboard.py``, ``rider.py``, ...) registers its route on :data:`web.ui.bp` and
renders through :func:`render_page`, which hands the template the signed-in user, the session's
CSRF token (the page scripts send it with every unsafe API call: pages use the same session as
the API), the links of the bar, and Leaflet's path. Page scripts live in ``web/static/js``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import render_template

from fleet.identity import Role, User
from web.browser import csrf_token, session_user
from web.context import ctx
from web.vendor import LEAFLET

#: Each role's page: its path and the message key of its name (a role not here, such as the
#: city's or a telemetry gateway's, has the start page).
PAGES: dict[Role, tuple[str, str]] = {
    Role.MANAGER: ("/dashboard", "nav.dashboard"),
    Role.RIDER: ("/ride", "nav.ride"),
    Role.COURIER: ("/courier", "nav.courier"),
    Role.CREW: ("/crew", "nav.crew"),
    Role.EMPLOYEE: ("/company", "nav.company"),
    Role.COMPANY_ADMIN: ("/company", "nav.company"),
}


def nav_for(user: User | None) -> list[tuple[str, str]]:
    """The links in the bar of ``user``'s pages: their own page, then the API reference."""
    links = [PAGES[Role(user.role)]] if user is not None and Role(user.role) in PAGES else []
    return [*links, ("/api/docs", "nav.api_docs")]


def render_page(template: str, **values: Any) -> str:
    """Render a page of the signed-in person, with the map's scripts."""
    user = session_user()
    return render_template(
        template,
        user=user,
        city=ctx().city,
        csrf=csrf_token(),
        nav=nav_for(user),
        leaflet=LEAFLET,
        with_map=True,
        **values,
    )


def for_roles(*roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Let only ``roles`` open the page (others see a 403 page naming the roles).

    Put it under ``login_required``, which sends people who are not signed in to /login."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = session_user()
            if user is None or Role(user.role) not in roles:
                page = render_template(
                    "forbidden.html",
                    user=user,
                    city=ctx().city,
                    csrf=csrf_token(),
                    nav=nav_for(user),
                    roles=[str(r) for r in roles],
                )
                return page, 403
            return view(*args, **kwargs)

        return wrapper

    return decorate
