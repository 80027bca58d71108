"""``fleetops opendata ngsi-ld`` and ``ngsi-ld-push`` as an operator runs them: real processes on
the demo's database, the test Redis, and a receiver the test starts."""

from __future__ import annotations

import json

import pytest
from rq import Queue
from rq.job import Job, JobStatus

from dispatch.queue.connection import QUEUES, connect
from dispatch.queue.ngsi_jobs import job_id
from tests.opendata.ngsi_receiver import receiving
from tests.web.conftest import demo  # noqa: F401  (the seeded demo city and its app)
from tests.web.test_delivery_worker import run, worker_env

PUBLIC = "https://fleet.example.org"


@pytest.mark.slow
def test_the_file_export_and_the_queued_push(demo, redis_url, cache_dir, tmp_path, clock):  # noqa: F811
    app, summary, _prepared = demo
    engine = app.extensions["fleetops"].engine
    env = {
        **worker_env(engine, redis_url, cache_dir, tmp_path, clock),
        "FLEETOPS_PUBLIC_URL": PUBLIC,
    }
    out = tmp_path / "entities.jsonld"
    done = run(["opendata", "ngsi-ld", "--out", str(out)], env)
    assert done.returncode == 0, done.stderr[-2000:]
    entities = json.loads(out.read_text(encoding="utf-8"))
    assert sum(e["type"] == "Vehicle" for e in entities) == sum(summary.vehicles.values())
    assert {tuple(e["@context"]) for e in entities} == {
        (
            "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld",
            f"{PUBLIC}/ngsi-ld/context.jsonld",
        )
    }
    bad = run(["opendata", "ngsi-ld", "--operator", "Nobody"], env)
    assert bad.returncode == 2 and "no operator named 'Nobody'" in bad.stderr
    unknown = run(["opendata", "ngsi-ld", "--type", "Bus"], env)
    assert unknown.returncode == 2 and "unknown entity type Bus" in unknown.stderr
    no_broker = run(["opendata", "ngsi-ld-push"], env)
    assert no_broker.returncode == 2 and "FLEETOPS_NGSI_BROKER_URL" in no_broker.stderr

    connection = connect(redis_url)
    for name in QUEUES:
        Queue(name, connection=connection).empty()
    with receiving() as broker:
        pushing = {**env, "FLEETOPS_NGSI_BROKER_URL": broker.url}
        queued = run(["opendata", "ngsi-ld-push", "--all"], pushing)
        assert queued.returncode == 0, queued.stderr[-2000:]
        assert job_id(summary.operator_id) in queued.stdout
        worked = run(["worker", "--burst"], pushing)
        assert worked.returncode == 0, worked.stderr[-2000:]
        job = Job.fetch(job_id(summary.operator_id), connection=connection)
        assert job.get_status() == JobStatus.FINISHED, job.latest_result().exc_string
        assert set(broker.entities) == {e["id"] for e in entities}
