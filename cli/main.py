"""``fleetops``: init-db, seed-demo, graph, solve-instance, web, worker, scheduler, run."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import click
import networkx as nx
from tqdm import tqdm

from cli.common import city_name, reachable_or_exit, settings_or_exit
from cli.forecast import forecast
from cli.graph import graph
from cli.history import history
from cli.opendata import opendata
from cli.road_surface import road_surface
from config.cities import load_city
from config.exceptions import SettingsError
from config.settings import Settings
from dispatch.platform import Platform
from fleet.city import CityProfile
from fleet.db.engine import make_engine, reading, writing
from fleet.db.migrate import upgrade
from fleet.exceptions import FleetError
from routing.city import CityLayout, lay_out
from routing.exceptions import GraphBuildError
from routing.load import load_mode_graph, synthetic_osm_path
from routing.modes import Mode
from routing.osm import read_bounds

#: The worker's niceness (0 is the web's): see `worker`.
WORKER_NICE = 10
#: Days of generated ride history the demo starts with, so demand forecasts exist at once.
DEMO_HISTORY_DAYS = 28


@dataclass(frozen=True, slots=True)
class PreparedCity:
    """A city's profile, its road graphs and its completed layout."""

    profile: CityProfile
    graphs: dict[Mode, nx.MultiDiGraph]
    layout: CityLayout


def prepare_city(settings: Settings, name: str) -> PreparedCity:
    """Load the profile, build (or reload) its road graphs and lay out its sites."""
    profile = load_city(name, settings.data_dir)
    graphs = {}
    modes = [Mode.CAR, Mode.MOPED, Mode.BIKE]
    for mode in tqdm(modes, desc=f"road graphs of {name}", unit="mode", file=sys.stderr):
        graphs[mode], _report = load_mode_graph(profile.source, mode, settings.cache_dir)
    bounds = None
    if profile.source.file is not None:
        bounds = read_bounds(profile.source.file)
    elif profile.source.synthetic is not None:
        bounds = read_bounds(synthetic_osm_path(profile.source, settings.cache_dir))
    layout = lay_out(
        profile, graphs[Mode.CAR], bounds, max_snap_distance_m=settings.max_snap_distance_m
    )
    return PreparedCity(profile, graphs, layout)


def _progress(iterable: Iterable[int], label: str) -> Iterable[int]:
    return tqdm(iterable, desc=label, unit="vehicle", file=sys.stderr)


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log at INFO level.")
def cli(verbose: bool) -> None:
    """fleetops: operations platform for shared electric fleets."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@cli.command("init-db")
def init_db() -> None:
    """Create or migrate the database schema to the newest version."""
    settings = settings_or_exit()
    reachable_or_exit(settings, redis=False)
    upgrade(make_engine(settings.database_url))
    click.echo(f"database at head: {settings.database_url}")


def seed_if_empty(
    settings: Settings, city: str, vehicles: int, seed: int, *, only_if_empty: bool
) -> bool:
    """Seed the demo (in one transaction); returns whether it did."""
    from cli.demo import database_is_empty, seed_demo

    platform = _platform(settings)
    upgrade(platform.engine)
    with reading(platform.engine) as conn:
        empty = database_is_empty(conn)
    if only_if_empty and not empty:
        return False
    prepared = prepare_city(settings, city)
    with writing(platform.engine) as conn:
        summary = seed_demo(
            conn,
            profile=prepared.profile,
            layout=prepared.layout,
            graphs=prepared.graphs,
            n_vehicles=vehicles,
            clock=platform.clock,
            ids=platform.ids,
            catalog=platform.catalog,
            seed=seed,
            progress=_progress,
            history_days=DEMO_HISTORY_DAYS,
        )
    parts = ", ".join(f"{n} {c}" for c, n in summary.vehicles.items())
    click.echo(
        f"seeded {prepared.profile.title}: {parts}; {summary.packs} packs; {summary.users} users; "
        f"{summary.history_rides} rides of generated history",
        err=True,
    )
    return True


def _platform(settings: Settings) -> Platform:
    """The platform of these settings (the composition root), or the CLI's error."""
    from bootstrap import build_platform

    try:
        return build_platform(settings)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


