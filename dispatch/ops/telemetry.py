"""Telemetry ingest (issue 17, docs/telemetry.md): an operator's vehicle-data gateway posts
batches of samples (position, charge, speed, vertical vibration, noise), stored all or nothing.

A batch is read once (which of its vehicles are the operator's, the operator's zones), checked
whole without a lock, then written as one multi-row insert in one short transaction. The first
sample that cannot be stored refuses the batch (:class:`SampleRefused` naming it), so a gateway
fixes or drops that sample and sends the batch again. Samples are idempotent by their vehicle
and the gateway's sample id: a replayed batch, or two copies of it at the same moment, stores
each sample once and answers the same counts.

A sample names its vehicle by the platform's id or by the operator's code (the one printed on the
vehicle, which a gateway knows): codes are resolved with the ids in the batch's one read, within
the gateway's operator only, and a sample is keyed by the vehicle it resolves to, so a replay
that names by code what was first sent by id stores nothing twice. :func:`vehicle_codes` pages
through the operator's ids and codes for a gateway that maps the one to the other.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from dispatch.exceptions import SampleRefused
from fleet.clock import Clock
from fleet.db import telemetry as telemetry_db
from fleet.db.engine import Engine, reading, writing
from fleet.db.sites import list_zones
from fleet.exceptions import InvalidValue, OutsideServiceArea
from fleet.geo import Position
from fleet.identity import User
from fleet.records import TelemetrySample
from fleet.zones import Zone, check_in_service_area

#: The most samples one request carries (a gateway sends more as further requests).
MAX_SAMPLES = 1000
#: How far ahead of the platform's clock a sample may lie (the gateway's clock drifts a little).
MAX_AHEAD = timedelta(seconds=60)
#: How old a sample may be (a gateway that was offline sends its backlog within this).
MAX_AGE = timedelta(days=7)
#: Ceilings no sensor reading reaches: a vibration RMS of 100 g (MEMS accelerometers saturate at
#: 16 g), a speed of 500 km/h, a sound level of 250 dB (194 dB is the loudest undistorted sound in
#: air). Above them a unit is broken; unbounded, 1e308 overflowed the index's median to infinity.
MAX_VIBRATION_MS2 = 1000.0
MAX_SPEED_KPH = 500.0
MAX_NOISE_DB = 250.0


@dataclass(frozen=True, slots=True)
class Ingested:
    """What a batch did: samples stored now, and samples stored before (by an earlier copy)."""

    accepted: int
    duplicates: int

    def __post_init__(self) -> None:
        if self.accepted < 0 or self.duplicates < 0:
            msg = "a batch's counts are not negative"
            raise InvalidValue(msg)


def ingest(
    engine: Engine, clock: Clock, gateway: User, batch: Sequence[Mapping[str, Any]]
) -> Ingested:
    """Store the samples of ``batch`` (each a mapping of the API's sample fields, naming its
    vehicle by ``vehicle_id`` or by the operator's ``vehicle_code``) for the operator of
    ``gateway``, all or none.

    Raises
    ------
    SampleRefused
        A sample is malformed (or names its vehicle both ways, or neither), of a vehicle that is
        not the operator's (or no vehicle), too far ahead of the clock or too old, outside the
        service area, or repeats an earlier sample of the batch; nothing is stored.
    """
    if len(batch) > MAX_SAMPLES:
        msg = f"a batch holds at most {MAX_SAMPLES} samples, got {len(batch)}: send the rest next"
        raise InvalidValue(msg)
    named = [_named(i, raw) for i, raw in enumerate(batch)]
    with reading(engine) as conn:
        ids = {ref for by, ref, _s in named if by == "id"}
        codes = {ref for by, ref, _s in named if by == "code"}
        # one query for the batch, whichever way its samples name their vehicles
        known = telemetry_db.operator_vehicles(conn, gateway.operator_id, ids, codes)
        zones = list_zones(conn, gateway.operator_id)
    by_code = {code: vehicle_id for vehicle_id, code in known.items()}
    _check(named, known.keys(), by_code, zones, clock.now())
    samples = [replace(s, vehicle_id=by_code[ref]) if by == "code" else s for by, ref, s in named]
    with writing(engine) as conn:
        accepted = telemetry_db.insert_samples(conn, samples)
    return Ingested(accepted=accepted, duplicates=len(samples) - accepted)


def vehicle_codes(engine: Engine, user: User, *, limit: int, offset: int) -> telemetry_db.CodePage:
    """A page of ``user``'s operator's vehicles as ``(id, code)``, by code."""
    with reading(engine) as conn:
        return telemetry_db.vehicle_codes(conn, user.operator_id, limit=limit, offset=offset)


def _refused(index: int, sample_id: str | None, problem: str, why: str) -> SampleRefused:
    msg = f"samples[{index}] (id {sample_id!r}) was refused, so no sample was stored: {why}"
    return SampleRefused(msg, index, sample_id or "", problem)


#: How a sample names its vehicle (``"id"`` or ``"code"``), the name, and the sample (whose
#: ``vehicle_id`` holds the code until the code is resolved).
Named = tuple[str, str, TelemetrySample]


def _named(index: int, raw: Mapping[str, Any]) -> Named:
    named = [(by, raw[f"vehicle_{by}"]) for by in ("id", "code") if raw.get(f"vehicle_{by}")]
    if len(named) != 1 or not isinstance(named[0][1], str):
        why = "name its vehicle by exactly one of vehicle_id and vehicle_code, a string"
        raise _refused(index, raw.get("id"), "invalid_value", why)
    by, ref = named[0]
    try:
        sample = TelemetrySample(
            vehicle_id=ref,
            at=raw["at"],
            position=Position(raw["lat"], raw["lon"]),
            soc_pct=raw["soc_pct"],
            speed_kph=raw["speed_kph"],
            sample_id=raw["id"],
            vibration_rms_ms2=raw.get("vibration_rms_ms2"),
            noise_db=raw.get("noise_db"),
        )
    except (InvalidValue, KeyError, TypeError) as exc:
        raise _refused(index, raw.get("id"), "invalid_value", str(exc)) from None
    return by, ref, sample


def _check(
    named: Sequence[Named],
    known: Collection[str],
    by_code: Mapping[str, str],
    zones: Sequence[Zone],
    now: datetime,
) -> None:
    """Refuse the batch at its first sample that cannot be stored."""
    seen: dict[tuple[str, str | None], int] = {}
    for i, (by, ref, s) in enumerate(named):
        vehicle_id = by_code.get(ref) if by == "code" else (ref if ref in known else None)
        if vehicle_id is not None:
            # a vehicle named by id in one sample and by code in another is the same vehicle
            key = (vehicle_id, s.sample_id)
            if key in seen:
                why = f"it repeats the vehicle and id of samples[{seen[key]}]"
                raise _refused(i, s.sample_id, "duplicate_id", why)
            seen[key] = i
        else:
            what = f"code {ref!r}" if by == "code" else repr(ref)
            why = f"no vehicle {what} of your operator"
            raise _refused(i, s.sample_id, "unknown_vehicle", why)
        if s.at > now + MAX_AHEAD:
            ahead_s = int(MAX_AHEAD.total_seconds())
            why = f"its time {s.at.isoformat()} lies more than {ahead_s} s ahead of the clock"
            raise _refused(i, s.sample_id, "in_future", f"{why} ({now.isoformat()})")
        if s.at < now - MAX_AGE:
            why = f"its time {s.at.isoformat()} is older than {MAX_AGE.days} days"
            raise _refused(i, s.sample_id, "too_old", why)
        try:
            check_in_service_area(zones, s.position)
        except OutsideServiceArea as exc:
            raise _refused(i, s.sample_id, "outside_service_area", str(exc)) from None
