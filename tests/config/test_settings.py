"""Settings: defaults → TOML file → environment; bad values name their key."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.cities import available_cities, load_city, resolve_city_name
from config.exceptions import SettingsError, UnknownCity
from config.settings import PROJECT_ROOT, load_settings


def test_defaults(tmp_path):
    s = load_settings({}, cwd=tmp_path)
    assert s.port == 8000 and s.redis_url is None and s.city is None
    assert s.data_dir == (PROJECT_ROOT / "../shared/data").resolve()
    assert s.database_url == f"sqlite:///{PROJECT_ROOT / 'var' / 'fleetops.db'}"
    assert s.uses_sqlite and len(s.secret_key) == 64
    assert s.sources["server.port"] == "defaults"


def test_environment_overrides_file_overrides_defaults(tmp_path):
    conf = tmp_path / "fleetops.toml"
    conf.write_text(
        '[server]\nport = 9000\n[city]\nname = "andorra"\n[storage]\ndata_dir = "data"\n'
    )
    s = load_settings({"FLEETOPS_CONFIG": str(conf), "PORT": "9100"}, cwd=tmp_path)
    assert s.port == 9100 and s.sources["server.port"] == "PORT"
    assert s.city == "andorra" and s.sources["city.name"] == str(conf)
    assert s.data_dir == tmp_path / "data"  # relative to the file that names it
    s = load_settings(
        {
            "DATABASE_URL": "postgresql://u@h/db",
            "REDIS_URL": "redis://h:1/2",
            "FLEETOPS_DATA_DIR": "rel",
        },
        cwd=tmp_path,
    )
    assert s.database_url == "postgresql://u@h/db" and s.redis_url == "redis://h:1/2"
    assert s.data_dir == tmp_path / "rel"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PORT": "eighty"}, r"server\.port \(from PORT\) must be an integer"),
        ({"PORT": "70000"}, r"server\.port must be a positive integer and at most 65535"),
        ({"FLEETOPS_WEB_WORKERS": "0"}, r"server\.web_workers must be a positive integer"),
        ({"DATABASE_URL": "fleetops.db"}, r"DATABASE_URL\) is not a URL"),
        ({"REDIS_URL": "localhost:6379"}, r"REDIS_URL\) must start with redis://"),
        ({"FLEETOPS_CONFIG": "/nonexistent/x.toml"}, "does not exist"),
        ({"FLEETOPS_SECURE_COOKIES": "maybe"}, r"auth\.secure_cookies \(from .*\) must be true"),
    ],
)
def test_malformed_settings_name_the_key(env, message, tmp_path):
    with pytest.raises(SettingsError, match=message):
        load_settings(env, cwd=tmp_path)


def test_secure_cookies_are_off_unless_configured(tmp_path):
    assert load_settings({}, cwd=tmp_path).secure_cookies is False
    assert load_settings({"FLEETOPS_SECURE_COOKIES": "true"}, cwd=tmp_path).secure_cookies
    on = tmp_path / "on.toml"
    on.write_text("[auth]\nsecure_cookies = true\n")
    assert load_settings({}, config_file=on).secure_cookies


def test_malformed_files_name_the_problem(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[server\nport = 1")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings({}, config_file=bad)
    bad.write_text("[server]\nprot = 1\n")
    with pytest.raises(SettingsError, match=r"unknown key server\.prot"):
        load_settings({}, config_file=bad)
    bad.write_text("[nonsense]\nx = 1\n")
    with pytest.raises(SettingsError, match=r"unknown section \[nonsense\]"):
        load_settings({}, config_file=bad)


def test_every_city_profile_parses(tmp_path):
    assert set(available_cities()) >= {
        "seoul-mapo",
        "andorra",
        "monaco",
        "gwangmyeong",
        "synthetic",
    }
    for name in available_cities():
        profile = load_city(name, tmp_path)
        assert profile.name == name and sum(profile.fleet_mix.values()) == pytest.approx(1.0)
    seoul = load_city("seoul-mapo", tmp_path)
    assert seoul.timezone == "Asia/Seoul" and seoul.currency == "KRW"
    assert seoul.source.file == (tmp_path / "osm/seoul_mapo_gongdeok.osm.bz2").resolve()
    assert load_city("gwangmyeong", tmp_path).source.place
    assert load_city("monaco", tmp_path).currency == "EUR"


def test_unknown_city_lists_the_known_ones(tmp_path):
    with pytest.raises(UnknownCity, match="known cities: andorra"):
        load_city("atlantis", tmp_path)
    with pytest.raises(UnknownCity, match="FLEETOPS_CITY"):
        resolve_city_name("atlantis", tmp_path)


def test_demo_city_falls_back_to_synthetic_without_data(tmp_path, data_dir):
    name, why = resolve_city_name(None, tmp_path / "nothing-here")
    assert name == "synthetic" and "needs no data" in why
    name, why = resolve_city_name(None, data_dir)
    assert name == "seoul-mapo" and "present" in why
    assert resolve_city_name("monaco", Path("/nowhere"))[0] == "monaco"
