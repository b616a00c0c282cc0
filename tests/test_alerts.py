"""Alerts (issue 16): each check on a warehouse built by the real ingest to hold its condition,
a healthy warehouse where none fires, the config, the command line, a notification delivered
through apprise to a receiver on loopback, and "Needs attention" as a partner and as staff.
Issue 27: the order (critical first), the digest of what is new across runs and its state
file (hostile ones too), apprise's type, and each alert's link opened in the app.

The warehouses start from the hand-built folder (tests/handbuilt.py), as of its AS_OF
(30 Jun 2026). Alerting: the folder as it is, plus one redemption waiting since 1 Jun 2025
and a second load of `area_species` with 24 of its 30 rows rejected. Healthy: P1's target
met, surveys regular and steady, P3's survival above its default, a clean second load.
"""

from __future__ import annotations

import json
import re
import shutil
import stat
import subprocess
import threading
from collections.abc import Iterator
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qsl, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from greenstats.data import alert_state
from greenstats.data.pipeline import ingest_folder
from greenstats.data.warehouse import Warehouse
from greenstats.metrics import alert_digest, alerts
from greenstats.metrics.filters import Filters
from greenstats.metrics.queries import alerting, naming
from greenstats.screens import overview, projects
from greenstats.ui.alert_words import alert_line
from tests import handbuilt
from tests.conftest import ROOT, run_cli, run_cli_here
from tests.test_injection import unescaped

AS_OF = handbuilt.AS_OF
STAFF = Filters(as_of=AS_OF)


