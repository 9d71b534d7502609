"""``flask hazards poll`` against the local BMKG server and ``flask hazards replay`` of the real
fixtures: what they print, what they store, bad files refused with nothing written, alerts
handed to the broker after the commit, a failing feed exits 1 after the others are polled."""

from __future__ import annotations

import json
import re
from queue import Empty

import pytest
from sqlalchemy import func, select

from siaga.hazards.models import FeedState, HazardEvent, HazardKind
from siaga.messaging.models import Delivery, Message
from tests.fakes.bmkg import DATA, FakeBmkg
from tests.hazards.reports import SEKAYU

EVENT_LINE = re.compile(
    r"^  (created|updated) (earthquake|tsunami|weather) \| "
    r"\d\d-\d\d-\d{4} \d\d:\d\d:\d\d (WIB|WITA|WIT) \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\) \| "
    r".+ \| severity \d, \d+ places affected, \d+ people \| (?:EXERCISE \| )?(?:ended \| )?/hazards/(\d+)$"
)


def _events(db_session) -> int:
    return db_session.scalar(select(func.count(HazardEvent.id)))


def _lines(output: str) -> list[re.Match[str]]:
    """The event lines, each checked against the whole format."""
    matches = []
    for line in output.splitlines():
        if line.startswith("  "):
            match = EVENT_LINE.match(line)
            assert match, line
            matches.append(match)
    return matches


def _replay(app, *args):
    return app.test_cli_runner().invoke(args=["hazards", "replay", *map(str, args)])


def _poll(app, *args):
    return app.test_cli_runner().invoke(args=["hazards", "poll", *args])


# ---------------------------------------------------------------- replay


@pytest.mark.parametrize(
    ("fixture", "kind", "events", "event_kind"),
    [
        ("autogempa.json", "autogempa", 1, HazardKind.EARTHQUAKE),
        ("autogempa.xml", "autogempa", 1, HazardKind.EARTHQUAKE),
        ("autogempa-m5-not-felt.json", "autogempa", 1, HazardKind.EARTHQUAKE),
        ("autogempa-felt-sumedang-2024.json", "autogempa", 1, HazardKind.EARTHQUAKE),
        ("autogempa-felt-dompu-2021-pretty.json", "autogempa", 1, HazardKind.EARTHQUAKE),
        # 15 rows, 12 distinct quakes (the Flores Sea quake is listed 4 times)
        ("gempaterkini.json", "gempaterkini", 12, HazardKind.EARTHQUAKE),
        ("gempaterkini-2026-first2.json", "gempaterkini", 2, HazardKind.EARTHQUAKE),
        ("gempadirasakan.json", "gempadirasakan", 2, HazardKind.EARTHQUAKE),
        ("inatews-datagempa-tsunami-warning-pd1-mentawai-2023.json", "inatews", 1, HazardKind.TSUNAMI),
        ("inatews-datagempa-TEST-tsunami-pd1-2021.json", "inatews", 1, HazardKind.TSUNAMI),
        ("inatews-datagempa-TEST-tsunami-pd4-ended-2023.json", "inatews", 1, HazardKind.TSUNAMI),
        ("inatews-datagempa-felt-m2.7-larantuka-2023.json", "inatews", 1, HazardKind.EARTHQUAKE),
        ("inatews-datagempa-felt-m4.2-enggano-2022.json", "inatews", 1, HazardKind.EARTHQUAKE),
        ("inatews-datagempa-felt-m5.9-ternate-2023.json", "inatews", 1, HazardKind.EARTHQUAKE),
        ("inatews-datagempa-felt-m6.0-pacitan-2023.json", "inatews", 1, HazardKind.EARTHQUAKE),
        ("inatews-datagempa-felt-m7.3-mentawai-2023.json", "inatews", 1, HazardKind.EARTHQUAKE),
        ("inatews-datagempa-m6.9-fiji-outside-indonesia-2023.json", "inatews", 1, HazardKind.EARTHQUAKE),
        ("cap-alert-CGT20260924002-id.xml", "cap", 1, HazardKind.WEATHER),
        ("cap-alert-CGT20260924002-en.xml", "cap", 1, HazardKind.WEATHER),
        ("cap-alert-CBT20260216004-id-trimmed.xml", "cap", 1, HazardKind.WEATHER),
    ],
)
def test_replay_each_fixture_then_again_changes_nothing(app, db_session, fixture, kind, events, event_kind):
    before = _events(db_session)
    res = _replay(app, DATA / fixture)
    assert res.exit_code == 0, res.output
    assert f"{fixture}: {kind} | " in res.output and f"{events} new, 0 updated" in res.output
    assert res.output.rstrip().endswith("Sumber: BMKG")
    lines = _lines(res.output)
    assert len(lines) == events and {m.group(1) for m in lines} == {"created"}
    for m in lines:
        ev = db_session.get(HazardEvent, int(m.group(4)))
        assert ev is not None and ev.kind == event_kind and m.group(2) == event_kind.value
        assert ev.sources == [kind if kind != "cap" else "nowcast"]
        assert ("| EXERCISE |" in m.group(0)) == ev.is_exercise
    assert _events(db_session) == before + events
    # the same file again: nothing new, nothing changed, nothing printed but the summary
    again = _replay(app, DATA / fixture)
    assert again.exit_code == 0, again.output
    assert "0 new, 0 updated" in again.output and not _lines(again.output)
    assert _events(db_session) == before + events


