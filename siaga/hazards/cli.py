"""``flask hazards poll [--feed NAME]`` and ``flask hazards replay FILE [--feed KIND]``.

``poll`` runs one poll of each BMKG feed (or of one) in this process, as the ``feeds``
worker would: each feed is committed on its own, then the deliveries of its alerts are
enqueued. ``replay`` ingests a saved payload (a drill, an after-action review) through the
same ingest; the same file twice changes nothing the second time.

Each new or updated event is printed on one line: its time in the zone of the place it
reaches hardest (its first-ranked impact; else the area of responsibility's zone, as on
the pages) and in UTC, the magnitude or warning level, BMKG's place text, our severity and
what it affects, and its page. The work is in :mod:`siaga.hazards.polling` and
:mod:`siaga.hazards.services`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.parsers import expat

import click
from flask.cli import AppGroup
from sqlalchemy import select

from siaga.core.clihelp import cli_command
from siaga.core.errors import ValidationFailed
from siaga.core.time import format_local
from siaga.extensions import db
from siaga.hazards import bmkg, polling
from siaga.hazards.intensity import roman
from siaga.hazards.models import EventImpact, HazardEvent, HazardKind
from siaga.hazards.places import aor_codes

log = logging.getLogger(__name__)

hazards_cli = AppGroup("hazards", help="Poll BMKG feeds now, or replay a saved BMKG payload.")

CREDIT = "Sumber: BMKG"
#: What ``replay --feed`` accepts: the TEWS feeds, an InaTEWS datagempa.json, one CAP alert
#: file, and ``nowcast`` only to say why an RSS index cannot be replayed.
REPLAY_KINDS = ("autogempa", "gempaterkini", "gempadirasakan", "inatews", "cap", "nowcast")
TEWS_KINDS = ("autogempa", "gempaterkini", "gempadirasakan")
CAP_ALERT = f"{bmkg.CAP_NS['cap']} alert"
NOWCAST_REFUSED = (
    "a nowcast RSS index only links to CAP alert files, which a replay cannot fetch: "
    "replay each saved CAP alert file instead, or run `flask hazards poll --feed nowcast`"
)


# ---------------------------------------------------------------- event lines


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _zone_region(ev: HazardEvent) -> str | None:
    """The region whose zone the event's time is shown in: its first-ranked impact's, else the
    area of responsibility's (what the pages use)."""
    code = db.session.scalar(
        select(EventImpact.region_code)
        .where(EventImpact.event_id == ev.id, EventImpact.region_code.is_not(None))
        .order_by(EventImpact.rank)
        .limit(1)
    )
    aor = aor_codes()
    return code or (aor[0] if aor else None)


def _measure(ev: HazardEvent) -> str:
    magnitude = f"M{ev.magnitude:.1f}" if ev.magnitude is not None else ""
    if ev.kind == HazardKind.TSUNAMI:
        return " ".join(x for x in (ev.message_type, ev.level, magnitude) if x)
    if ev.kind == HazardKind.WEATHER:
        return ev.cap_severity or "Unknown"
    depth = f", {ev.depth_km:.0f} km" if ev.depth_km is not None else ""
    mmi = f", MMI {roman(ev.max_mmi)} in our area" if ev.max_mmi else ""
    return f"{magnitude}{depth}{mmi}" or "?"


def _place(ev: HazardEvent) -> str:
    if ev.kind == HazardKind.WEATHER:
        areas = [str(a.get("description") or "") for a in ev.areas or [] if a.get("description")]
        shown = ", ".join(areas[:3]) + (f" (+{len(areas) - 3})" if len(areas) > 3 else "")
        return f"{ev.title}: {shown}" if shown else ev.title
    return ev.region_text or ev.title


def event_line(ev: HazardEvent, outcome: str) -> str:
    """One line per new or updated event (see the module docstring)."""
    when = ev.origin_time or ev.effective_at
    if when is None:
        time_text = "time unknown"
    else:
        local = format_local(when, _zone_region(ev), "%d-%m-%Y %H:%M:%S")
        time_text = f"{local} ({_utc(when):%Y-%m-%d %H:%M:%S} UTC)"
    parts = [
        f"  {outcome:<7} {ev.kind.value}",
        time_text,
        _measure(ev),
        _place(ev),
        f"severity {ev.severity}, {ev.affected_count} places affected, {ev.people_affected} people",
    ]
    if ev.is_exercise:
        parts.append("EXERCISE")
    if ev.is_ended:
        parts.append("ended")
    parts.append(f"/hazards/{ev.id}")
    return " | ".join(parts)