def _area_species_load(folder: Path, rejected: int) -> Path:
    """30 rows of area_species, the first `rejected` of them naming an area that does not
    exist (rule: unknown area)."""
    folder.mkdir(parents=True)
    rows = ["area_id,scientific_name,iucn_category,common_name,taxon_group"]
    rows += [f"A9,Ghost species {i},LC,,birds" for i in range(rejected)]
    rows += [f"A2,Sparrow species {i},LC,,birds" for i in range(30 - rejected)]
    (folder / "area_species.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def alerting_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("alerting")
    folder = handbuilt.write(root / "input")
    with (folder / "redemptions.csv").open("a", encoding="utf-8") as fh:
        fh.write("r9,u5,2025-06-01 10:00,P1,sand_willow,3,9000\n")  # P1 never planted willow
    db = root / "warehouse"
    ingest_folder(folder, db, handbuilt.REFERENCE_MIN)
    ingest_folder(_area_species_load(root / "second", rejected=24), db, None)
    return db


@pytest.fixture(scope="module")
def healthy_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("healthy")
    folder = handbuilt.write(root / "input")
    edits = {
        "projects.csv": [(",5000,10,2030-12-31", ",1500,,2030-12-31")],  # P1: target met
        "surveys.csv": [
            ("S1,P1,saxaul,2024-04-10,200,180\n", ""),  # no fall from 90 % to 77.5 %
            ("S5,P3,eelgrass,2025-05-01,100,40", "S5,P3,eelgrass,2025-05-01,100,60"),
            ("S8,P1,oak",  # two more surveys of P1, half a year apart, survival steady
             "S9,P1,saxaul,2025-10-10,100,76\nS10,P1,saxaul,2026-04-10,100,75\nS8,P1,oak"),
        ],
    }  # fmt: skip
    for name, pairs in edits.items():
        text = (folder / name).read_text(encoding="utf-8")
        for old, new in pairs:
            assert old in text
            text = text.replace(old, new)
        (folder / name).write_text(text, encoding="utf-8")
    db = root / "warehouse"
    ingest_folder(folder, db, handbuilt.REFERENCE_MIN)
    ingest_folder(_area_species_load(root / "second", rejected=0), db, None)
    return db


def _found(db: Path, f: Filters = STAFF, th: alerts.Thresholds | None = None) -> list:
    with Warehouse(db).open_snapshot() as r:
        return alerting.alerts_for(r, f, th or alerts.load_config())


def _numbers(a: alerts.Alert) -> dict[str, tuple[float, str]]:
    return {k: (n.value, n.unit) for k, n in a.numbers.items()}


def _load_day(db: Path) -> date:
    with Warehouse(db).open_snapshot() as r:
        return r.df("SELECT max(loaded_at) AS at FROM loads")["at"].iloc[0].date()


def test_every_alert_fires_once_with_its_subject_numbers_and_since(alerting_db: Path) -> None:
    found = _found(alerting_db)
    # Each exactly once, critical first, then warnings, each in the kinds' order.
    assert [(a.severity, a.kind) for a in found] == [
        ("critical", "survival_below_default"), ("critical", "rejects_jump"),
        ("warning", "behind_plan"), ("warning", "survival_falling"), ("warning", "data_late"),
        ("warning", "backlog_old"),
    ]  # fmt: skip
    by = {a.kind: a for a in found}

    # P1: 5,000 trees by 2030-12-31 from 2020-03-01; 13 of 22 planting seasons over, so
    # 5000 × 13/22 = 2,954.545 expected, 1,500 planted. It slipped when the autumn 2020 season
    # ended (1 Dec 2020: 454.5 expected > 5 % of 5,000) and never caught up.
    a = by["behind_plan"]
    assert (a.subject, a.partner, a.since) == ({"project_id": "P1"}, "Desert Green",
                                               date(2020, 12, 1))  # fmt: skip
    assert _numbers(a) == {
        "behind_by": (1454.545, "trees"), "behind_share": (29.09, "%"),
        "delivered": (1500.0, "trees"), "expected_by_now": (2954.545, "trees"),
        "target": (5000.0, "trees"),
    }  # fmt: skip
    assert a.severity == "warning"  # 29 % of target ≥ 25 %, but due in 2030: years to catch up

    # P3 eelgrass: 40 of 100 alive on 1 May 2025 against a default of 50 %.
    a = by["survival_below_default"]
    assert (a.subject, a.partner, a.since) == ({"project_id": "P3", "species": "eelgrass"},
                                               "Blue Coast", date(2025, 5, 1))  # fmt: skip
    assert _numbers(a) == {"survival": (40.0, "%"), "default_survival": (50.0, "%"),
                           "below_by": (10.0, "points")}  # fmt: skip
    assert a.severity == "critical"  # 10 points below: twice the 5-point threshold

    # P1 saxaul: 180/200 = 90 % on 10 Apr 2024, (70 + 240)/(100 + 300) = 77.5 % a year later.
    a = by["survival_falling"]
    assert (a.subject, a.since) == ({"project_id": "P1", "species": "saxaul"}, date(2025, 4, 10))
    assert _numbers(a) == {"survival": (77.5, "%"), "previous_survival": (90.0, "%"),
                           "fell_by": (12.5, "points"), "days_between": (365, "days")}  # fmt: skip
    assert a.severity == "warning"

    # Desert Green's days: planted 2023-04-10, 2024-10-20; surveyed 2024-04-10, 2025-04-10:
    # gaps 366, 193, 172 days, median 193; allowed 2 × 193 = 386; 446 days since 2025-04-10.
    a = by["data_late"]
    assert (a.subject, a.partner) == ({"partner": "Desert Green"}, "Desert Green")
    assert _numbers(a) == {"days_since_latest": (446, "days"), "usual_interval": (193.0, "days"),
                           "allowed": (386.0, "days")}  # fmt: skip
    assert a.since == date(2026, 5, 2)  # the first day more than 386 days after 2025-04-10
    assert a.severity == "warning"

    # area_species: 3 of 9 rows rejected in the first load, 24 of 30 in the second.
    a = by["rejects_jump"]
    assert (a.subject, a.partner) == ({"table": "area_species", "load_number": "2"}, None)
    assert _numbers(a) == {"rejected_share": (80.0, "%"), "earlier_share": (33.33, "%"),
                           "rise": (46.67, "points"), "rows_rejected": (24, "rows"),
                           "rows_read": (30, "rows")}  # fmt: skip
    assert a.since == _load_day(alerting_db)
    assert a.severity == "critical"

    # P1 sand willow: 3 units adopted on 1 Jun 2025, none planted: 394 days by 30 Jun 2026.
    a = by["backlog_old"]
    assert (a.subject, a.partner, a.since) == ({"project_id": "P1", "species": "sand_willow"},
                                               "Desert Green", date(2025, 6, 1))  # fmt: skip
    assert _numbers(a) == {"backlog": (3.0, "units"), "oldest_wait": (394, "days"),
                           "max_age": (180, "days")}  # fmt: skip
    assert a.severity == "warning"  # 394 ≥ 2 × 180 days, but 3 units: not a large backlog


def test_nothing_fires_on_a_healthy_warehouse(healthy_db: Path) -> None:
    assert _found(healthy_db) == []
    with Warehouse(healthy_db).open_snapshot() as r:
        data = overview.load(r, STAFF, "en")
        page = projects.load(r, STAFF, "zh", None, "P1").project
    assert data.attention.items == []
    assert data.attention.empty.startswith("Nothing needs attention as of 30 Jun 2026:")
    assert page.attention.items == []
    assert page.attention.empty == ("截至2026年6月30日，该项目没有需要关注的事项。")
    proc = run_cli("alerts", "--db", str(healthy_db), "--as-of", AS_OF.isoformat())
    assert proc.returncode == 0, proc.stderr
    assert "Nothing needs attention as of 2026-06-30." in proc.stdout


def test_a_config_file_overrides_one_threshold_and_keeps_the_others(
    alerting_db: Path, tmp_path: Path
) -> None:
    config = tmp_path / "alerts.toml"
    config.write_text("[backlog]\nmax_age_days = 400\n", encoding="utf-8")
    th = alerts.load_config(config)
    assert th.backlog_max_age_days == 400
    assert th.survival_drop == 0.10
    kinds = [a.kind for a in _found(alerting_db, th=th)]
    assert sorted(kinds) == sorted(k for k in alerts.KINDS if k != "backlog_old")  # 394 < 400
    proc = run_cli("alerts", "--db", str(alerting_db), "--as-of", AS_OF.isoformat(), "--json",
                   "--config", str(config))  # fmt: skip
    assert proc.returncode == 3
    assert [a["kind"] for a in json.loads(proc.stdout)["alerts"]] == kinds


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("[backlog]\nmax_age = 3\n", "unknown key 'backlog.max_age'"),
        ("[survival]\ndrop = 'high'\n", "survival.drop = 'high' is not valid"),
        ("[rejects]\nmin_rows = 0\n", "rejects.min_rows = 0 is not valid"),
    ],
)
def test_a_bad_config_is_one_sentence_and_exit_2(
    alerting_db: Path, tmp_path: Path, text: str, said: str
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(text, encoding="utf-8")
    proc = run_cli("alerts", "--db", str(alerting_db), "--config", str(config))
    assert proc.returncode == 2
    assert said in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert proc.stdout == ""


def test_the_json_equals_the_pure_function_and_the_exit_code_says_alerts(
    alerting_db: Path,
) -> None:
    proc = run_cli("alerts", "--db", str(alerting_db), "--as-of", AS_OF.isoformat(), "--json")
    assert proc.returncode == 3, proc.stderr
    payload = json.loads(proc.stdout, parse_constant=lambda c: pytest.fail(f"not JSON: {c}"))
    assert payload["as_of"] == "2026-06-30"
    assert payload["snapshot"] == "000002"
    assert payload["alerts"] == [a.as_dict() for a in _found(alerting_db)]
    table = run_cli("alerts", "--db", str(alerting_db), "--as-of", AS_OF.isoformat())
    assert table.returncode == 3
    assert "6 alerts as of 2026-06-30" in table.stdout


class _Receiver(BaseHTTPRequestHandler):
    bodies: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        type(self).bodies.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:  # quiet
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict]]]:
    """An apprise json:// URL to a receiver on loopback, and what it received."""
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    _Receiver.bodies = got = []
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"json://127.0.0.1:{server.server_port}/hooks/greenstats", got
    finally:
        server.shutdown()
        server.server_close()


