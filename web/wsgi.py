"""WSGI entry point for gunicorn: ``gunicorn 'web.wsgi:build()'``. Reads settings when called.

gunicorn calls :func:`build` in each worker before the worker accepts a connection, so the
warm-up there (road networks loaded, kernels compiled) is done before the worker's first request;
connections that arrive meanwhile wait in the listen backlog. Not once in gunicorn's master
(``--preload``): the warm-up runs numba's parallel kernels, whose thread pool (like any thread)
would not survive the fork into the workers.
"""

from __future__ import annotations

import sys

from apiflask import APIFlask

from bootstrap import build_platform, warm_up
from config.settings import load_settings
from web import create_app

#: The interpreter's thread switch interval in the web's processes (Python's default: 5 ms).
#: A request thread that waits on the database must get the interpreter back when its answer
#: comes; while another thread computes (a courier insertion, a matrix), each such hand-back
#: waits up to one interval, and a booking makes dozens of them. 1 ms keeps a rider's booking
#: from queueing behind a merchant's post in the same worker.
SWITCH_INTERVAL_S = 0.001


def build() -> APIFlask:
    """The app, configured from the environment, warm before it serves."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    settings = load_settings()
    platform = build_platform(settings)
    warm_up(platform)
    return create_app(settings, platform=platform)