def _counts(events: Iterable[tuple[HazardEvent, str]]) -> str:
    outcomes = [outcome for _, outcome in events]
    return f"{outcomes.count('created')} new, {outcomes.count('updated')} updated"


# ---------------------------------------------------------------- poll


def _poll_one(name: str) -> polling.PollResult:
    """One feed as the ``hazards.poll_feed`` task runs it: poll, commit, then enqueue."""
    from siaga.messaging.tasks import enqueue

    try:
        result = polling.poll(name)
    except Exception as exc:
        # A payload that tripped a bug: keep nothing half done, but show it in feed health.
        db.session.rollback()
        result = polling.record_failure(name, exc)
    db.session.commit()
    enqueue(result.message_ids)
    return result


@hazards_cli.command("poll")
@click.option(
    "--feed",
    "feed_name",
    type=click.Choice(list(polling.FEEDS)),
    default=None,
    help="Poll only this feed (default: every feed, in this order).",
)
@cli_command
def poll_cmd(feed_name: str | None) -> None:
    """Poll BMKG feeds once, now, and print the events each created or updated.

    Each feed is committed on its own and its alerts are enqueued, as the worker does.
    Exits 1 when a feed failed (after polling the others).
    """
    failed = []
    for name in [feed_name] if feed_name else list(polling.FEEDS):
        result = _poll_one(name)
        if result.status == "error":
            failed.append(name)
            click.echo(f"{name}: error | {result.error}", err=True)
            continue
        line = f"{name}: {result.status}"
        if result.status == "new":
            line += f" | {result.reports} report(s): {_counts(result.events)}"
        if result.pending:
            line += f" | {result.pending} CAP file(s) left for the next poll"
        click.echo(line)
        for ev, outcome in result.events:
            click.echo(event_line(ev, outcome))
    click.echo(CREDIT)
    if failed:
        click.echo(f"failed: {', '.join(failed)}", err=True)
        raise SystemExit(1)


# ---------------------------------------------------------------- replay


class _Root(Exception):
    """Stops the XML sniffing at the first element."""


def _refuse_doctype(*_args: Any) -> None:
    raise bmkg.FeedParseError("XML with a DOCTYPE or entities is refused")


def _xml_root(body: bytes) -> str:
    """The root element's name (``namespace name`` when namespaced), read up to that element
    only; DTDs are refused as the parsers do."""
    parser = expat.ParserCreate(namespace_separator=" ")
    found: list[str] = []

    def start(name: str, _attrs: Any) -> None:
        found.append(name)
        raise _Root

    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_doctype
    try:
        parser.Parse(body, True)
    except _Root:
        pass
    except expat.ExpatError as exc:
        raise bmkg.FeedParseError(f"not XML: {exc}") from None
    if not found:
        raise bmkg.FeedParseError("XML without an element")
    return found[0]


def _tews_kind(filename: str, is_list: bool, felt: bool) -> str:
    """A TEWS payload: the feed its file name names; else one quake (an object) is autogempa,
    a list of felt quakes (``Dirasakan`` and no ``Potensi``: gempadirasakan carries none)
    gempadirasakan, any other list gempaterkini (BMKG's M5+ list)."""
    lowered = filename.lower()
    for kind in TEWS_KINDS:
        if kind in lowered:
            return kind
    if not is_list:
        return "autogempa"
    return "gempadirasakan" if felt else "gempaterkini"