@cli.command("seed-demo")
@click.option("--city", default=None, help="City profile (default: FLEETOPS_CITY or automatic).")
@click.option("--vehicles", default=200, show_default=True, type=click.IntRange(4, 100_000))
@click.option("--seed", default=0, show_default=True, type=int)
def seed_demo_command(city: str | None, vehicles: int, seed: int) -> None:
    """Create a demo operator, fleet, sites and people on a city's roads."""
    settings = settings_or_exit()
    reachable_or_exit(settings, redis=False)
    name = city_name(settings, city)
    try:
        seeded = seed_if_empty(settings, name, vehicles, seed, only_if_empty=True)
    except (FleetError, GraphBuildError) as exc:
        raise click.ClickException(str(exc)) from None
    if not seeded:
        msg = (
            "the database already holds a fleet: the demo seeds an empty database (point "
            "DATABASE_URL at a new one, or remove the SQLite file under the var dir)"
        )
        raise click.ClickException(msg)
    from cli.demo import DEMO_PASSWORD

    click.echo(f"demo logins use the password {DEMO_PASSWORD!r}")


def _redis_url(settings: Settings) -> str:
    """The queue's Redis, which the worker and the scheduler cannot start without."""
    if settings.redis_url is None:
        msg = "REDIS_URL is unset: use `fleetops run` (starts an embedded Redis) or set REDIS_URL"
        raise click.ClickException(msg)
    return settings.redis_url


@cli.command()
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(burst: bool) -> None:
    """Run an RQ worker on the platform's queues."""
    import os

    from dispatch.queue.connection import connect
    from dispatch.queue.worker import PlatformWorker

    settings = settings_or_exit()
    redis_url = _redis_url(settings)
    reachable_or_exit(settings)
    platform = _platform(settings)
    # Re-plans search for seconds at full speed: on a small machine they must yield the CPU to
    # the web's requests (a rider's booking), never the other way round.
    os.nice(WORKER_NICE)
    # Loaded once here, the couriers' road network is shared by every forked work horse
    # instead of being read again by each re-plan.
    platform.routers.router(Mode.MOPED)
    # The worker also runs rq's scheduler, which enqueues retries (with their back-off) and
    # delayed jobs when they fall due; without it a retry waits forever.
    PlatformWorker(platform, connect(redis_url)).work(
        burst=burst, logging_level="WARNING", with_scheduler=True
    )


@cli.command()
@click.option(
    "--once", is_flag=True, help="Enqueue every periodic job once and exit (for cron or a check)."
)
def scheduler(once: bool) -> None:
    """Put the periodic jobs on the queue: hold expiry, late EV returns, couriers' re-plans."""
    from rq.cron import CronScheduler

    from bootstrap import schedule_rules
    from bootstrap.ngsi import ngsi_periodic
    from dispatch.queue.connection import connect
    from dispatch.queue.schedule import periodic_jobs

    settings = settings_or_exit()
    redis_url = _redis_url(settings)
    reachable_or_exit(settings, database=False)
    connection = connect(redis_url)
    cron = CronScheduler(connection, logging_level="WARNING")
    for job in periodic_jobs(schedule_rules(settings)) + ngsi_periodic(settings):
        cron.register(job.func, job.queue_name, args=job.args, interval=job.every_s, name=job.name)
        click.echo(f"every {job.every_s} s: {job.name} on the {job.queue_name} queue", err=True)
    if once:
        cron.enqueue_jobs()
        return
    from dispatch.queue.health import beat_in_background

    beat_in_background(connection)
    cron.start()


