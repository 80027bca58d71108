"""The ``[open_data]`` settings: the feeds' contact, and where and how the NGSI-LD entities are
pushed to a context broker (the city data hub). Read by ``config.settings.load_settings``;
checked here, at start."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from config.exceptions import SettingsError

#: An address GBFS's schema accepts (its format "email"): one @, no spaces, a dotted domain.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

#: Environment variable → key of ``[open_data]`` (documented in the README's table).
OPEN_DATA_ENV = {
    "FLEETOPS_NGSI_BROKER_URL": "ngsi_broker_url",
    "FLEETOPS_NGSI_TENANT": "ngsi_tenant",
    "FLEETOPS_FEED_CONTACT_EMAIL": "contact_email",
}

#: The NGSI-LD core context entities name (ETSI GS CIM 009 V1.8.1, Annex B): the newest that the
#: FIWARE brokers (Orion-LD, Scorpio, Stellio) all serve.
DEFAULT_CORE_CONTEXT = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"

#: The whole numbers of ``[open_data]`` (seconds or counts).
_INTS = (
    "ngsi_push_every_s",
    "ngsi_batch_size",
    "ngsi_timeout_s",
    "ngsi_attempts",
    "ngsi_backoff_s",
    "ngsi_retries",
    "ngsi_retry_interval_s",
)


@dataclass(frozen=True, slots=True)
class OpenDataSettings:
    """Who answers for the open data, and how the NGSI-LD push runs (see config/defaults.toml,
    docs/gbfs.md and docs/ngsi-ld.md)."""

    #: The address the GBFS feeds give consumers (v3 requires one); ``None``: ``opendata@``
    #: the public URL's host, which the operator should replace with a mailbox someone reads.
    contact_email: str | None = None

    #: The context broker's base URL; ``None``: no push.
    ngsi_broker_url: str | None = None
    #: The ``NGSILD-Tenant`` header; ``None``: the broker's default tenant.
    ngsi_tenant: str | None = None
    ngsi_core_context: str = DEFAULT_CORE_CONTEXT
    ngsi_push_every_s: int = 300
    ngsi_batch_size: int = 100
    ngsi_timeout_s: int = 10
    ngsi_attempts: int = 3
    ngsi_backoff_s: int = 2
    ngsi_retries: int = 3
    ngsi_retry_interval_s: int = 60

    def __post_init__(self) -> None:
        for name in ("ngsi_broker_url", "ngsi_core_context"):
            value = getattr(self, name)
            if value is not None and not value.startswith(("http://", "https://")):
                msg = f"open_data.{name} must start with http:// or https://, got {value!r}"
                raise SettingsError(msg)
        if self.contact_email is not None and not _EMAIL.fullmatch(self.contact_email):
            msg = f"open_data.contact_email is not an e-mail address: {self.contact_email!r}"
            raise SettingsError(msg)
        for name in ("ngsi_push_every_s", "ngsi_batch_size", "ngsi_attempts", "ngsi_timeout_s"):
            if getattr(self, name) <= 0:
                msg = f"open_data.{name} must be positive, got {getattr(self, name)}"
                raise SettingsError(msg)
        for name in ("ngsi_backoff_s", "ngsi_retries", "ngsi_retry_interval_s"):
            if getattr(self, name) < 0:
                msg = f"open_data.{name} must not be negative, got {getattr(self, name)}"
                raise SettingsError(msg)


def read_open_data(get: Callable[[str, str, type], Any]) -> OpenDataSettings:
    """The ``[open_data]`` settings, each read with ``get(section, key, kind)``."""

    def text(key: str) -> str | None:
        return str(get("open_data", key, str)).strip() or None

    return OpenDataSettings(
        contact_email=text("contact_email"),
        ngsi_broker_url=(text("ngsi_broker_url") or "").rstrip("/") or None,
        ngsi_tenant=text("ngsi_tenant"),
        ngsi_core_context=text("ngsi_core_context") or DEFAULT_CORE_CONTEXT,
        **{key: get("open_data", key, int) for key in _INTS},
    )