def detect_kind(filename: str, body: bytes) -> str:
    """Which feed a saved payload comes from, by its content (the file name only tells the
    TEWS feeds apart, see :func:`_tews_kind`). Raises :class:`bmkg.FeedParseError` saying
    why when it is none of them."""
    text = body.removeprefix(b"\xef\xbb\xbf").strip()
    if not text:
        raise bmkg.FeedParseError("the file is empty")
    head = text[:512].lower()
    if head.startswith(b"<!doctype html") or b"<html" in head:
        raise bmkg.FeedParseError("an HTML page (an error or block page?), not a BMKG payload")
    if text.startswith(b"<"):
        root = _xml_root(body)
        if root == CAP_ALERT:
            return "cap"
        if root == "rss":
            return "nowcast"
        if root == "Infogempa":  # XML cannot tell one <gempa> from a list of one
            quakes = bmkg.parse_tews_xml(body)
            felt = all(q.felt_text and q.potential_text is None for q in quakes)
            return _tews_kind(filename, len(quakes) > 1, felt)
        raise bmkg.FeedParseError(f"unknown XML payload <{root.split(' ')[-1]}>")
    try:
        data = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        what = "not valid JSON (cut short?)" if text[:1] in (b"{", b"[") else "neither JSON nor XML"
        raise bmkg.FeedParseError(f"{what}: {str(exc)[:200]}") from None
    if not isinstance(data, dict):
        raise bmkg.FeedParseError(f"unknown payload: a JSON {type(data).__name__}, not an object")
    if isinstance(data.get("Infogempa"), dict):
        gempa = data["Infogempa"].get("gempa")
        items = gempa if isinstance(gempa, list) else [gempa]
        felt = bool(items) and all(
            isinstance(g, dict) and "Dirasakan" in g and "Potensi" not in g for g in items
        )
        return _tews_kind(filename, isinstance(gempa, list), felt)
    if "info" in data and ("identifier" in data or "sender" in data):
        return "inatews"
    if data.get("type") == "FeatureCollection":
        raise bmkg.FeedParseError(
            "a GeoJSON FeatureCollection (InaTEWS realtime solutions?): automatic, unreviewed "
            "quakes are not ingested"
        )
    keys = ", ".join(sorted(map(str, data))[:6])
    raise bmkg.FeedParseError(f"unknown payload: a JSON object with keys {keys or '(none)'}")


@dataclass
class Replayed:
    kind: str
    reports: int
    events: list[tuple[HazardEvent, str]]
    message_ids: tuple[int, ...]


def replay_payload(filename: str, body: bytes, kind: str | None = None) -> Replayed:
    """Parse and ingest a saved payload; flushes, the caller commits and enqueues."""
    from siaga.hazards.services import ingest_reports

    kind = kind or detect_kind(filename, body)
    if kind == "nowcast":
        raise bmkg.FeedParseError(NOWCAST_REFUSED)
    reports = bmkg.reports_from(kind, body)
    done = ingest_reports(reports)
    return Replayed(kind, len(reports), done.events, done.message_ids)


@hazards_cli.command("replay")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path))
@click.option(
    "--feed",
    "kind",
    type=click.Choice(REPLAY_KINDS),
    default=None,
    help="What FILE is (default: detected from its content).",
)
@cli_command
def replay_cmd(file: Path, kind: str | None) -> None:
    """Ingest a saved BMKG payload FILE (a drill, an after-action review).

    Unless --feed says, FILE is known by its content: Infogempa (JSON or XML) is the TEWS
    feed its file name names, else autogempa for one quake, gempadirasakan for a list of
    felt quakes (each with Dirasakan, none with Potensi) and gempaterkini for any other list;
    an InaTEWS datagempa.json is inatews; a CAP 1.2 <alert> file is cap. A nowcast RSS index
    is refused (it only links to the CAP files: replay those). Replaying a file again changes
    nothing. Exits 2 when FILE does not exist, 1 when it cannot be read or is not such a
    payload; nothing is written then.
    """
    from siaga.messaging.tasks import enqueue

    try:
        if file.stat().st_size > bmkg.MAX_BYTES:
            raise bmkg.FeedParseError(f"larger than {bmkg.MAX_BYTES} bytes: not a BMKG payload")
        body = file.read_bytes()
        result = replay_payload(file.name, body, kind)
    except bmkg.FeedParseError as exc:
        raise ValidationFailed({str(file): str(exc)}) from None
    except OSError as exc:
        raise ValidationFailed({str(file): f"cannot read it: {exc.strerror or exc}"}) from None
    except Exception as exc:  # a payload no rule foresaw: name the file, write nothing
        db.session.rollback()
        log.exception("replay of %s failed", file)
        raise ValidationFailed(
            {str(file): f"not ingested, nothing written: {type(exc).__name__}: {exc}"}
        ) from None
    db.session.commit()
    enqueue(result.message_ids)
    click.echo(f"{file}: {result.kind} | {result.reports} report(s): {_counts(result.events)}")
    for ev, outcome in result.events:
        click.echo(event_line(ev, outcome))
    click.echo(CREDIT)
