"""The courier's page: my route on the map, the next stop with its ETA and what to do there.

Couriers work on a phone on a moped: the page is one column, big buttons, and every action is
the API's (the page keeps nothing the API does not)."""

from __future__ import annotations

from fleet.identity import Role
from web.ui import bp, login_required
from web.ui.pages import for_roles, render_page


@bp.get("/courier")
@login_required
@for_roles(Role.COURIER)
def courier() -> str:
    return render_page("courier.html")
