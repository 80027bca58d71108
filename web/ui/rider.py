"""The rider's page: vehicles near me on the map, then book, unlock, ride, end, the receipt.

The page holds no state of its own: it asks the API for the rider's open booking when it opens,
so a rider who reloads in the middle of a ride lands back in it."""

from __future__ import annotations

from fleet.identity import Role
from web.ui import bp, login_required
from web.ui.pages import for_roles, render_page


@bp.get("/ride")
@login_required
@for_roles(Role.RIDER)
def ride() -> str:
    return render_page("rider.html")
