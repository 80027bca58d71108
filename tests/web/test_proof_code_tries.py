"""Proof-code tries. Five wrong ones lock the code even when tries arrive together: a try sent
while another is being counted must not get a sixth guess. The interleaving is made, not waited
for: the right code is sent at the one moment between a wrong try's check and its count (if the
wrong try has such a moment), else just after it. And any text is a try, never a 500."""

from __future__ import annotations

from contextlib import contextmanager

from dispatch.couriers import actions
from tests.web.test_bookings import login
from tests.web.test_delivery import courier_headers, job


def test_a_try_sent_during_the_fifth_wrong_try_is_refused(demo, clock, monkeypatch):
    client = demo[0].test_client()
    posted = client.post(
        "/api/v1/delivery-jobs", headers=login(client, "merchant1"), json=job(client, clock)
    ).get_json()
    courier = courier_headers(client, posted["courier_id"])
    base = f"/api/v1/couriers/me/jobs/{posted['id']}"
    assert client.post(f"{base}/picked-up", headers=courier).status_code == 200
    wrong = "000000" if posted["proof_code"] != "000000" else "111111"
    for _ in range(4):
        assert (
            client.post(
                f"{base}/delivered", headers=courier, json={"proof_code": wrong}
            ).status_code
            == 422
        )

    def right_try():
        return client.post(
            f"{base}/delivered", headers=courier, json={"proof_code": posted["proof_code"]}
        )

    real_writing, entered, answers = actions.writing, [], []

    @contextmanager
    def interleaved(engine):
        entered.append(engine)
        if len(entered) == 2:  # the fifth wrong try was checked and is about to be counted
            answers.append(right_try())
        with real_writing(engine) as conn:
            yield conn

    monkeypatch.setattr(actions, "writing", interleaved)
    fifth = client.post(f"{base}/delivered", headers=courier, json={"proof_code": wrong})
    monkeypatch.setattr(actions, "writing", real_writing)
    assert fifth.status_code == 422
    sixth = answers[0] if answers else right_try()
    assert sixth.status_code == 409, sixth.get_json()


def test_a_proof_code_of_other_characters_is_a_wrong_try(demo, clock):
    client = demo[0].test_client()
    posted = client.post(
        "/api/v1/delivery-jobs", headers=login(client, "merchant1"), json=job(client, clock)
    ).get_json()
    courier = courier_headers(client, posted["courier_id"])
    base = f"/api/v1/couriers/me/jobs/{posted['id']}"
    assert client.post(f"{base}/picked-up", headers=courier).status_code == 200
    r = client.post(f"{base}/delivered", headers=courier, json={"proof_code": "١٢٣٤٥٦"})
    assert r.status_code == 422 and "4 tries left" in r.get_json()["error"]["message"]
