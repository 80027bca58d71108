"""``fleetops graph build|info``: a city's road networks, built into the cache or described.

A first run reads the OSM data and orders every mode's network (the better part of a minute on a
real district), so each mode's stages show on a progress bar on stderr.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any

import click
from tqdm import tqdm

from cli.common import city_name, settings_or_exit
from config.cities import load_city, resolve_city_name
from config.exceptions import SettingsError
from config.settings import Settings
from fleet.city import CityProfile
from routing.exceptions import GraphBuildError
from routing.load import load_network, network_cached, synthetic_osm_path
from routing.modes import Mode
from routing.network import RoadNetwork


def city_profile(settings: Settings, option: str | None) -> CityProfile:
    """The profile of the city to run (see :func:`cli.common.city_name`)."""
    try:
        return load_city(city_name(settings, option), settings.data_dir)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def roads_header(profile: CityProfile, settings: Settings) -> str:
    """``Title: roads from <source>``; a synthetic city also names the OSM file it was
    generated into."""
    line = f"{profile.title}: roads from {profile.source.describe()}"
    if profile.source.synthetic is not None:
        line += f", generated into {synthetic_osm_path(profile.source, settings.cache_dir)}"
    return line


def load_networks(
    profile: CityProfile, settings: Settings, modes: Iterable[Mode] = tuple(Mode)
) -> dict[Mode, RoadNetwork]:
    """Every mode's network from the cache, built where missing, with a bar of the stages."""
    modes = list(modes)
    networks = {}
    with tqdm(
        total=len(modes), desc=f"road networks of {profile.name}", unit="mode", file=sys.stderr
    ) as bar:
        for mode in modes:

            def stage(name: str, mode: Mode = mode) -> None:
                bar.set_postfix_str(f"{mode}: {name}")

            try:
                networks[mode] = load_network(profile.source, mode, settings.cache_dir, stage)
            except GraphBuildError as exc:
                raise click.ClickException(str(exc)) from None
            bar.update()
    return networks


def build_missing_networks(settings: Settings) -> None:
    """Build the road networks of the settings' city that the cache lacks (with their bar), so
    that web workers, which load every network before they serve, only read them."""
    try:
        name, _why = resolve_city_name(settings.city, settings.data_dir)
        profile = load_city(name, settings.data_dir)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    missing = [m for m in Mode if not network_cached(profile.source, m, settings.cache_dir)]
    if missing:
        load_networks(profile, settings, missing)


@click.group()
def graph() -> None:
    """Road graphs of a city: build them into the cache, or describe them."""


@graph.command("build")
@click.option("--city", default=None, help="City profile (default: FLEETOPS_CITY or automatic).")
def graph_build(city: str | None) -> None:
    """Build every mode's road network of a city (with its routing index) into the cache."""
    settings = settings_or_exit()
    profile = city_profile(settings, city)
    click.echo(roads_header(profile, settings))
    load_networks(profile, settings)
    click.echo(f"{profile.name}: road networks of {', '.join(Mode)} are in {settings.cache_dir}")


@graph.command("info")
@click.option("--city", default=None, help="City profile (default: FLEETOPS_CITY or automatic).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def graph_info(city: str | None, as_json: bool) -> None:
    """Nodes, edges, km of road per mode, and what building dropped."""
    settings = settings_or_exit()
    profile = city_profile(settings, city)
    rows = [n.report.as_dict() for n in load_networks(profile, settings).values()]
    if as_json:
        body = {"city": profile.name, "source": profile.source.describe(), "modes": rows}
        click.echo(json.dumps(body, indent=2))
        return
    click.echo(roads_header(profile, settings))
    _table(rows)


def _table(rows: list[dict[str, Any]]) -> None:
    click.echo(
        f"{'mode':<6} {'nodes':>8} {'edges':>8} {'road km':>9} "
        f"{'dropped edges (tags)':>21} {'dropped nodes (disconnected)':>29}"
    )
    for r in rows:
        click.echo(
            f"{r['mode']:<6} {r['nodes']:>8} {r['edges']:>8} "
            f"{int(r['length_m']) / 1000:>9.1f} {r['edges_dropped_by_tags']:>21} "
            f"{r['nodes_dropped_disconnected']:>29}"
        )
