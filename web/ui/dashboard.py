"""The manager's dashboard: the live fleet on the map, the KPIs, and the plans to launch."""

from __future__ import annotations

from fleet.identity import Role
from web.ui import bp, login_required
from web.ui.pages import for_roles, render_page


@bp.get("/dashboard")
@login_required
@for_roles(Role.MANAGER)
def dashboard() -> str:
    return render_page("dashboard.html")
