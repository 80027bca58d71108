"""What the CLI's commands share: their settings, and the city they run, said with its reason."""

from __future__ import annotations

from urllib.parse import urlsplit

import click

from config.cities import resolve_city_name
from config.exceptions import SettingsError
from config.settings import Settings, load_settings
from fleet.db.engine import check_database
from fleet.exceptions import Unreachable

#: How long a start waits for Redis to answer.
REDIS_CHECK_TIMEOUT_S = 3.0


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


def reachable_or_exit(settings: Settings, *, database: bool = True, redis: bool = True) -> None:
    """Stop the start with one line saying what to check when the database (or, if
    ``REDIS_URL`` is set, Redis) does not answer, instead of a traceback later."""
    if database:
        try:
            check_database(settings.database_url)
        except Unreachable as exc:
            what = "its folder can be written" if settings.uses_sqlite else "the server runs"
            msg = f"{exc} (check DATABASE_URL and that {what})"
            raise click.ClickException(msg) from None
    if redis and settings.redis_url is not None:
        _check_redis(settings.redis_url)


def _check_redis(url: str) -> None:
    from redis.exceptions import RedisError

    from dispatch.queue.connection import connect

    try:
        connection = connect(url, timeout_s=REDIS_CHECK_TIMEOUT_S)
        connection.ping()
        connection.close()
    except (RedisError, ValueError) as exc:
        reason = " ".join(str(exc).strip().splitlines()[:1]) or type(exc).__name__
        msg = (
            f"cannot reach Redis at {masked_redis_url(url)}: {reason} "
            "(check REDIS_URL and that the server is running)"
        )
        raise click.ClickException(msg) from None


def masked_redis_url(url: str) -> str:
    """``url`` with its password (if any) replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"{user}:***@{host}").geturl()
