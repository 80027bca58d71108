"""The NGSI-LD push for real: the demo's entities upserted by an rq worker (SimpleWorker, burst)
on the test Redis to a receiver the test starts (tests/opendata/ngsi_receiver.py), which fails
its first requests, or all of them, or is not there at all."""

from __future__ import annotations

import os

import pytest
from rq import Queue
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry

from bootstrap.ngsi import ngsi_broker, ngsi_periodic
from cli.redis_server import free_port
from config.exceptions import SettingsError
from config.settings import load_settings
from dispatch.opendata.ngsi_context import Contexts
from dispatch.opendata.ngsi_export import export_entities
from dispatch.opendata.ngsi_push import Broker, BrokerRefused, post_batch
from dispatch.queue.connection import QUEUES, connect
from dispatch.queue.ngsi_jobs import QUEUE, request_push, scheduled_ngsi_push
from dispatch.queue.worker import PlatformSimpleWorker
from tests.opendata.ngsi_receiver import receiving
from tests.web.conftest import demo  # noqa: F401  (the seeded demo city and its app)

CONTEXTS = Contexts("https://fleet.example.org")


@pytest.fixture
def fleet(demo, redis_url):  # noqa: F811
    """The demo's platform and operator, and the test Redis with empty queues."""
    connection = connect(redis_url)
    for name in QUEUES:
        Queue(name, connection=connection).empty()
    return demo[0].extensions["fleetops"], demo[1].operator_id, connection


def expected(platform, operator_id):
    entities = export_entities(
        platform.engine, platform.clock, platform.catalog, operator_id, CONTEXTS
    )
    return {e["id"]: e for e in entities}


def push(fleet, broker: Broker, *, retries: int) -> Job:
    """Request the operator's push (retries 0 s apart) and run a burst worker; the job."""
    platform, operator_id, connection = fleet
    jid = request_push(
        connection, operator_id, broker, CONTEXTS, retries=retries, retry_interval_s=0
    )
    PlatformSimpleWorker(platform, connection).work(burst=True)
    return Job.fetch(jid, connection=connection)


def test_the_job_is_retried_until_the_broker_takes_every_entity(fleet):
    platform, operator_id, _connection = fleet
    with receiving(fail_first=2) as broker_here:
        broker = Broker(broker_here.url, tenant="seoul", batch_size=25, attempts=1)
        job = push(fleet, broker, retries=3)
        assert job.get_status() == JobStatus.FINISHED, job.latest_result().exc_string
        assert job.retries_left == 1  # two failed runs, the third took
        want = expected(platform, operator_id)
        assert broker_here.entities == want
        assert broker_here.statuses[:2] == [500, 500]
        assert set(broker_here.statuses[2:]) == {201}
        assert job.return_value()["entities"] == len(want)
        assert job.meta["progress"] == {
            "batches_done": job.return_value()["batches"],
            "batches": job.return_value()["batches"],
        }
        seen = broker_here.headers_seen[-1]
        assert seen["content-type"] == "application/ld+json"
        assert seen["ngsild-tenant"] == "seoul"

        # pushing again changes nothing: every entity replaced by the same one
        before, sent = dict(broker_here.entities), len(broker_here.statuses)
        again = push(fleet, broker, retries=3)
        assert again.get_status() == JobStatus.FINISHED
        assert broker_here.entities == before
        assert set(broker_here.statuses[sent:]) == {204}


def test_a_blip_is_retried_inside_the_job(fleet):
    with receiving(fail_first=2, fail_status=503) as broker_here:
        job = push(fleet, Broker(broker_here.url, attempts=3, backoff_s=0), retries=3)
        assert job.get_status() == JobStatus.FINISHED
        assert job.retries_left == 3  # rq never had to
        assert broker_here.statuses[:3] == [503, 503, 201]


def test_a_broker_that_always_fails_leaves_the_job_failed_in_rq(fleet):
    _platform, _operator_id, connection = fleet
    with receiving(fail_first=-1) as broker_here:
        job = push(fleet, Broker(broker_here.url, attempts=2, backoff_s=0), retries=2)
        assert job.get_status() == JobStatus.FAILED
        assert job.id in FailedJobRegistry(QUEUE, connection=connection).get_job_ids()
        assert "answered 500" in job.latest_result().exc_string
        assert broker_here.statuses == [500] * 6  # 2 tries in each of 3 runs
        assert broker_here.entities == {}


