"""Attack on the telemetry ingest (issue 17), on SQLite and PostgreSQL: readings no sensor gives
(a vibration of 1e308 m/s², which overflowed the road-surface median to infinity) are refused by
name and store nothing; overlapping batches posted at once store each sample once, with counts
that add up, in any order of arrival."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from dispatch.ops.telemetry import MAX_NOISE_DB, MAX_SPEED_KPH, MAX_VIBRATION_MS2
from tests.web.test_bookings import login
from tests.web.test_telemetry_ingest import URL, _batch, _spoil, _stored, _vehicles

ON_POSTGRESQL = pytest.mark.parametrize("engine", ["postgresql"], indirect=True)


def test_readings_no_sensor_gives_are_refused_by_name(demo, engine, clock):
    app, summary, _prepared = demo
    client = app.test_client()
    gateway = login(client, "gateway")
    batch = _batch(_vehicles(engine, summary.operator_id, 3), clock)
    for field, value in (
        ("vibration_rms_ms2", 1e308),
        ("vibration_rms_ms2", MAX_VIBRATION_MS2 * 1.01),
        ("speed_kph", 1e308),
        ("speed_kph", MAX_SPEED_KPH + 1),
        ("noise_db", MAX_NOISE_DB + 1),
    ):
        r = client.post(URL, json=_spoil(batch, 1, **{field: value}), headers=gateway)
        assert r.status_code == 422, (field, r.get_json())
        error = r.get_json()["error"]
        assert error["code"] == "validation_error" and f"samples.1.{field}" in error["message"]
    assert _stored(engine) == []
    edge = _spoil(batch, 1, vibration_rms_ms2=MAX_VIBRATION_MS2, speed_kph=MAX_SPEED_KPH)
    assert client.post(URL, json=edge, headers=gateway).get_json()["accepted"] == 3


@ON_POSTGRESQL
def test_overlapping_batches_at_once_store_each_sample_once(demo, engine, clock):
    app, summary, _prepared = demo
    gateway = login(app.test_client(), "gateway")
    whole = _batch(_vehicles(engine, summary.operator_id, 50), clock)["samples"]
    # eight windows of 20 over the 50, each overlapping its neighbours, some in reverse order
    windows = [whole[k : k + 20] for k in range(0, 31, 5)] + [whole[::-1][:25], whole[10:40]]
    gate = threading.Barrier(len(windows))
    answers: list[Any] = [None] * len(windows)

    def post(i: int) -> None:
        client = app.test_client()
        gate.wait()
        r = client.post(URL, json={"samples": windows[i]}, headers=gateway)
        answers[i] = (r.status_code, r.get_json())

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(windows))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(status == 200 for status, _body in answers), answers
    distinct = {s["id"] for w in windows for s in w}
    assert sum(body["accepted"] for _status, body in answers) == len(distinct)
    for window, (_status, body) in zip(windows, answers, strict=True):
        assert body["accepted"] + body["duplicates"] == len(window)
    assert sorted(r["sample_id"] for r in _stored(engine)) == sorted(distinct)
