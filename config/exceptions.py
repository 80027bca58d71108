"""Configuration errors."""

from __future__ import annotations


class SettingsError(ValueError):
    """A setting is missing, malformed or names something that does not exist."""


class UnknownCity(SettingsError, LookupError):
    """No city profile has the requested name."""
