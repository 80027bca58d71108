"""``fleetops history import``: an operator's past rides from a CSV file, stored as ride history
(source ``imported``) that forecasts learn from and that never counts as bookings."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cli.common import settings_or_exit
from config.exceptions import SettingsError
from dispatch.forecast.hours import BadTable
from dispatch.forecast.rides_table import read_rides
from dispatch.ops.demand import import_history
from fleet.db.engine import reading
from fleet.db.identity import list_operators
from fleet.exceptions import InvalidValue

USAGE_ERROR = 2


@click.group()
def history() -> None:
    """Ride history for demand forecasts."""


def _fail(message: str) -> None:
    click.echo(f"fleetops history import: {message}", err=True)
    sys.exit(USAGE_ERROR)


@history.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--operator", "operator_name", default=None, help="name or id (default: the only one)"
)
def import_command(file: Path, operator_name: str | None) -> None:
    """Store the rides of FILE (CSV with the columns started_at, ended_at, start_lat,
    start_lon, end_lat, end_lon; times ISO 8601 with an offset) as an operator's history, all
    or none."""
    from bootstrap import build_platform

    if not file.is_file():
        _fail(f"{file}: no such file")
    try:
        with file.open(encoding="utf-8", newline="") as lines:
            rides = read_rides(lines, str(file))
    except BadTable as exc:
        _fail(str(exc))
    except UnicodeDecodeError:
        _fail(f"{file}: not UTF-8 text")
    settings = settings_or_exit()
    try:
        platform = build_platform(settings)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    with reading(platform.engine) as conn:
        operators = list_operators(conn)
    chosen = [o for o in operators if operator_name in (None, o.id, o.name)]
    if len(chosen) != 1:
        names = ", ".join(repr(o.name) for o in operators) or "none"
        _fail(f"name one operator with --operator (there are: {names})")
    try:
        stored, known = import_history(platform.demand, chosen[0].id, rides)
    except InvalidValue as exc:
        _fail(f"{file}: {exc}; nothing was stored")
    skipped = f" ({known} stored already were left out)" if known else ""
    click.echo(f"stored {stored} rides of history for {chosen[0].name}{skipped}")
