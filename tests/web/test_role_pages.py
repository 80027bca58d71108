"""Each role lands on its own page (issue 15): riders on /ride, couriers on /courier, crews on
/crew, employees and company admins on /company; each page refuses the other roles."""

from __future__ import annotations

import re

import pytest

from cli.demo import DEMO_PASSWORD

PAGES = [
    ("rider1", "/ride", "타기"),
    ("courier1", "/courier", "내 배송 경로"),
    ("crew1", "/crew", "내 작업"),
    ("staff-hanul1", "/company", "업무용 전기차"),
    ("admin-hanul", "/company", "업무용 전기차"),
]


def _sign_in(client, username: str) -> None:
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    done = client.post(
        "/login", data={"username": username, "password": DEMO_PASSWORD, "csrf": token}
    )
    assert done.status_code == 302


@pytest.mark.parametrize(("username", "path", "title"), PAGES)
def test_each_role_lands_on_its_page_and_only_there(demo, username, path, title):
    client = demo[0].test_client()
    _sign_in(client, username)
    start = client.get("/")
    assert start.status_code == 302 and start.headers["Location"] == path
    page = client.get(path)
    assert page.status_code == 200
    assert f'<h1 class="phone-title">{title}</h1>' in page.get_data(as_text=True)
    others = {p for _u, p, _t in PAGES if p != path} | {"/dashboard"}
    for other in sorted(others):
        assert client.get(other).status_code == 403, other


def test_the_pages_need_a_session(demo):
    client = demo[0].test_client()
    for path in ("/ride", "/courier", "/crew", "/company"):
        answer = client.get(path)
        assert answer.status_code == 302 and "/login" in answer.headers["Location"]
