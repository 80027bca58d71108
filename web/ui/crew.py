"""The crew's page: my tasks of approved plans in route order on the map, the road to each, and
start / complete / fail for the task at hand.

Crews work from a van on a phone: one column, big buttons; the page refreshes itself and on a
tap, and every action is the API's."""

from __future__ import annotations

from fleet.identity import Role
from web.ui import bp, login_required
from web.ui.pages import for_roles, render_page


@bp.get("/crew")
@login_required
@for_roles(Role.CREW)
def crew() -> str:
    return render_page("crew.html")
