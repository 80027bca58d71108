"""The platform the running app serves, put in place once by ``create_app``."""

from __future__ import annotations

from flask import current_app

from dispatch.platform import Platform

EXTENSION = "fleetops"


def ctx() -> Platform:
    """The running app's platform."""
    platform: Platform = current_app.extensions[EXTENSION]
    return platform
