"""The NGSI-LD export and push as the settings describe them: the contexts entities name, the
broker to push to, and the scheduler's periodic push."""

from __future__ import annotations

from config.settings import Settings
from dispatch.opendata.ngsi_context import Contexts
from dispatch.opendata.ngsi_push import Broker
from dispatch.queue import ngsi_jobs
from dispatch.queue.schedule import Periodic


def base_url(settings: Settings) -> str:
    """Where the platform is reached, for the URL of our context document: ``server.public_url``,
    else the address the web app listens on (right on one machine only: set the public URL
    wherever a broker elsewhere must fetch the context)."""
    return settings.public_url or f"http://{settings.host}:{settings.port}"


def ngsi_contexts(settings: Settings, base: str | None = None) -> Contexts:
    """The contexts entities name; ``base``: the platform's URL as a request reached it."""
    return Contexts((base or base_url(settings)).rstrip("/"), settings.open_data.ngsi_core_context)


def ngsi_broker(settings: Settings) -> Broker | None:
    """The context broker to push to, or ``None`` when ``open_data.ngsi_broker_url`` is unset."""
    od = settings.open_data
    if od.ngsi_broker_url is None:
        return None
    return Broker(
        url=od.ngsi_broker_url,
        tenant=od.ngsi_tenant,
        timeout_s=float(od.ngsi_timeout_s),
        batch_size=od.ngsi_batch_size,
        attempts=od.ngsi_attempts,
        backoff_s=float(od.ngsi_backoff_s),
    )


def ngsi_periodic(settings: Settings) -> list[Periodic]:
    """The scheduler's NGSI-LD push, when a broker is configured (else nothing)."""
    broker = ngsi_broker(settings)
    if broker is None:
        return []
    od = settings.open_data
    args = (
        broker.to_dict(),
        ngsi_contexts(settings).to_dict(),
        od.ngsi_retries,
        od.ngsi_retry_interval_s,
    )
    push = ngsi_jobs.scheduled_ngsi_push
    return [Periodic("ngsi-ld-push", push, ngsi_jobs.QUEUE, od.ngsi_push_every_s, args)]
