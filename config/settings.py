"""The typed settings: defaults (``config/defaults.toml``) → optional TOML file → environment.

A bad value fails here, at start, with the name of the key that holds it.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from config.exceptions import SettingsError
from config.open_data import OPEN_DATA_ENV, OpenDataSettings, read_open_data
from config.secret_key import shared_secret_key
from fleet.clock import Clock, FixedClock, SystemClock

#: The project root: relative paths in the defaults are resolved against it, so
#: ``data_dir = "../shared/data"`` means the folder beside the clone whatever the working directory.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: Environment variable → (section, key). Documented in the README's configuration table.
ENV_KEYS: dict[str, tuple[str, str]] = {
    "DATABASE_URL": ("storage", "database_url"),
    "REDIS_URL": ("storage", "redis_url"),
    "FLEETOPS_DATA_DIR": ("storage", "data_dir"),
    "FLEETOPS_VAR_DIR": ("storage", "var_dir"),
    "FLEETOPS_CACHE_DIR": ("storage", "cache_dir"),
    "FLEETOPS_PROCESS_STATE": ("storage", "process_state"),
    "FLEETOPS_CITY": ("city", "name"),
    "FLEETOPS_MAX_SNAP_DISTANCE_M": ("city", "max_snap_distance_m"),
    "SECRET_KEY": ("auth", "secret_key"),
    "FLEETOPS_TOKEN_TTL_S": ("auth", "token_ttl_s"),
    "FLEETOPS_SECURE_COOKIES": ("auth", "secure_cookies"),
    "HOST": ("server", "host"),
    "PORT": ("server", "port"),
    "FLEETOPS_WEB_WORKERS": ("server", "web_workers"),
    "FLEETOPS_WEB_THREADS": ("server", "web_threads"),
    "FLEETOPS_BOOKING_HOLD_S": ("booking", "hold_s"),
    "FLEETOPS_WALK_LIMIT_S": ("booking", "walk_limit_s"),
    "FLEETOPS_FIXED_TIME": ("server", "fixed_time"),
    "FLEETOPS_PUBLIC_URL": ("server", "public_url"),
    "FLEETOPS_REOPTIMISE_EVERY_S": ("schedule", "reoptimise_every_s"),
    "FLEETOPS_REOPTIMISE_AFTER_JOBS": ("schedule", "reoptimise_after_jobs"),
    **{name: ("open_data", key) for name, key in OPEN_DATA_ENV.items()},
}


#: The [schedule] settings, all whole numbers (seconds or counts).
SCHEDULE_INTS = (
    "reoptimise_every_s",
    "reoptimise_after_jobs",
    "reoptimise_time_limit_s",
    "reoptimise_solution_limit",
    "expire_holds_every_s",
    "late_returns_every_s",
    "forecast_every_s",
    "crew_plans_every_s",
    "crew_plan_time_limit_s",
    "road_surface_every_s",
)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the platform is configured with. Build with :func:`load_settings`.

    Paths are absolute. ``database_url`` is always set (SQLite under ``var_dir`` by default);
    ``redis_url`` is ``None`` when an embedded Redis should be started.
    """

    database_url: str
    redis_url: str | None
    data_dir: Path
    var_dir: Path
    cache_dir: Path
    process_state: Path | None
    city: str | None
    max_snap_distance_m: int
    secret_key: str
    token_ttl_s: int
    host: str
    port: int
    web_workers: int
    web_threads: int
    page_size_default: int
    page_size_max: int
    booking_hold_s: int
    walk_limit_s: int
    reserve_pct: int
    min_range_m: int
    reoptimise_every_s: int
    reoptimise_after_jobs: int
    reoptimise_time_limit_s: int
    #: Improving solutions a re-plan stops after (0: none, the time limit alone): a limit that
    #: does not depend on the machine's speed, for simulations that must replay exactly.
    reoptimise_solution_limit: int
    expire_holds_every_s: int
    late_returns_every_s: int
    forecast_every_s: int
    #: How often the scheduler proposes battery-swap and rebalancing plans for crews on shift.
    crew_plans_every_s: int = 1800
    #: OR-Tools' search time per crew plan.
    crew_plan_time_limit_s: int = 5
    #: How often the scheduler matches new telemetry and refreshes the road-surface index.
    road_surface_every_s: int = 3600
    #: Mark the session cookie Secure (sent over HTTPS only): set it behind TLS.
    secure_cookies: bool = False
    #: Wrong passwords sign-in takes per username / per client address within the window.
    max_failures_per_username: int = 10
    max_failures_per_address: int = 100
    failure_window_s: int = 900
    #: A frozen "now" (ISO 8601 with offset) for simulations and tests; ``None``: the real clock.
    fixed_time: str | None = None
    #: Where people reach the platform (``https://fleet.example.org``), for the absolute links
    #: in answers (tracking pages); ``None``: the host each request came to.
    public_url: str | None = None
    #: The NGSI-LD push to the city's context broker (``[open_data]``, config/open_data.py).
    open_data: OpenDataSettings = field(default_factory=OpenDataSettings)
    #: Where each value came from (key → "defaults" / file path / environment variable).
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        _positive("server.port", self.port, upper=65535)
        _positive("server.web_workers", self.web_workers)
        _positive("server.web_threads", self.web_threads)
        _positive("city.max_snap_distance_m", self.max_snap_distance_m)
        _positive("auth.token_ttl_s", self.token_ttl_s)
        _positive("auth.max_failures_per_username", self.max_failures_per_username)
        _positive("auth.max_failures_per_address", self.max_failures_per_address)
        _positive("auth.failure_window_s", self.failure_window_s)
        _positive("api.page_size_default", self.page_size_default)
        _positive("api.page_size_max", self.page_size_max)
        _positive("booking.hold_s", self.booking_hold_s)
        _positive("booking.walk_limit_s", self.walk_limit_s)
        _positive("booking.min_range_m", self.min_range_m)
        for name in SCHEDULE_INTS:
            if name != "reoptimise_solution_limit":  # 0 means none: checked below
                _positive(f"schedule.{name}", getattr(self, name))
        if self.reoptimise_solution_limit < 0:
            msg = (
                "schedule.reoptimise_solution_limit must be 0 (none) or positive, got "
                f"{self.reoptimise_solution_limit}"
            )
            raise SettingsError(msg)
        if not 0 <= self.reserve_pct <= 100:
            msg = f"booking.reserve_pct must be within 0–100, got {self.reserve_pct}"
            raise SettingsError(msg)
        if self.page_size_default > self.page_size_max:
            msg = "api.page_size_default must not exceed api.page_size_max"
            raise SettingsError(msg)
        if self.fixed_time is not None:
            try:
                moment = datetime.fromisoformat(self.fixed_time)
            except ValueError:
                moment = None
            if moment is None or moment.tzinfo is None:
                msg = (
                    f"server.fixed_time (FLEETOPS_FIXED_TIME) must be ISO 8601 with an offset, "
                    f"got {self.fixed_time!r}"
                )
                raise SettingsError(msg)
        if self.public_url is not None and not self.public_url.startswith(("http://", "https://")):
            msg = (
                "server.public_url (FLEETOPS_PUBLIC_URL) must start with http:// or https://, "
                f"got {self.public_url!r}"
            )
            raise SettingsError(msg)
        if "://" not in self.database_url:
            msg = f"storage.database_url (DATABASE_URL) is not a URL: {self.database_url!r}"
            raise SettingsError(msg)
        if self.redis_url is not None and not self.redis_url.startswith(
            ("redis://", "rediss://", "unix://")
        ):
            msg = (
                f"storage.redis_url (REDIS_URL) must start with redis://, rediss:// or unix://, "
                f"got {self.redis_url!r}"
            )
            raise SettingsError(msg)

    def clock(self) -> Clock:
        """The clock entry points hand down: frozen at ``fixed_time``, else the real one."""
        if self.fixed_time is None:
            return SystemClock()
        return FixedClock(datetime.fromisoformat(self.fixed_time))

    @property
    def uses_sqlite(self) -> bool:
        """Whether the database is SQLite (WAL mode, file under ``var_dir``)."""
        return self.database_url.startswith("sqlite")

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with some values changed (tests build their own settings this way)."""
        return replace(self, **changes)


def _positive(key: str, value: int, *, upper: int | None = None) -> None:
    if value <= 0 or (upper is not None and value > upper):
        bound = f" and at most {upper}" if upper is not None else ""
        msg = f"{key} must be a positive integer{bound}, got {value}"
        raise SettingsError(msg)


def _read_defaults() -> dict[str, dict[str, Any]]:
    text = resources.files("config").joinpath("defaults.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _read_file(path: Path) -> dict[str, dict[str, Any]]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        msg = f"FLEETOPS_CONFIG names {path}, which does not exist"
        raise SettingsError(msg) from None
    except tomllib.TOMLDecodeError as exc:
        msg = f"FLEETOPS_CONFIG file {path} is not valid TOML: {exc}"
        raise SettingsError(msg) from None


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def _coerce(key: str, value: Any, kind: type) -> Any:
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        msg = f"{key} must be true or false, got {value!r}"
        raise SettingsError(msg)
    if kind is int:
        if isinstance(value, bool):
            msg = f"{key} must be an integer, got {value!r}"
            raise SettingsError(msg)
        try:
            return int(value)
        except (TypeError, ValueError):
            msg = f"{key} must be an integer, got {value!r}"
            raise SettingsError(msg) from None
    if not isinstance(value, str):
        msg = f"{key} must be a string, got {value!r}"
        raise SettingsError(msg)
    return value


def _layers(
    env: Mapping[str, str], config_file: Path | None, cwd: Path
) -> tuple[dict[str, dict[str, Any]], dict[str, str], dict[str, Path]]:
    """The raw values (defaults, then the file, then the environment), where each came from,
    and the folder its relative paths are resolved against."""
    values = _read_defaults()
    sources: dict[str, str] = {f"{s}.{k}": "defaults" for s, sec in values.items() for k in sec}
    base_for: dict[str, Path] = {k: PROJECT_ROOT for k in sources}
    if config_file is not None:
        for section, items in _read_file(config_file).items():
            if section not in values or not isinstance(items, dict):
                msg = f"unknown section [{section}] in {config_file}"
                raise SettingsError(msg)
            for key, value in items.items():
                if key not in values[section]:
                    msg = f"unknown key {section}.{key} in {config_file}"
                    raise SettingsError(msg)
                values[section][key] = value
                sources[f"{section}.{key}"] = str(config_file)
                base_for[f"{section}.{key}"] = config_file.resolve().parent
    for name, (section, key) in ENV_KEYS.items():
        if name in env:
            values[section][key] = env[name]
            sources[f"{section}.{key}"] = name
            base_for[f"{section}.{key}"] = cwd
    return values, sources, base_for


def _shared_key(var_dir: Path, sources: dict[str, str]) -> str:
    """The session key kept in ``var_dir`` (``config.secret_key``), named as its source."""
    key, key_file = shared_secret_key(var_dir)
    sources["auth.secret_key"] = str(key_file)
    return key


def load_settings(
    env: Mapping[str, str] | None = None,
    *,
    config_file: Path | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Build :class:`Settings` from the defaults, an optional TOML file and the environment.

    Parameters
    ----------
    env
        The environment to read (``os.environ`` when ``None``).
    config_file
        A TOML file with the same sections as the defaults; ``FLEETOPS_CONFIG`` names one too.
    cwd
        Directory that relative paths from the file or the environment are resolved against.

    Raises
    ------
    SettingsError
        Naming the key whose value is missing, unknown or malformed.
    """
    env = os.environ if env is None else env
    if config_file is None and env.get("FLEETOPS_CONFIG"):
        config_file = Path(env["FLEETOPS_CONFIG"])
    values, sources, base_for = _layers(env, config_file, Path.cwd() if cwd is None else cwd)

    def get(section: str, key: str, kind: type) -> Any:
        dotted = f"{section}.{key}"
        where = sources[dotted]
        label = dotted if where in ("defaults",) else f"{dotted} (from {where})"
        return _coerce(label, values[section][key], kind)

    def path(section: str, key: str) -> Path:
        raw = Path(get(section, key, str)).expanduser()
        return raw if raw.is_absolute() else (base_for[f"{section}.{key}"] / raw).resolve()

    var_dir = path("storage", "var_dir")
    database_url = get("storage", "database_url", str).strip()
    if not database_url:
        database_url = f"sqlite:///{var_dir / 'fleetops.db'}"
    redis_url = get("storage", "redis_url", str).strip() or None
    secret_key = get("auth", "secret_key", str) or _shared_key(var_dir, sources)
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        data_dir=path("storage", "data_dir"),
        var_dir=var_dir,
        cache_dir=path("storage", "cache_dir"),
        process_state=path("storage", "process_state")
        if get("storage", "process_state", str).strip()
        else None,
        city=get("city", "name", str).strip() or None,
        max_snap_distance_m=get("city", "max_snap_distance_m", int),
        secret_key=secret_key,
        token_ttl_s=get("auth", "token_ttl_s", int),
        secure_cookies=get("auth", "secure_cookies", bool),
        max_failures_per_username=get("auth", "max_failures_per_username", int),
        max_failures_per_address=get("auth", "max_failures_per_address", int),
        failure_window_s=get("auth", "failure_window_s", int),
        host=get("server", "host", str),
        port=get("server", "port", int),
        web_workers=get("server", "web_workers", int),
        web_threads=get("server", "web_threads", int),
        page_size_default=get("api", "page_size_default", int),
        page_size_max=get("api", "page_size_max", int),
        booking_hold_s=get("booking", "hold_s", int),
        walk_limit_s=get("booking", "walk_limit_s", int),
        reserve_pct=get("booking", "reserve_pct", int),
        min_range_m=get("booking", "min_range_m", int),
        **{name: get("schedule", name, int) for name in SCHEDULE_INTS},
        fixed_time=get("server", "fixed_time", str).strip() or None,
        public_url=get("server", "public_url", str).strip().rstrip("/") or None,
        open_data=read_open_data(get),
        sources=sources,
    )