def _names(db: Path) -> dict[str, dict[str, str]]:
    with Warehouse(db).open_snapshot() as r:
        return {k: naming.display_names(r, k, "en") for k in ("projects", "species", "partners")}


def test_a_notification_reaches_a_receiver_on_loopback_through_apprise(
    alerting_db: Path, tmp_path: Path, receiver: tuple[str, list[dict]]
) -> None:
    url, got = receiver
    proc = run_cli("alerts", "--db", str(alerting_db), "--as-of", AS_OF.isoformat(), "--json",
                   "--notify", url, "--state", str(tmp_path / "state.json"))  # fmt: skip
    assert proc.returncode == 3, proc.stderr
    assert len(got) == 1
    body = got[0]
    assert body["title"] == "greenstats: 6 alerts (2 critical) as of 2026-06-30"
    assert body["type"] == "failure"  # apprise's type: something is critical
    found, names = _found(alerting_db), _names(alerting_db)
    lines = body["message"].splitlines()
    assert len(lines) == len(found)  # a line per alert, critical first
    for line, a in zip(lines, found, strict=True):
        sentence, link = line.rsplit(" ", 1)
        assert sentence == f"[{a.severity}] {alert_line(a, names, 'en')}"
        assert link.startswith("http://localhost:8501/")
    assert lines[0].startswith("[critical] ")
    assert lines[2].startswith(  # the first warning: far behind, but due in 2030
        "[warning] Alxa saxaul belt is behind plan by 1,455 trees (29.1% of its target of "
        "5,000 trees), since 1 Dec 2020. http://localhost:8501/projects?"
    )


