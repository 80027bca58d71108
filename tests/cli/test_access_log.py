"""The access log of ``fleetops web`` does not hold tracking codes: whoever reads the log could
otherwise follow every customer's parcel. The gunicorn command ``fleetops web`` would run is
taken from the command (its ``exec`` is caught), and its configured logger writes a real file."""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from gunicorn.config import Config

from cli import graph as graph_module
from cli.main import cli

CODE = "Zq7secretTrackingCode42"


@pytest.fixture
def gunicorn_argv(monkeypatch, tmp_path, cache_dir):
    """The arguments ``fleetops web`` hands to gunicorn."""
    seen: list[list[str]] = []

    def execvp(_file, argv):
        seen.append(argv)
        raise SystemExit(0)

    monkeypatch.setattr(graph_module, "build_missing_networks", lambda _settings: None)
    monkeypatch.setattr(os, "execvp", execvp)
    env = {
        "FLEETOPS_VAR_DIR": str(tmp_path / "var"),
        "FLEETOPS_CACHE_DIR": str(cache_dir),
        "FLEETOPS_CITY": "synthetic",
        "SECRET_KEY": "test-secret",
    }
    result = CliRunner().invoke(cli, ["web"], env=env)
    assert result.exit_code == 0, result.output
    argv = seen[0]
    return argv[argv.index("gunicorn") + 1 :]


def _logger(argv: list[str], log_file):
    cfg = Config()
    parsed = cfg.parser().parse_args(argv)
    for key, value in vars(parsed).items():
        if value is not None and key in cfg.settings and key != "args":
            cfg.set(key.lower(), value)
    cfg.set("accesslog", str(log_file))
    return cfg.logger_class(cfg)


def _request(path: str, referer: str) -> tuple:
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": path,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "HTTP_REFERER": referer,
        "HTTP_USER_AGENT": "test",
    }
    resp = SimpleNamespace(status="200 OK", headers=[], sent=42)
    req = SimpleNamespace(headers=[("REFERER", referer), ("USER-AGENT", "test")])
    return resp, req, environ, timedelta(milliseconds=5)


def test_the_access_log_masks_tracking_codes(gunicorn_argv, tmp_path):
    log_file = tmp_path / "access.log"
    logger = _logger(gunicorn_argv, log_file)
    referer = f"https://fleet.example/track/{CODE}"
    logger.access(*_request(f"/track/{CODE}", referer))
    logger.access(*_request(f"/api/v1/track/{CODE}?x=1", referer))
    logger.access(*_request("/api/v1/vehicles", "-"))
    written = log_file.read_text()
    assert written.count("\n") == 3, written
    assert CODE not in written and CODE[:8] not in written
    assert "/track/" in written and "/api/v1/vehicles" in written  # the rest is as it was


def test_the_apps_own_log_masks_a_failed_requests_tracking_path(settings, sqlite_engine, caplog):
    from web import create_app

    app = create_app(settings, engine=sqlite_engine)
    with caplog.at_level(logging.ERROR):
        app.logger.error(f"Exception on /track/{CODE} [GET]")
        app.logger.error("Exception on %s [%s]", f"/api/v1/track/{CODE}", "GET")
    assert CODE not in caplog.text and caplog.text.count("/track/[code]") == 2