def test_replay_prints_the_exercise_marker_and_the_warning_level(app, db_session):
    res = _replay(app, DATA / "inatews-datagempa-TEST-tsunami-pd1-2021.json")
    (m,) = _lines(res.output)
    ev = db_session.get(HazardEvent, int(m.group(4)))
    assert ev.is_exercise and "| EXERCISE |" in m.group(0)
    assert f"| PD-1 {ev.level} M{ev.magnitude:.1f} |" in m.group(0)


@pytest.mark.parametrize(
    ("fixture", "kind"),
    [
        ("gempaterkini.json", "gempaterkini"),
        ("gempadirasakan.json", "gempadirasakan"),  # a list of felt quakes: no Potensi
        ("autogempa.json", "autogempa"),
        ("autogempa.xml", "autogempa"),
        ("cap-alert-CGT20260924002-id.xml", "cap"),
    ],
)
def test_replay_detects_the_feed_from_the_content(app, db_session, tmp_path, fixture, kind):
    """A file name that says nothing: the content tells the feed (its source on the event)."""
    path = tmp_path / ("saved" + fixture[fixture.rindex(".") :])
    path.write_bytes((DATA / fixture).read_bytes())
    res = _replay(app, path)
    assert res.exit_code == 0, res.output
    assert f"saved{path.suffix}: {kind} | " in res.output
    ev = db_session.get(HazardEvent, int(_lines(res.output)[0].group(4)))
    assert ev.sources == [kind if kind != "cap" else "nowcast"]


def test_replay_file_name_or_feed_option_decides_between_the_lists(app, db_session, tmp_path):
    path = tmp_path / "gempadirasakan-drill.json"
    path.write_bytes((DATA / "gempaterkini-2026-first2.json").read_bytes())
    res = _replay(app, path)
    assert "gempadirasakan | 2 report(s): 2 new" in res.output
    other = tmp_path / "saved.json"
    other.write_bytes((DATA / "gempadirasakan.json").read_bytes())
    res = _replay(app, other, "--feed", "gempaterkini")
    assert res.exit_code == 0 and "saved.json: gempaterkini | 2 report(s): 2 new" in res.output


def test_replay_shows_the_time_in_the_zone_of_the_area_of_responsibility(app, db_session, monkeypatch):
    """No place of ours is reached: the area of responsibility's zone, as the pages show it."""
    monkeypatch.setitem(app.config, "SIAGA_AOR_REGIONS", "53.13")  # Lembata, NTT: WITA
    res = _replay(app, DATA / "autogempa.json")  # 2026-09-23T12:16:56+00:00, Lembata
    assert "| 23-09-2026 20:16:56 WITA (2026-09-23 12:16:56 UTC) |" in res.output


def _drill_payload(magnitude: str = "6.2") -> bytes:
    """BMKG's real autogempa payload with the epicentre moved next to Sekayu (our AOR)."""
    data = json.loads((DATA / "autogempa-m5-not-felt.json").read_bytes())
    data["Infogempa"]["gempa"].update(
        {
            "Coordinates": f"{SEKAYU[0]:.2f},{SEKAYU[1]:.2f}",
            "Lintang": f"{-SEKAYU[0]:.2f} LS",
            "Bujur": f"{SEKAYU[1]:.2f} BT",
            "Magnitude": magnitude,
            "Wilayah": "10 km BaratLaut SEKAYU-MUBA-SUMSEL",
        }
    )
    return json.dumps(data).encode()


def _drain_sends(app) -> list[int]:
    """Take every send off the broker's messages queue (so no later worker sees it); their ids."""
    ids = []
    with app.extensions["celery"].connection_for_read() as conn:
        queue = conn.SimpleQueue("messages")
        try:
            while True:
                try:
                    msg = queue.get(block=False)
                except Empty:
                    break
                assert msg.headers["task"] == "messaging.send_delivery"
                ids.append(msg.payload[0][0])
                msg.ack()
        finally:
            queue.close()
    return ids