def test_a_failed_delivery_is_one_sentence_and_exit_4(alerting_db: Path, tmp_path: Path) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    port = server.server_port
    server.server_close()  # nobody listens on the port any more
    state = tmp_path / "state.json"
    proc = run_cli("alerts", "--db", str(alerting_db), "--as-of", AS_OF.isoformat(), "--json",
                   "--notify", f"json://127.0.0.1:{port}/hooks", "--state", str(state))  # fmt: skip
    assert proc.returncode == 4
    assert len(proc.stderr.strip().splitlines()) == 1
    assert f"could not be delivered to json://127.0.0.1:{port}/hooks" in proc.stderr
    assert json.loads(proc.stdout)["alerts"]  # the alerts are still printed
    assert not state.exists()  # nobody heard them: the next run gives them all again


# --- the digest: what is new since the last notification ----------------------------------------


def _ordered_alert(kind: str, severity: str, **subject: str) -> alerts.Alert:
    return alerts.Alert(kind, subject, None, severity, {}, None)


def test_alerts_are_ordered_critical_first_then_by_kind_then_by_subject() -> None:
    a = _ordered_alert
    given = [
        a("data_late", "warning", partner="Blue Coast"),
        a("backlog_old", "critical", project_id="P10", species="oak"),
        a("behind_plan", "warning", project_id="P2"),
        a("backlog_old", "critical", project_id="P2", species="saxaul"),
        a("behind_plan", "critical", project_id="P10"),
        a("backlog_old", "critical", project_id="P2", species="oak"),
        a("data_late", "warning", partner="Arid Roots"),
    ]
    assert [(x.severity, x.kind, *x.subject.values()) for x in alerts.ordered(given)] == [
        ("critical", "behind_plan", "P10"),
        ("critical", "backlog_old", "P2", "oak"),  # P2 before P10: numbers read as numbers
        ("critical", "backlog_old", "P2", "saxaul"),
        ("critical", "backlog_old", "P10", "oak"),
        ("warning", "behind_plan", "P2"),
        ("warning", "data_late", "Arid Roots"),
        ("warning", "data_late", "Blue Coast"),
    ]


