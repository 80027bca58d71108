"""The NGSI-LD push on the queue: ``push_ngsi_ld`` upserts one operator's entities to the
context broker, requested by ``fleetops opendata ngsi-ld-push`` or, every
``open_data.ngsi_push_every_s``, by the scheduler's ``scheduled_ngsi_push`` for every operator.

A push is one job per operator at a time (its id is the operator's): asking while one waits,
runs or waits for its retry finds that one. Inside, each batch is tried a few times with
back-off (``dispatch.opendata.ngsi_push``); a push that still fails raises, and rq retries the
whole job (``Retry``) before it records the failure. Pushing twice does no harm: the upsert
replaces each entity with the same one.
"""

from __future__ import annotations

from typing import Any

import redis
from rq import Retry, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from dispatch.opendata.ngsi_context import Contexts
from dispatch.opendata.ngsi_export import export_entities
from dispatch.opendata.ngsi_push import Broker, upsert
from dispatch.platform import Platform
from dispatch.queue.connection import queue
from dispatch.queue.jobs import platform_job, report_progress
from fleet.db.engine import reading
from fleet.db.identity import list_operators

QUEUE = "default"
RESULT_TTL_S = 24 * 3600
FAILURE_TTL_S = 7 * 24 * 3600
#: A push that has not finished after this long is killed (and retried) by rq.
JOB_TIMEOUT_S = 900
#: States in which a push is still to come or under way.
PENDING = frozenset({JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED})


def job_id(operator_id: str) -> str:
    """The id of the operator's push job."""
    return f"ngsi-ld-push-{operator_id}"


def _progress(done: int, total: int) -> None:
    report_progress(batches_done=done, batches=total)


@platform_job
def push_ngsi_ld(
    platform: Platform, operator_id: str, broker: dict[str, Any], contexts: dict[str, Any]
) -> dict[str, Any]:
    """Upsert the operator's entities to ``broker`` (see :class:`Broker`); how many entities in
    how many batches. Raises ``BrokerError`` when the broker did not take them all."""
    target = Broker.from_dict(broker)
    entities = export_entities(
        platform.engine,
        platform.clock,
        platform.catalog,
        operator_id,
        Contexts.from_dict(contexts),
        routers=platform.routers,
        city=platform.city.name,
    )
    sent = upsert(target, entities, progress=_progress)
    return {"operator_id": operator_id, "entities": len(entities), "batches": sent}


def request_push(
    connection: redis.Redis,
    operator_id: str,
    broker: Broker,
    contexts: Contexts,
    *,
    retries: int,
    retry_interval_s: int,
) -> str:
    """Enqueue the operator's push unless one is pending already; its job id either way.
    A push that fails is retried ``retries`` times, ``retry_interval_s`` apart (a wait of
    0 s puts it straight back on the queue; a longer one needs rq's scheduler, which
    ``fleetops worker`` runs)."""
    jid = job_id(operator_id)
    try:
        found = Job.fetch(jid, connection=connection)
        if found.get_status(refresh=True) in PENDING:
            return jid
    except NoSuchJobError:
        pass
    job = queue(connection, QUEUE).enqueue(
        push_ngsi_ld,
        operator_id,
        broker.to_dict(),
        contexts.to_dict(),
        job_id=jid,
        retry=Retry(max=retries, interval=retry_interval_s) if retries > 0 else None,
        job_timeout=JOB_TIMEOUT_S,
        result_ttl=RESULT_TTL_S,
        failure_ttl=FAILURE_TTL_S,
        meta={"operator_id": operator_id},
    )
    return str(job.id)


@platform_job
def scheduled_ngsi_push(
    platform: Platform,
    broker: dict[str, Any],
    contexts: dict[str, Any],
    retries: int,
    retry_interval_s: int,
) -> dict[str, str]:
    """The scheduler's push: request one for every operator; operator id → its job id."""
    job = get_current_job()
    if job is None:
        msg = "scheduled_ngsi_push runs on the queue: it enqueues the operators' pushes"
        raise RuntimeError(msg)
    with reading(platform.engine) as conn:
        operators = [op.id for op in list_operators(conn)]
    target, names = Broker.from_dict(broker), Contexts.from_dict(contexts)
    return {
        operator_id: request_push(
            job.connection,
            operator_id,
            target,
            names,
            retries=retries,
            retry_interval_s=retry_interval_s,
        )
        for operator_id in operators
    }
