"""A crew member on a phone carries out their part of an approved swap plan: the page draws
their tasks in route order with the road to each, and they start and complete the task at hand.

The plan is proposed through the use case (the worker's job does the same; the queue is tested
in tests/web/test_crew_plans.py) and approved by the manager through the API."""

from __future__ import annotations

import pytest

from tests.web.browser.conftest import ON_SQLITE, served, shoot, sign_in
from tests.web.browser.test_rider import SLOW_MS
from tests.web.test_bookings import login
from tests.web.test_crew_plans import _propose, crew_demo, crew_template  # noqa: F401

pytestmark = ON_SQLITE


@pytest.fixture
def live(crew_demo):  # noqa: F811
    """The crew demo (a flat fleet, a forecast) served on a free loopback port, in place of
    the plain demo: ``(base_url, app, summary, None)``."""
    app, summary = crew_demo
    with served(app) as base:
        yield base, app, summary, None


def _approved_tasks(app):
    """A swap plan proposed and approved; the crew member with tasks, and their tasks."""
    plan, _operator = _propose(app, "battery_swaps")
    client = app.test_client()
    approved = client.post(
        f"/api/v1/ops/plans/{plan.id}/approve", headers=login(client, "manager"), json={}
    )
    assert approved.status_code == 200, approved.get_json()
    for username in ("crew1", "crew2"):
        mine = client.get("/api/v1/crews/me/tasks", headers=login(client, username)).get_json()
        if mine["data"]:
            return username, mine["data"]
    msg = "the approved plan gave no crew a task"
    raise AssertionError(msg)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_crew_starts_and_completes_a_task(open_page, live, lang):
    app = live[1]
    client = app.test_client()
    username, tasks = _approved_tasks(app)
    page = open_page(phone=True, lang=lang)
    page.set_default_timeout(SLOW_MS)
    sign_in(page, username)
    assert page.url.endswith("/crew")
    page.wait_for_selector("#map[data-tasks]")
    assert page.get_attribute("#map", "data-tasks") == str(len(tasks))
    assert page.locator("#map .stop-pin.task").count() == len(tasks)
    roads = sum(1 for t in tasks if len(t["route"]["coordinates"]) > 1)
    assert page.locator("#map path.task-route").count() == roads > 0
    listed = page.locator("#tasks li").evaluate_all("(els) => els.map(e => e.dataset.task)")
    assert listed == [t["id"] for t in tasks]  # route order, as the API lists them
    first = tasks[0]
    assert page.inner_text("[data-fact=arrive]") == first["arrive_at"][11:16]
    shoot(page, f"crew-{lang}")

    page.click("[data-action=start]")
    page.wait_for_selector("#panel[data-state=in_progress]")
    crew = login(client, username)
    now = client.get("/api/v1/crews/me/tasks", headers=crew).get_json()["data"]
    assert {t["id"]: t["status"] for t in now}[first["id"]] == "in_progress"
    page.click("[data-action=complete]")
    page.wait_for_selector(f"#tasks li[data-task='{first['id']}'][data-status=done]")
    after = client.get("/api/v1/crews/me/tasks", headers=crew).get_json()["data"]
    assert {t["id"]: t["status"] for t in after}[first["id"]] == "done"
    assert page.get_attribute("#map", "data-tasks") == str(len(tasks) - 1)
