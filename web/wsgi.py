"""WSGI entry point for gunicorn: ``gunicorn 'web.wsgi:build()'``. Reads settings when called."""

from __future__ import annotations

import sys

from apiflask import APIFlask

from config.settings import load_settings
from web import create_app

#: The interpreter's thread switch interval in the web's processes (Python's default: 5 ms).
#: A request thread that waits on the database must get the interpreter back when its answer
#: comes; while another thread computes (a courier insertion, a matrix), each such hand-back
#: waits up to one interval, and a booking makes dozens of them. 1 ms keeps a rider's booking
#: from queueing behind a merchant's post in the same worker.
SWITCH_INTERVAL_S = 0.001


def build() -> APIFlask:
    """The app, configured from the environment."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    return create_app(load_settings())
