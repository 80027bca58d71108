"""WSGI entry point for gunicorn: ``gunicorn 'web.wsgi:build()'``. Reads settings when called."""

from __future__ import annotations

from apiflask import APIFlask

from config.settings import load_settings
from web import create_app


def build() -> APIFlask:
    """The app, configured from the environment."""
    return create_app(load_settings())
