"""Hostile text (issue 12): a NUL byte or a lone surrogate in a path, a query or a JSON body is
refused with a 400 that names it, never a 500 (PostgreSQL text cannot hold NUL)."""

from __future__ import annotations

import json

import pytest

from tests.web.test_bookings import login
from tests.web.test_delivery import courier_headers, job


@pytest.fixture
def client(demo):
    return demo[0].test_client()


def test_nul_bytes_and_lone_surrogates_are_refused_by_name(client, clock):
    for path in ("/track/%00", "/api/v1/track/a%00b", "/api/v1/vehicles?operator_id=a%00"):
        r = client.get(path)
        assert r.status_code == 400, (path, r.status_code)
        assert r.get_json()["error"]["code"] == "invalid_text"
    merchant = login(client, "merchant1")
    posted = client.post("/api/v1/delivery-jobs", headers=merchant, json=job(client, clock))
    posted = posted.get_json()
    courier = courier_headers(client, posted["courier_id"])
    base = f"/api/v1/couriers/me/jobs/{posted['id']}"
    for reason in ("x\u0000y", "x\ud800y"):
        r = client.post(
            f"{base}/pickup-failed",
            headers={**courier, "Content-Type": "application/json"},
            data=json.dumps({"reason": reason}),  # escaped: \u0000 and \ud800 in the JSON
        )
        assert r.status_code == 400, r.get_json()
        assert "reason" in r.get_json()["error"]["message"]
    seen = client.get(f"/api/v1/delivery-jobs/{posted['id']}", headers=merchant).get_json()
    assert seen["status"] == "assigned"  # nothing changed