@cli.command()
def web() -> None:
    """Serve the web app with gunicorn on HOST:PORT."""
    import os

    from cli.graph import build_missing_networks

    settings = settings_or_exit()
    port_free_or_exit(settings.host, settings.port)
    reachable_or_exit(settings)
    # Each gunicorn worker loads every network before it serves (web.wsgi); build what the cache
    # lacks once here, not in every worker at once, where it could outlast gunicorn's timeout.
    build_missing_networks(settings)
    bind = f"{settings.host}:{settings.port}"
    os.execvp(
        sys.executable,
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(settings.web_workers),
            # threads: a request waiting on the database or a planning turn does not hold up
            # a rider's booking behind it
            "--threads",
            str(settings.web_threads),
            "--bind",
            bind,
            "--access-logfile",
            "-",
            # tracking codes are secrets: the access log writes them masked
            "--logger-class",
            "web.access_log.TrackingCodesMasked",
            "--graceful-timeout",
            "5",
            # one control socket per user by default: two platforms on a machine would clash
            "--no-control-socket",
            "web.wsgi:build()",
        ],
    )


def port_free_or_exit(host: str, port: int) -> None:
    """Exit with a message when another program listens on HOST:PORT: gunicorn would try it
    for five seconds and then stop with a traceback."""
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            click.echo(
                f"fleetops web: cannot listen on {host}:{port} ({exc.strerror}): another "
                "program uses the port; stop it or set PORT to another",
                err=True,
            )
            sys.exit(1)


@cli.command("solve-instance")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--time-limit",
    "time_limit_s",
    default=5.0,
    show_default=True,
    type=click.FloatRange(0.1, 3600),
    help="Search time in seconds.",
)
def solve_instance_command(path: Path, time_limit_s: float) -> None:
    """Solve a Solomon (VRPTW) or Li & Lim (PDPTW) instance file and print the plan as JSON."""
    import json

    from routing.instances import InstanceError, read_instance
    from routing.vrp import SolveParams, solve_instance
    from routing.vrp_check import check

    try:
        instance = read_instance(path)
    except InstanceError as exc:
        raise click.ClickException(str(exc)) from None
    plan = solve_instance(instance, SolveParams(time_limit_s=time_limit_s))
    if plan is None:
        msg = f"no solution found for {instance.name} within {time_limit_s:g} s"
        raise click.ClickException(msg)
    verdict = check(instance, plan.routes)
    click.echo(
        json.dumps(
            {
                "instance": instance.name,
                "routes": [[instance.ids[node] for node in route] for route in plan.routes],
                "vehicles": verdict.vehicles,
                "distance": round(verdict.distance, 4),
                "feasible": verdict.feasible,
                "engine": plan.engine,
                **({"problems": verdict.problems} if verdict.problems else {}),
            }
        )
    )
    if not verdict.feasible:
        sys.exit(1)


@cli.command()
@click.option("--vehicles", default=200, show_default=True, type=click.IntRange(4, 100_000))
def run(vehicles: int) -> None:
    """Migrate, seed the demo if the database is empty, start Redis if needed, and run the web
    app and a worker together until Ctrl-C."""
    from cli.graph import build_missing_networks
    from cli.supervisor import run_platform

    settings = settings_or_exit()
    reachable_or_exit(settings)
    name = city_name(settings, None)
    try:
        seed_if_empty(settings, name, vehicles, 0, only_if_empty=True)
    except (FleetError, GraphBuildError) as exc:
        raise click.ClickException(str(exc)) from None
    # Here, not only in the web child: a child's first seconds are how the supervisor tells a
    # start that fails (a taken port) from one that runs, and a build would blur them.
    build_missing_networks(settings)
    sys.exit(run_platform(settings))


cli.add_command(graph)
cli.add_command(forecast)
cli.add_command(history)
cli.add_command(opendata)
cli.add_command(road_surface)


def main() -> None:
    """Console-script entry point."""
    cli()


if __name__ == "__main__":
    main()
