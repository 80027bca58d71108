"""Without SECRET_KEY, one key is made once per var dir, kept there (0600), and read by every
process after (config.secret_key)."""

from __future__ import annotations

import logging
import multiprocessing
import stat

import pytest

from config.exceptions import SettingsError
from config.settings import load_settings


@pytest.fixture
def env(tmp_path):
    """An environment without SECRET_KEY, on its own var dir."""
    return {"FLEETOPS_VAR_DIR": str(tmp_path / "var")}


def test_the_shared_key_is_kept_private_in_the_var_dir_and_named_as_the_source(env, tmp_path):
    settings = load_settings(env)
    where = tmp_path / "var" / "secret_key"
    assert where.read_text().strip() == settings.secret_key
    assert stat.S_IMODE(where.stat().st_mode) == 0o600
    assert settings.sources["auth.secret_key"] == str(where)
    assert load_settings({**env, "SECRET_KEY": "configured"}).secret_key == "configured"


def test_the_first_process_makes_the_key_and_says_so(tmp_path, caplog):
    from config.secret_key import shared_secret_key

    with caplog.at_level(logging.WARNING, logger="config.secret_key"):
        key, path = shared_secret_key(tmp_path)
        assert shared_secret_key(tmp_path) == (key, path)
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 1 and "SECRET_KEY is unset" in said[0] and str(path) in said[0]


def test_processes_starting_together_all_get_the_same_key(tmp_path):
    from config.secret_key import shared_secret_key

    with multiprocessing.get_context("spawn").Pool(4) as pool:
        keys = pool.map(shared_secret_key, [tmp_path] * 8)
    assert len({key for key, _path in keys}) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no temporary file left


def test_a_var_dir_that_cannot_hold_the_key_stops_the_start_naming_secret_key(tmp_path):
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("")
    with pytest.raises(SettingsError, match="set SECRET_KEY"):
        load_settings({"FLEETOPS_VAR_DIR": str(blocked)})
