"""Configuration: defaults, city profiles and the typed :class:`Settings` loader.

Only entry points (``create_app``, the worker, the CLI) call :func:`load_settings`; everything
below them receives the values it needs.
"""

from __future__ import annotations

from config.exceptions import SettingsError
from config.settings import Settings, load_settings

__all__ = ["Settings", "SettingsError", "load_settings"]