def _config(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _notify(db: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`greenstats alerts --json --notify URL` as of AS_OF, in this process (cheaper)."""
    return run_cli_here("alerts", "--db", str(db), "--as-of", AS_OF.isoformat(), "--json",
                        "--notify", url, *args)  # fmt: skip


def _alert_lines(message: str) -> list[str]:
    return [line for line in message.splitlines() if line.startswith("[")]


def test_the_digest_gives_what_is_new_and_counts_what_is_open_and_what_went(
    alerting_db: Path, tmp_path: Path, receiver: tuple[str, list[dict]]
) -> None:
    url, got = receiver
    db = tmp_path / "warehouse"
    shutil.copytree(alerting_db, db)  # the state is kept in the warehouse folder by default
    state = db / "alerts_notified.json"
    # Day 1: no backlog alert yet (394 days < 400); survival falling and data late are warnings.
    day1 = _config(tmp_path, "day1", "[backlog]\nmax_age_days = 400\n")
    # Day 2: the backlog alert is new; survival falling rose to critical (12.5 points fell:
    # twice 6); data late went (446 days < 3 × 193).
    day2 = _config(tmp_path, "day2", "[survival]\ndrop = 0.06\n[freshness]\nfactor = 3.0\n")

    proc = _notify(db, url, "--config", str(day1))
    assert proc.returncode == 3, proc.stderr
    assert got[0]["title"] == "greenstats: 5 alerts (2 critical) as of 2026-06-30"
    assert len(_alert_lines(got[0]["message"])) == 5
    assert stat.S_ISREG(state.lstat().st_mode)
    assert stat.S_IMODE(state.stat().st_mode) == 0o600  # as the warehouse's other files

    proc = _notify(db, url, "--config", str(day2))
    assert proc.returncode == 3, proc.stderr
    found = _found(db, th=alerts.load_config(day2))
    names = _names(db)
    body = got[1]
    assert (
        body["title"] == "greenstats: 2 new of 5 alerts (3 critical) as of 2026-06-30, 1 resolved"
    )
    new = [a for a in found if a.kind in ("survival_falling", "backlog_old")]
    assert [a.severity for a in new] == ["critical", "warning"]  # 3 units: not a large backlog
    assert [line.rsplit(" ", 1)[0] for line in _alert_lines(body["message"])] == [
        f"[{a.severity}] {alert_line(a, names, 'en')}" for a in new
    ]
    assert body["message"].splitlines()[2:] == [
        "And 3 alerts already in the notification as of 2026-06-30.",
        "1 alert resolved since the notification as of 2026-06-30.",
    ]

    # Day 3, as day 2: nothing new, nothing went: nothing is sent, and the exit says alerts.
    proc = _notify(db, url, "--config", str(day2))
    assert proc.returncode == 3, proc.stderr
    assert len(got) == 2
    assert proc.stderr.strip() == (
        "Nothing new since the notification as of 2026-06-30: its 5 alerts still open, none "
        "resolved; nothing was sent."
    )
    # --full gives them all again.
    proc = _notify(db, url, "--config", str(day2), "--full")
    assert proc.returncode == 3, proc.stderr
    assert got[2]["title"] == "greenstats: 0 new of 5 alerts (3 critical) as of 2026-06-30"
    assert len(_alert_lines(got[2]["message"])) == 5
    assert len(got[2]["message"].splitlines()) == 5


def test_no_alert_sends_nothing_and_an_alert_that_comes_back_is_new(
    alerting_db: Path, healthy_db: Path, tmp_path: Path, receiver: tuple[str, list[dict]]
) -> None:
    url, got = receiver
    state = str(tmp_path / "state.json")
    assert _notify(alerting_db, url, "--state", state).returncode == 3
    proc = _notify(healthy_db, url, "--state", state)  # every condition gone
    assert proc.returncode == 0, proc.stderr
    assert len(got) == 1  # nothing sent when there is no alert
    proc = _notify(alerting_db, url, "--state", state)  # … and back
    assert proc.returncode == 3, proc.stderr
    assert got[1]["title"] == "greenstats: 6 new of 6 alerts (2 critical) as of 2026-06-30"


@pytest.mark.parametrize(
    ("config", "kind"),
    [
        ("", "failure"),  # 4 of the 6 critical
        ("[behind_plan]\ncritical_share = 1.0\n[survival]\nbelow_default_by = 0.06\n"
         "[rejects]\njump = 0.3\n[backlog]\nmax_age_days = 200\n", "warning"),  # none critical
    ],
)  # fmt: skip
def test_the_notify_type_is_failure_with_anything_critical_else_warning(
    alerting_db: Path, tmp_path: Path, receiver: tuple[str, list[dict]], config: str, kind: str
) -> None:
    url, got = receiver
    th = _config(tmp_path, "th", config)
    proc = _notify(alerting_db, url, "--config", str(th), "--state", str(tmp_path / "s.json"))
    assert proc.returncode == 3, proc.stderr
    severities = {a.severity for a in _found(alerting_db, th=alerts.load_config(th))}
    assert ("critical" in severities) == (kind == "failure")
    assert [b["type"] for b in got] == [kind]


def _hostile_state(path: Path, valid: str, case: str) -> None:
    """Write at `path` a state file that must not be taken for the last notification, as the
    case says; `valid` is the state of a notification of every alert to the same URL."""
    if case == "not JSON":
        path.write_text('{"format": "greenstats alerts notified", "alerts": [', encoding="utf-8")
    elif case == "deeply nested":
        path.write_text("[" * 100_000, encoding="utf-8")
    elif case == "a subject that is no text":
        path.write_text(valid.replace('"P1"', '["P1"]', 1), encoding="utf-8")
    elif case == "another program's":
        path.write_text('{"alerts": []}', encoding="utf-8")
    elif case == "huge":  # a valid state, padded past the size read
        path.write_text(valid + " " * alert_state.MAX_BYTES, encoding="utf-8")
    elif case == "a symbolic link":  # to a valid state: followed, nothing would be sent
        target = path.with_name("elsewhere.json")
        target.write_text(valid, encoding="utf-8")
        path.symlink_to(target)
    elif case == "kept for other URLs":
        fingerprint = json.loads(valid)["recipients"]
        path.write_text(valid.replace(fingerprint, "0" * len(fingerprint)), encoding="utf-8")


@pytest.mark.parametrize(
    ("case", "said"),
    [
        ("not JSON", "is not JSON"),
        ("deeply nested", "is not JSON"),
        ("a subject that is no text", "has a subject's value that is not a text"),
        ("another program's", "is not a state of greenstats' notifications"),
        ("huge", "is larger than 8 MB"),
        ("a symbolic link", "is a symbolic link, which is not followed"),
        ("kept for other URLs", "was kept for other --notify URLs"),
    ],
)
def test_a_state_file_not_ours_is_said_and_every_alert_is_sent(
    alerting_db: Path, tmp_path: Path, receiver: tuple[str, list[dict]], case: str, said: str
) -> None:
    url, got = receiver
    found = _found(alerting_db)
    valid = alert_digest.state_json(found, AS_OF, alert_digest.recipients([url]),
                                    datetime(2026, 6, 30, 7, 30))  # fmt: skip
    path = tmp_path / "state.json"
    _hostile_state(path, valid, case)
    proc = _notify(alerting_db, url, "--state", str(path))
    assert proc.returncode == 3, proc.stderr
    warning = proc.stderr.strip()
    assert warning.startswith(f"warning: the notifications' state {path} {said}")
    assert len(warning.splitlines()) == 1
    assert len(_alert_lines(got[0]["message"])) == 6  # no alert dropped
    assert stat.S_ISREG(path.lstat().st_mode)  # replaced by a state of its own, not followed
    kept = alert_digest.read_state(path.read_text(encoding="utf-8"))
    assert set(kept.severities) == {alert_digest.key(a) for a in found}
    if case == "a symbolic link":  # what it pointed at is untouched
        assert path.with_name("elsewhere.json").read_text(encoding="utf-8") == valid


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--state", "s.json"], "--state and --full only apply to a notification"),
        (["--notify", "json://127.0.0.1:9/x", "--link-base", "javascript:alert(1)"],
         "--link-base 'javascript:alert(1)' is not the http(s) address"),
        (["--notify", "json://127.0.0.1:9/x", "--state", "no/such/folder/s.json"],
         "cannot be written (there is no folder no/such/folder): nothing was sent"),
    ],
)  # fmt: skip
def test_a_wrong_state_or_link_base_is_one_sentence_and_exit_2(
    alerting_db: Path, args: list[str], said: str
) -> None:
    proc = run_cli_here("alerts", "--db", str(alerting_db), "--as-of", AS_OF.isoformat(), *args)
    assert proc.returncode == 2
    assert said in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_a_partner_sees_only_its_own_alerts_and_staff_sees_all(alerting_db: Path) -> None:
    with Warehouse(alerting_db).open_snapshot() as r:
        staff = overview.load(r, STAFF, "en").attention
        blue = overview.load(r, Filters(as_of=AS_OF, partner="Blue Coast"), "en").attention
        desert = overview.load(r, Filters(as_of=AS_OF, partner="Desert Green"), "en").attention
        page = projects.load(r, STAFF, "en", None, "P1").project.attention
    assert len(staff.items) == 6
    assert [i.text for i in blue.items] == [
        "eelgrass at Dongchu eelgrass: survival 40% at the latest survey, 10 percentage points "
        "below the species' default of 50%, since the survey of 1 May 2025."
    ]
    texts = " ".join(i.text for i in desert.items)
    assert len(desert.items) == 4  # behind plan, survival falling, data late, backlog
    assert "Dongchu" not in texts
    assert "Blue Coast" not in texts
    assert "area_species" not in texts  # a load's rejected share is for staff only
    # One project's page: that project's alerts, critical first (none of P1's is critical:
    # 4.5 years to its due date, 3 units waiting).
    assert [i.severity for i in page.items] == ["warning", "warning", "warning"]
    assert all("Alxa saxaul belt" in i.text for i in page.items)


def _shown(elements: object) -> list[str]:
    """The texts of Streamlit boxes as a reader reads them (markdown escapes taken off)."""
    return [re.sub(r"\\(.)", r"\1", e.value) for e in elements]


def test_the_pages_draw_needs_attention(alerting_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREENSTATS_DB", str(alerting_db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.query_params["period"] = "All time"
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    with Warehouse(alerting_db).open_snapshot() as r:  # as of today, as the page is
        want = overview.load(r, Filters(), "en").attention.items
        one = projects.load(r, Filters(), "en", None, "P1").project.attention.items
    assert "Needs attention" in [h.value for h in at.subheader]
    # The first five in boxes (critical first), the rest listed under "Show the other 1".
    boxed = want[:5]
    assert _shown(at.error) == [i.text for i in boxed if i.severity == "critical"]
    assert _shown(at.warning) == [i.text for i in boxed if i.severity == "warning"]
    assert len(want) == 6
    (more,) = at.main.expander
    assert more.label == "Show the other 1"
    assert unescaped(more.markdown[0].value).endswith(want[5].text)
    assert "6 alerts" in " ".join(unescaped(m.value) for m in at.markdown)
    at.switch_page("pages/projects.py")
    at.query_params["partner"] = "Desert Green"
    at.query_params["p"] = "Alxa saxaul belt · P1"
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    shown = _shown(at.error) + _shown(at.warning)
    assert sorted(shown) == sorted(i.text for i in one)
    assert all("Alxa saxaul belt" in text for text in shown)


def _link_opens(link: str, base: str) -> AppTest:
    """The dashboard as a new tab opened at `link` (the page its path names, its query)."""
    parts = urlsplit(link)
    assert link.startswith(base)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.switch_page(f"pages/{parts.path.removeprefix(urlsplit(base).path)}.py")
    for key, value in parse_qsl(parts.query, strict_parsing=True):
        assert key not in at.query_params  # one value a key
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.info, [i.value for i in at.info]  # no value of the link was ignored
    return at


def test_each_alert_s_link_opens_the_page_that_shows_its_subject(
    alerting_db: Path,
    tmp_path: Path,
    receiver: tuple[str, list[dict]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, got = receiver
    base = "https://green.example.org/dash/"  # served under a path (server.baseUrlPath)
    proc = _notify(alerting_db, url, "--state", str(tmp_path / "s.json"), "--link-base", base)
    assert proc.returncode == 3, proc.stderr
    links = [line.rsplit(" ", 1)[1] for line in _alert_lines(got[0]["message"])]
    monkeypatch.setenv("GREENSTATS_DB", str(alerting_db))
    opened: dict[str, AppTest] = {}  # two alerts of one project share its page
    for a, link in zip(_found(alerting_db), links, strict=True):
        at = opened.get(link) or opened.setdefault(link, _link_opens(link, base))
        chosen = {s.key: s.value for s in at.selectbox} | {m.key: m.value for m in at.multiselect}
        if a.kind == "backlog_old":  # the Funnel's backlog of that project and species
            assert (chosen["project"], chosen["species"]) == (
                [a.subject["project_id"]], [a.subject["species"]])  # fmt: skip
        elif a.kind == "data_late":  # the partner's projects
            assert (chosen["partner"], chosen["p"]) == (a.subject["partner"], None)
        elif a.kind == "rejects_jump":  # the loads, with that one's rejected rows
            loads = next(d.value for d in at.dataframe if "Load" in d.value.columns)
            row = loads[loads["Load"] == int(a.subject["load_number"])]
            assert list(row["Table"]) == [a.subject["table"]]
            assert list(row["Rejected"]) == [a.numbers["rows_rejected"].value]
        else:  # the project's own page: its pace, its survival by species
            assert chosen["p"] == a.subject["project_id"]
