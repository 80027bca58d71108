"""``fleetops graph build|info`` on the synthetic city, through click's runner (issue 11): a first
run shows what it is doing for every mode, and the header says where the city's roads come from
and who chose the city."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cli.main import cli
from config.cities import load_city
from config.settings import load_settings
from routing.modes import Mode

#: The synthetic profile's street network (config/cities/synthetic.toml).
SYNTHETIC_ROADS = "synthetic street network (seed 7, 14×14 blocks of 110 m)"


def run(args: list[str], tmp_path, **env: str | None):
    """``fleetops ARGS`` with a cold cache of its own, nothing configured but ``env``."""
    base: dict[str, str | None] = {
        "FLEETOPS_VAR_DIR": str(tmp_path / "var"),
        "FLEETOPS_CACHE_DIR": str(tmp_path / "cache"),
        "FLEETOPS_CITY": None,
        "FLEETOPS_CONFIG": None,
        "DATABASE_URL": None,
        "REDIS_URL": None,
    }
    result = CliRunner().invoke(cli, args, env={**base, **env}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.parametrize("command", ["build", "info"])
def test_a_first_run_shows_each_modes_stages(command, tmp_path):
    result = run(["graph", command, "--city", "synthetic"], tmp_path)
    for mode in Mode:
        for stage in ("reading the OSM data", "ordering nodes", "building the hierarchy"):
            assert f"{mode}: {stage}" in result.stderr, result.stderr
    again = run(["graph", command, "--city", "synthetic"], tmp_path)
    assert f"{Mode.CAR}: from the cache" in again.stderr
    assert "ordering nodes" not in again.stderr


def test_the_header_names_who_chose_the_city(tmp_path):
    chosen = run(["graph", "info", "--city", "synthetic"], tmp_path, FLEETOPS_CITY="monaco")
    assert "city: synthetic (--city names it)" in chosen.stderr
    from_env = run(["graph", "info"], tmp_path, FLEETOPS_CITY="synthetic")
    assert "city: synthetic (FLEETOPS_CITY names it)" in from_env.stderr
    config = tmp_path / "fleetops.toml"
    config.write_text('[city]\nname = "synthetic"\n')
    from_file = run(["graph", "info"], tmp_path, FLEETOPS_CONFIG=str(config))
    assert f"city: synthetic (city.name in {config} names it)" in from_file.stderr


def test_the_header_names_where_the_roads_come_from(tmp_path):
    info = run(["graph", "info", "--city", "synthetic"], tmp_path)
    header = info.stdout.splitlines()[0]
    assert header.startswith("Synthetic test city (generated): roads from a " + SYNTHETIC_ROADS)
    assert str(tmp_path / "cache" / "synthetic") in header  # the OSM file it was generated into
    built = run(["graph", "build", "--city", "synthetic"], tmp_path)
    assert built.stdout.splitlines()[0] == header


def test_fleetops_web_builds_the_missing_networks_before_gunicorn_starts(tmp_path):
    """Web workers load every network before they serve: ``fleetops web`` builds what the cache
    lacks once, before gunicorn forks them, so no worker outlasts its boot timeout building."""
    from cli.graph import build_missing_networks
    from routing.load import network_cached

    settings = load_settings(
        {"FLEETOPS_CACHE_DIR": str(tmp_path / "cache"), "FLEETOPS_CITY": "synthetic"}
    )
    source = load_city("synthetic", settings.data_dir).source
    assert not any(network_cached(source, mode, settings.cache_dir) for mode in Mode)
    build_missing_networks(settings)
    assert all(network_cached(source, mode, settings.cache_dir) for mode in Mode)
