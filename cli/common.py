"""What the CLI's commands share: their settings, and the city they run, said with its reason."""

from __future__ import annotations

import click

from config.cities import resolve_city_name
from config.exceptions import SettingsError
from config.settings import Settings, load_settings


def settings_or_exit() -> Settings:
    """The settings of this environment, or the CLI's error naming the bad key."""
    try:
        return load_settings()
    except SettingsError as exc:
        msg = f"bad settings: {exc}"
        raise click.ClickException(msg) from None


def who_named_the_city(settings: Settings, option: str | None) -> str:
    """Who asked for the city: the ``--city`` option, else where ``city.name`` was set."""
    if option:
        return "--city"
    where = settings.sources.get("city.name", "FLEETOPS_CITY")
    return where if where == "FLEETOPS_CITY" else f"city.name in {where}"


def city_name(settings: Settings, option: str | None) -> str:
    """The city to run (``--city``, else the settings', else automatic), said on stderr with
    why."""
    try:
        name, why = resolve_city_name(
            option or settings.city, settings.data_dir, who_named_the_city(settings, option)
        )
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"city: {name} ({why})", err=True)
    return name