def test_replay_of_a_drill_raises_the_alert_and_enqueues_its_sends(
    app, db_session, tmp_path, make_shelter, users
):
    make_shelter(name="SD Sekayu", lat=SEKAYU[0] + 0.02, lon=SEKAYU[1], capacity=100)
    _drain_sends(app)
    path = tmp_path / "drill.json"
    path.write_bytes(_drill_payload())
    res = _replay(app, path)
    assert res.exit_code == 0, res.output
    (m,) = _lines(res.output)
    ev = db_session.get(HazardEvent, int(m.group(4)))
    assert ev.severity > 0 and ev.affected_count >= 1
    # the zone of the place it reaches hardest (Musi Banyuasin: WIB), and its figures
    assert m.group(3) == "WIB" and f"severity {ev.severity}, {ev.affected_count} places affected" in m.group(
        0
    )
    msg = db_session.scalars(
        select(Message).where(Message.source["hazard_event_id"].as_integer() == ev.id)
    ).one()
    deliveries = set(db_session.scalars(select(Delivery.id).where(Delivery.message_id == msg.id)))
    assert deliveries and deliveries <= set(_drain_sends(app))
    # a replay of the same drill: no second alert, nothing enqueued
    assert "0 new, 0 updated" in _replay(app, path).output
    assert _drain_sends(app) == []
    assert db_session.scalar(select(func.count(Message.id)).where(Message.kind == "earthquake")) == 1


def _cut(name: str, size: int) -> bytes:
    return (DATA / name).read_bytes()[:size]


def _dated(when: str) -> bytes:
    """autogempa with an impossible DateTime and the same day in Tanggal (its fallback)."""
    data = json.loads((DATA / "autogempa.json").read_bytes())
    day = data["Infogempa"]["gempa"]
    day["DateTime"] = when
    day["Tanggal"] = f"{when[8:10]}-{when[5:7]}-{when[:4]}"
    return json.dumps(data).encode()


def _one_bad_row() -> bytes:
    data = json.loads((DATA / "gempaterkini.json").read_bytes())
    data["Infogempa"]["gempa"][-1]["Magnitude"] = "besar"
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    ("name", "body", "reason"),
    [
        ("gempaterkini.json", _cut("gempaterkini.json", 700), "not valid JSON (cut short?)"),
        ("autogempa.xml", _cut("autogempa.xml", 200), "not XML"),
        ("cap.xml", _cut("cap-alert-CGT20260924002-id.xml", 900), "not XML"),
        (
            "autogempa.json",
            b"<!DOCTYPE html><html><body>Cloudflare: terindikasi sebagai serangan</body></html>",
            "an HTML page",
        ),
        ("autogempa.json", b"", "the file is empty"),
        ("autogempa.json", b"  \n", "the file is empty"),
        ("saved.json", b'{"hello": "world"}', "unknown payload: a JSON object with keys hello"),
        ("saved.json", b"[1, 2]", "unknown payload: a JSON list"),
        ("saved.xml", b"<note>hi</note>", "unknown XML payload <note>"),
        ("nowcast.xml", (DATA / "nowcast-rss-id.xml").read_bytes(), "nowcast RSS index"),
        ("lastQL.json", (DATA / "inatews-lastQL-realtime-2022.json").read_bytes(), "FeatureCollection"),
        ("cuaca.json", (DATA / "prakiraan-cuaca-32.73.01.1001.json").read_bytes(), "keys data, lokasi"),
        ("autogempa.json", _dated("9999-12-31T23:59:00+00:00"), "year 9999 is out of range (1900–2100)"),
        ("autogempa.json", _dated("0001-01-01T00:00:30+00:00"), "year 1 is out of range"),
        # 14 good rows and a bad one: none of it is written
        ("gempaterkini.json", _one_bad_row(), "Infogempa.gempa[14].Magnitude"),
    ],
)
def test_replay_of_a_bad_file_names_it_and_the_reason_and_writes_nothing(
    app, db_session, tmp_path, name, body, reason
):
    path = tmp_path / name
    path.write_bytes(body)
    before = _events(db_session)
    res = _replay(app, path)
    assert res.exit_code == 1, res.output
    assert f"error: {path}: " in res.stderr and reason in res.stderr
    assert "Sumber" not in res.stdout
    assert _events(db_session) == before


def test_replay_that_fails_unforeseen_names_the_file_and_writes_nothing(app, db_session, monkeypatch):
    from siaga.hazards import services

    real = services.process_reports

    def broken(reports):
        real(reports)  # the events are written (flushed) first, then it breaks
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services, "process_reports", broken)
    before = _events(db_session)
    res = _replay(app, DATA / "gempaterkini.json")
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "gempaterkini.json: not ingested, nothing written: RuntimeError: disk on fire" in res.stderr
    assert _events(db_session) == before


