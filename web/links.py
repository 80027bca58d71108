"""Absolute links in answers: on the configured public URL (``server.public_url``) when there
is one, else on the host the request came to (what a proxy passed on as the host)."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for


def external_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of ``endpoint`` with ``values``."""
    base = current_app.config.get("FLEETOPS_PUBLIC_URL")
    if base:
        return f"{base}{url_for(endpoint, **values)}"
    return url_for(endpoint, _external=True, **values)


def tracking_urls(token: str | None) -> dict[str, str | None]:
    """The customer's tracking page and its JSON, for the job with this tracking token."""
    if token is None:
        return {"tracking_url": None, "tracking_api_url": None}
    return {
        "tracking_url": external_url("tracking.page", token=token),
        "tracking_api_url": external_url("api.track", token=token),
    }
