"""The company page: work-EV availability at the hubs as a calendar, and reservations.

Employees reserve a free slot, pick the EV up, return it and cancel; a company admin sees and
manages the company's reservations (cancel, move to another EV). The page's script reads the
person's role from the page and asks the API, which decides what each may do."""

from __future__ import annotations

from fleet.identity import Role
from web.ui import bp, login_required
from web.ui.pages import for_roles, render_page


@bp.get("/company")
@login_required
@for_roles(Role.EMPLOYEE, Role.COMPANY_ADMIN)
def company() -> str:
    return render_page("company.html")