def test_replay_refuses_a_missing_file_a_wrong_feed_and_a_nowcast_index(app, db_session, tmp_path):
    before = _events(db_session)
    res = _replay(app, tmp_path / "gone.json")
    assert res.exit_code == 2 and "gone.json" in res.output and "does not exist" in res.output
    res = _replay(app, tmp_path)
    assert res.exit_code == 2 and "is a directory" in res.output
    res = _replay(app, DATA / "autogempa.json", "--feed", "inatews")
    assert res.exit_code == 1 and "autogempa.json: info: expected an object" in res.stderr
    res = _replay(app, DATA / "autogempa.json", "--feed", "nowcast")
    assert res.exit_code == 1 and "replay each saved CAP alert file" in res.stderr
    res = _replay(app, DATA / "autogempa.json", "--feed", "lastQL")
    assert res.exit_code == 2 and "lastQL" in res.output
    assert _events(db_session) == before


# ---------------------------------------------------------------- poll


def _serve_all(bmkg: FakeBmkg) -> None:
    bmkg.serve_fixture("/DataMKG/TEWS/autogempa.json", "autogempa.json")
    bmkg.serve_fixture("/DataMKG/TEWS/gempaterkini.json", "gempaterkini-2026-first2.json")
    bmkg.serve_fixture("/DataMKG/TEWS/gempadirasakan.json", "gempadirasakan.json")
    bmkg.serve_fixture("/inatews/datagempa.json", "inatews-datagempa-TEST-tsunami-pd1-2021.json")
    bmkg.serve_nowcast()


def _feed_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if re.match(r"^[a-z]+: ", line)]


def test_poll_prints_new_events_then_none(app, db_session, bmkg):
    _serve_all(bmkg)
    res = _poll(app)
    assert res.exit_code == 0, res.output
    feeds = _feed_lines(res.stdout)
    assert [line.split(":")[0] for line in feeds] == [
        "autogempa",
        "gempaterkini",
        "gempadirasakan",
        "inatews",
        "nowcast",
    ]
    assert feeds[0] == "autogempa: new | 1 report(s): 1 new, 0 updated"
    assert feeds[2] == "gempadirasakan: new | 2 report(s): 2 new, 0 updated"
    # the RSS lists 11 warnings; the fake has the CAP file of one
    assert feeds[4] == "nowcast: new | 1 report(s): 1 new, 0 updated | 10 CAP file(s) left for the next poll"
    lines = _lines(res.stdout)
    assert len(lines) == 1 + 2 + 2 + 1 + 1
    assert {db_session.get(HazardEvent, int(m.group(4))).kind for m in lines} == set(HazardKind)
    assert res.stdout.rstrip().endswith("Sumber: BMKG")
    count = _events(db_session)
    # again: the server answers 304 (nowcast: its index again, nothing new)
    again = _poll(app)
    assert again.exit_code == 0, again.output
    assert not _lines(again.stdout) and _events(db_session) == count
    assert _feed_lines(again.stdout)[:4] == [
        "autogempa: not_modified",
        "gempaterkini: not_modified",
        "gempadirasakan: not_modified",
        "inatews: not_modified",
    ]
    assert "nowcast: new | 0 report(s): 0 new, 0 updated" in again.stdout


def test_poll_one_feed(app, db_session, bmkg):
    _serve_all(bmkg)
    res = _poll(app, "--feed", "inatews")
    assert res.exit_code == 0, res.output
    assert _feed_lines(res.stdout) == ["inatews: new | 1 report(s): 1 new, 0 updated"]
    assert "| EXERCISE |" in res.stdout
    assert [path for path, _ in bmkg.requests] == ["/inatews/datagempa.json"]
    assert _poll(app, "--feed", "gempa").exit_code == 2


def test_a_failing_feed_exits_1_after_the_others_are_polled(app, db_session, bmkg):
    _serve_all(bmkg)
    bmkg.errors["/DataMKG/TEWS/gempaterkini.json"] = 503
    res = _poll(app)
    assert res.exit_code == 1, res.output
    assert re.search(r"^gempaterkini: error \| .*503", res.stderr, re.M)
    assert "failed: gempaterkini" in res.stderr
    # the feeds after it were polled, and what they brought was committed
    assert [line.split(":")[0] for line in _feed_lines(res.stdout)] == [
        "autogempa",
        "gempadirasakan",
        "inatews",
        "nowcast",
    ]
    assert any(path == "/alerts/nowcast/id" for path, _ in bmkg.requests)
    assert len(_lines(res.stdout)) == 1 + 2 + 1 + 1
    state = db_session.get(FeedState, "gempaterkini")
    assert state.consecutive_failures == 1 and "503" in state.last_error
    assert db_session.get(FeedState, "autogempa").consecutive_failures == 0
