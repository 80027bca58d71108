"""``fleetops road-surface``: the road-surface index (docs/road-surface.md).

- ``fleetops road-surface refresh``: match the bikes' and kickboards' new telemetry and make the
  index now, in this process, with a progress bar (``--queue``: leave it to a worker instead).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from tqdm import tqdm

from cli.common import reachable_or_exit, settings_or_exit
from config.exceptions import SettingsError


def _no_redis(var_dir: Path) -> str:
    """What to do when ``REDIS_URL`` is unset: name the embedded Redis of ``fleetops run``."""
    from cli.redis_server import EmbeddedRedis

    msg = "REDIS_URL is unset: --queue needs the Redis a worker reads (or refresh here, without it)"
    try:
        port = int(EmbeddedRedis(var_dir / "redis").port_file.read_text().strip())
    except (OSError, ValueError):
        return msg
    return f"{msg}; if `fleetops run` is running on {var_dir}: REDIS_URL=redis://127.0.0.1:{port}/0"


@click.group("road-surface")
def road_surface() -> None:
    """The road-surface index made from the bikes' and kickboards' vibration."""


@road_surface.command("refresh")
@click.option("--queue", "on_queue", is_flag=True, help="Queue it for a worker instead.")
def refresh(on_queue: bool) -> None:
    """Match new telemetry to the bike roads and make the road-surface index afresh."""
    from bootstrap import build_platform
    from dispatch.ops.surface import refresh as refresh_surface

    settings = settings_or_exit()
    if on_queue:
        from dispatch.queue.connection import connect
        from dispatch.queue.surface_jobs import request_refresh

        if settings.redis_url is None:
            raise click.UsageError(_no_redis(settings.var_dir))
        reachable_or_exit(settings)
        job = request_refresh(connect(settings.redis_url))
        click.echo(
            f"road-surface refresh queued: job {job} (a manager follows it at "
            f"GET /api/v1/ops/road-surface/refresh/{job})"
        )
        return
    reachable_or_exit(settings, redis=False)
    try:
        platform = build_platform(settings, replans="none")
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    with tqdm(desc="vehicles matched", unit="vehicle", file=sys.stderr) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        done = refresh_surface(platform.engine, platform.clock, platform.routers, progress=progress)
    click.echo(
        f"{done.matched} samples matched ({done.unmatched} off the roads); index of "
        f"{done.roads} roads ({done.ranked} ranked) from {done.readings} readings"
        + ("; the network changed, every sample was matched again" if done.network_changed else "")
    )
