"""``fleetops opendata``: the open data as files and pushes.

- ``fleetops opendata ngsi-ld [--operator NAME] [--type T] [--out FILE]``: an operator's NGSI-LD
  entities as one JSON-LD array (``application/ld+json``), to a file or stdout;
- ``fleetops opendata ngsi-ld-push [--operator NAME | --all]``: put the upsert of the entities
  to ``open_data.ngsi_broker_url`` on the queue (a worker runs it, with its retries).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import click

from cli.common import reachable_or_exit, settings_or_exit
from config.exceptions import SettingsError
from config.settings import Settings
from fleet.identity import Operator


@click.group()
def opendata() -> None:
    """Open data: NGSI-LD entities for the city data hub."""


def no_redis_message(var_dir: Path) -> str:
    """What to do when ``REDIS_URL`` is unset: under ``fleetops run`` the queue is its embedded
    Redis, on a port of its choosing that it keeps in ``var/redis/port``, so name that URL."""
    from cli.redis_server import EmbeddedRedis

    msg = "REDIS_URL is unset: the push runs on the queue (a `fleetops worker` takes it)"
    try:
        port = int(EmbeddedRedis(var_dir / "redis").port_file.read_text().strip())
    except (OSError, ValueError):
        return f"{msg}; set REDIS_URL to the Redis your worker reads"
    return (
        f"{msg}; if `fleetops run` is running on {var_dir}, its embedded Redis is "
        f"REDIS_URL=redis://127.0.0.1:{port}/0 (or set FLEETOPS_NGSI_BROKER_URL before "
        "`fleetops run`: its scheduler then pushes every open_data.ngsi_push_every_s)"
    )


def _operators(settings: Settings, name: str | None, every: bool) -> list[Operator]:
    """The operators a command is about: the one named, all with ``--all``, or the only one."""
    from fleet.db.engine import make_engine, reading
    from fleet.db.identity import list_operators

    engine = make_engine(settings.database_url)
    with reading(engine) as conn:
        known = list_operators(conn)
    engine.dispose()
    names = ", ".join(repr(op.name) for op in known) or "none (seed one: fleetops seed-demo)"
    if every:
        return known
    if name is None and len(known) == 1:
        return known
    chosen = [op for op in known if op.name == name]
    if not chosen:
        said = "name one with --operator" if name is None else f"no operator named {name!r}"
        msg = f"{said}; operators: {names}"
        raise click.UsageError(msg)
    return chosen


def _write(path: Path, text: str) -> None:
    """Write ``text`` beside ``path``, then move it over: a failure leaves no half file."""
    if path.is_dir() or not path.parent.is_dir():
        msg = f"{path}: name a file in a folder that exists"
        raise click.UsageError(msg)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        msg = f"cannot write {path}: {exc.strerror}"
        raise click.ClickException(msg) from None


@opendata.command("ngsi-ld")
@click.option("--operator", "operator_name", default=None, help="The operator's name.")
@click.option(
    "--type",
    "types",
    multiple=True,
    help="Only entities of this type (Vehicle, BikeHireDockingStation, BatterySwapStation, "
    "GeofencingZone, Operator, RoadSegment); may be repeated.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, allow_dash=True),
    default="-",
    show_default=True,
    help="The file to write (- for stdout).",
)
def ngsi_ld(operator_name: str | None, types: tuple[str, ...], out: Path) -> None:
    """Write an operator's NGSI-LD entities as a JSON-LD array (normalized form)."""
    from bootstrap import build_platform
    from bootstrap.ngsi import ngsi_contexts
    from dispatch.opendata.ngsi_export import export_entities
    from fleet.exceptions import InvalidValue

    settings = settings_or_exit()
    reachable_or_exit(settings, redis=False)
    (operator,) = _operators(settings, operator_name, every=False)
    try:
        platform = build_platform(settings, replans="none")
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        entities = export_entities(
            platform.engine,
            platform.clock,
            platform.catalog,
            operator.id,
            ngsi_contexts(settings),
            types,
            routers=platform.routers,
            city=platform.city.name,
        )
    except InvalidValue as exc:
        raise click.UsageError(str(exc)) from None
    text = json.dumps(entities, ensure_ascii=False, indent=1) + "\n"
    if str(out) == "-":
        click.echo(text, nl=False)
    else:
        _write(out, text)
        click.echo(f"{len(entities)} entities of {operator.name} in {out}", err=True)


@opendata.command("ngsi-ld-push")
@click.option("--operator", "operator_name", default=None, help="The operator's name.")
@click.option("--all", "every", is_flag=True, help="Push every operator's entities.")
def ngsi_ld_push(operator_name: str | None, every: bool) -> None:
    """Queue the upsert of operators' NGSI-LD entities to the configured context broker."""
    from bootstrap.ngsi import ngsi_broker, ngsi_contexts
    from dispatch.queue.connection import connect
    from dispatch.queue.ngsi_jobs import request_push

    if every and operator_name is not None:
        msg = "name one operator with --operator, or all with --all, not both"
        raise click.UsageError(msg)
    settings = settings_or_exit()
    broker = ngsi_broker(settings)
    if broker is None:
        msg = "no context broker: set open_data.ngsi_broker_url (FLEETOPS_NGSI_BROKER_URL)"
        raise click.UsageError(msg)
    if settings.redis_url is None:
        raise click.UsageError(no_redis_message(settings.var_dir))
    reachable_or_exit(settings)
    connection = connect(settings.redis_url)
    for operator in _operators(settings, operator_name, every):
        jid = request_push(
            connection,
            operator.id,
            broker,
            ngsi_contexts(settings),
            retries=settings.open_data.ngsi_retries,
            retry_interval_s=settings.open_data.ngsi_retry_interval_s,
        )
        click.echo(f"{operator.name}: push {jid} to {broker.url}")