def test_no_broker_listening_fails_the_job_naming_the_broker(fleet):
    url = f"http://127.0.0.1:{free_port()}"
    job = push(fleet, Broker(url, attempts=2, backoff_s=0, timeout_s=2), retries=1)
    assert job.get_status() == JobStatus.FAILED
    assert f"context broker at {url} unreachable" in job.latest_result().exc_string


def test_a_refusal_is_not_tried_again_inside_the_job(fleet):
    with receiving(fail_first=1, fail_status=400) as broker_here:
        job = push(fleet, Broker(broker_here.url, attempts=3, backoff_s=0), retries=0)
        assert job.get_status() == JobStatus.FAILED
        assert "BrokerRefused" in job.latest_result().exc_string
        assert broker_here.statuses == [400]
    with (
        receiving(fail_first=1, fail_status=207) as broker_here,
        pytest.raises(BrokerRefused, match="207"),
    ):
        post_batch(Broker(broker_here.url), [{"id": "urn:ngsi-ld:Operator:x"}])


def test_a_pending_push_is_not_asked_for_twice(fleet):
    _platform, operator_id, connection = fleet
    broker = Broker("http://127.0.0.1:9")
    first = request_push(connection, operator_id, broker, CONTEXTS, retries=0, retry_interval_s=0)
    second = request_push(connection, operator_id, broker, CONTEXTS, retries=0, retry_interval_s=0)
    assert first == second
    assert Queue(QUEUE, connection=connection).count == 1


def test_the_scheduled_push_covers_every_operator(fleet):
    platform, operator_id, connection = fleet
    with receiving() as broker_here:
        broker = Broker(broker_here.url, batch_size=50)
        fan_out = Queue(QUEUE, connection=connection).enqueue(
            scheduled_ngsi_push, broker.to_dict(), CONTEXTS.to_dict(), 0, 0
        )
        PlatformSimpleWorker(platform, connection).work(burst=True)
        fan_out.refresh()
        assert fan_out.get_status() == JobStatus.FINISHED, fan_out.latest_result().exc_string
        assert list(fan_out.return_value()) == [operator_id]
        assert broker_here.entities == expected(platform, operator_id)


def test_the_scheduler_pushes_only_when_a_broker_is_set(settings):
    assert ngsi_broker(settings) is None and ngsi_periodic(settings) == []
    env = {
        "FLEETOPS_VAR_DIR": str(settings.var_dir),
        "SECRET_KEY": "k",
        "FLEETOPS_NGSI_BROKER_URL": "http://broker:1026/",
        "FLEETOPS_NGSI_TENANT": "seoul",
        "FLEETOPS_PUBLIC_URL": "https://fleet.example.org",
    }
    (periodic,) = ngsi_periodic(load_settings(env))
    broker, contexts, retries, interval_s = periodic.args
    assert broker["url"] == "http://broker:1026" and broker["tenant"] == "seoul"
    assert contexts["base_url"] == "https://fleet.example.org"
    assert (retries, interval_s, periodic.every_s) == (3, 60, 300)


@pytest.mark.parametrize(
    ("name", "value", "key"),
    [
        ("FLEETOPS_NGSI_BROKER_URL", "ftp://broker", "open_data.ngsi_broker_url"),
        ("FLEETOPS_NGSI_BROKER_URL", "broker:1026", "open_data.ngsi_broker_url"),
    ],
)
def test_a_bad_broker_url_fails_at_start(tmp_path, name, value, key):
    with pytest.raises(SettingsError, match=key):
        load_settings({"FLEETOPS_VAR_DIR": str(tmp_path), "SECRET_KEY": "k", name: value})


def test_fleetops_scheduler_enqueues_the_push_when_a_broker_is_set(redis_url, tmp_path, cache_dir):
    from tests.dispatch.test_schedule import scheduler_once

    connection = connect(redis_url)
    Queue(QUEUE, connection=connection).empty()
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "FLEETOPS_CITY": "synthetic",
        "FLEETOPS_CACHE_DIR": str(cache_dir),
        "FLEETOPS_VAR_DIR": str(tmp_path / "var"),
        "FLEETOPS_NGSI_BROKER_URL": "http://broker:1026",
    }
    result = scheduler_once(env)
    assert result.returncode == 0, result.stderr
    assert "every 300 s: ngsi-ld-push on the default queue" in result.stderr
    (queued,) = Queue(QUEUE, connection=connection).get_jobs()
    assert queued.func_name == "dispatch.queue.ngsi_jobs.scheduled_ngsi_push"
    assert queued.args[0]["url"] == "http://broker:1026" and queued.args[2:] == (3, 60)
