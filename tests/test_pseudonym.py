"""User ids never reach the disk (issue 15): the key, the keyed hash in DuckDB against Python's
hmac, every file an ingest writes searched for the raw ids of its input, and counts unchanged.

Real DuckDB and real ingests throughout; the raw ids are distinctive ('uid-SECRET-LEAK…') so
that a search of the bytes and of every value finds any copy of one.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from greenstats.data import pseudonym
from greenstats.data.pipeline import ingest_folder
from greenstats.data.warehouse import Warehouse, WarehouseError
from tests import handbuilt
from tests.conftest import ROOT, run_cli, summary_json

KEY_A = "test-key-A-0123456789abcdef"
KEY_B = "another key, not hex: 用户密钥 0042"
MARK = "SECRET-LEAK"


# --- the key --------------------------------------------------------------------------------


def test_the_key_comes_from_the_environment_first(tmp_path: Path) -> None:
    key = pseudonym.user_key({pseudonym.ENV_VAR: f"  {KEY_A}\n"}, tmp_path / "user_key")
    assert key.secret == KEY_A.encode()  # used as its text, stripped: not decoded as hex
    assert key.source == pseudonym.ENV_VAR
    assert not (tmp_path / "user_key").exists()  # no file made when the environment has one
    assert KEY_A not in repr(key)


def test_without_the_environment_a_key_file_is_made_once_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "data" / "user_key"
    first = pseudonym.user_key({}, path)
    text = path.read_text().strip()
    assert re.fullmatch("[0-9a-f]{64}", text)  # secrets.token_hex(32)
    assert path.stat().st_mode & 0o077 == 0  # its owner's only
    assert first.secret == text.encode()
    again = pseudonym.user_key({}, path)
    assert again.secret == first.secret
    assert again.fingerprint == first.fingerprint


def test_processes_that_make_the_key_file_at_once_agree_on_one(tmp_path: Path) -> None:
    path = tmp_path / "user_key"
    keys: list[bytes] = []
    start = threading.Barrier(8)  # all eight find no key file, then each makes one

    def make() -> None:
        start.wait()
        keys.append(pseudonym.user_key({}, path).secret)

    threads = [threading.Thread(target=make) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(keys) == 8
    assert len(set(keys)) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["user_key"]  # no temporary file left


def test_a_short_or_unreadable_key_is_refused_with_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(pseudonym.UserKeyError, match="at least 16"):
        pseudonym.user_key({pseudonym.ENV_VAR: "short"}, tmp_path / "k")
    (tmp_path / "k").write_text("tiny\n")
    with pytest.raises(pseudonym.UserKeyError, match="at least 16"):
        pseudonym.user_key({}, tmp_path / "k")
    # A folder that cannot hold the key file (here: a file where the folder should be).
    (tmp_path / "f").write_text("")
    with pytest.raises(pseudonym.UserKeyError, match=pseudonym.ENV_VAR):
        pseudonym.user_key({}, tmp_path / "f" / "user_key")


# --- 1. the keyed hash in DuckDB is Python's HMAC -------------------------------------------


def _random_ids(rng: random.Random, n: int) -> list[str]:
    alphabets = [
        "abcdefghijklmnopqrstuvwxyz0123456789-_",
        "用户微信支付宝绿色能量北京上海广州深圳",
        "éüßøΩЖя🌳🚇€ '\"\\,;",
    ]
    out = []
    for i in range(n):
        chars = alphabets[i % 3] + alphabets[0]
        out.append("".join(rng.choice(chars) for _ in range(rng.randint(1, 80))))
    return out


@pytest.mark.parametrize(
    "secret",
    [KEY_A, KEY_B, "k" * 64, "k" * 65, "long key " * 40 + "end"],
    ids=lambda s: str(len(s)),
)
def test_the_sql_hash_is_hmac_sha256_cut_to_64_bits(secret: str) -> None:
    key = pseudonym.user_key({pseudonym.ENV_VAR: secret})
    ids = [*_random_ids(random.Random(len(secret)), 3_000), "u1", "用户一", "a" * 5000, ""]
    con = duckdb.connect()
    pseudonym.install(con, key)
    got = con.execute(
        f"SELECT i, {pseudonym.sql('v')}, {pseudonym.hex_sql('v')} "
        "FROM unnest(?::VARCHAR[]) WITH ORDINALITY AS t(v, i) ORDER BY i",
        [[v.strip(" \t\r\n") for v in ids]],
    ).fetchall()
    # The stored pseudonym is the HMAC's first 64 bits as a signed integer (issue 28); shown as
    # text, the same bits as 16 hex characters. Python's hash of each distinct id (the map a
    # Parquet file's ids go through) gives the same integers as DuckDB's, row by row.
    many = pseudonym.Pseudonyms(key).of([v.strip(" \t\r\n") for v in ids])
    for (_, h, h_hex), raw, mapped in zip(got, ids, many, strict=True):
        expected = hmac.new(secret.encode(), raw.strip().encode(), hashlib.sha256).digest()
        assert h == int.from_bytes(expected[:8], "big", signed=True) == key.pseudonym(raw)
        assert h == mapped
        assert h_hex == expected[:8].hex() == key.pseudonym_hex(raw)
        assert h == key.pseudonym(f"  {raw}\t")  # spaces and tabs at either end are trimmed
    assert any(h < 0 for _, h, _ in got)  # the top bit set: the sign, read as a bit
    assert any(h > 0 for _, h, _ in got)
    assert con.execute(f"SELECT {pseudonym.sql('NULL::VARCHAR')}").fetchone()[0] is None
    # The key is in no SQL text: the SQL names variables, and they hold the pads, not the key.
    assert secret not in pseudonym.sql("v")


@pytest.mark.parametrize("share", [None, 0.0], ids=["map of distinct ids", "row by row"])
def test_a_parquet_files_ids_are_the_same_pseudonyms_by_map_or_row_by_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, share: float | None
) -> None:
    """Issue 28: a Parquet file's distinct ids are hashed once each, in Python, and joined;
    a map larger than its share of DuckDB's memory is not built, and the ids are hashed row by
    row in SQL. Both store each id's pseudonym, its canonical form's (spaces, BOM, `9.0`)."""
    from greenstats.data.ingest import loader, users

    monkeypatch.setenv(pseudonym.ENV_VAR, KEY_A)
    if share is not None:
        monkeypatch.setattr(users, "MAP_SHARE", share)
    taken: list[bool] = []  # whether each file's map was built

    def register(*args: object) -> bool:
        taken.append(users.register_map(*args))
        return taken[-1]

    monkeypatch.setattr(loader, "register_map", register)
    raw = ["u1", " u1", "\ufeffu1", "用户", "7.0", "7", *[f"id-{i}" for i in range(40)]]
    folder = tmp_path / "in"
    (folder / "actions").mkdir(parents=True)
    duckdb.connect().execute(
        "COPY (SELECT 'e' || i AS event_id, u AS user_id, TIMESTAMPTZ '2025-01-10 10:00+08' "
        "AS occurred_at, 'walking' AS action, 'CN-GD' AS region, 10 AS energy_g, "
        "NULL::VARCHAR AS brand_id FROM unnest(?::VARCHAR[]) WITH ORDINALITY t(u, i)) TO "
        f"'{folder / 'actions' / 'a.parquet'}'",
        [raw],
    )
    ingest_folder(folder, tmp_path / "wh")
    assert taken == [share is None]
    key = pseudonym.user_key({pseudonym.ENV_VAR: KEY_A})
    with Warehouse(tmp_path / "wh").open_snapshot() as r:
        stored = r.rows(
            "SELECT event_id, user_id FROM read_parquet(?::VARCHAR[]) ORDER BY event_id",
            [r.lake_paths("actions")],
        )
    expected = sorted((f"e{i}", key.pseudonym(u)) for i, u in enumerate(raw, start=1))
    assert stored == expected
    assert len({u for _, u in stored}) == len(raw) - 3  # u1 three times, 7 twice


# --- 2. nothing the ingest wrote holds a raw user id ----------------------------------------

ACTIONS_HEAD = "event_id,user_id,occurred_at,action,region,energy_g,brand_id"
ACTIONS = f"""\
{ACTIONS_HEAD}
e01,uid-SECRET-LEAK01,2025-01-10 10:00,walking,CN-GD,100,
e02,  uid-SECRET-LEAK02 ,2025-01-10 11:00,walking,CN-GD,100,
e03,用户-SECRET-LEAK03,2025-01-10 12:00,metro_ride,CN-BJ,52,brand-metro
e04,uid-SECRET-LEAK04,2025-01-10 10:00,walking,CN-GD,-5,
e05,uid-SECRET-LEAK05,2025-01-10 10:00,walking,CN-GD,abc,
e06,2025-01-10 10:00,uid-SECRET-LEAK06,walking,CN-GD,100,
e07,x7,2025-01-10 10:00,walking,uid-SECRET-LEAK07,100,
e08,x8,2025-01-10 10:00,walking,CN-GD,uid-SECRET-LEAK08,
e09,uid-SECRET-LEAK09{"x" * 1000},2025-01-10 10:00,walking,CN-GD,100,
e10,uid-SECRET-LEAK10,2025-01-10 10:00,walking,CN-GD,100,,extra
e11,x11,2025-01-10 10:00,uid-SECRET-LEAK11,CN-GD,100,
e01,uid-SECRET-LEAK12,2025-01-10 10:00,walking,CN-GD,100,
e13,uid-SECRET-LEAK13,2099-01-10 10:00,walking,CN-GD,100,
e14,uid-SECRET-LEAK01,2025-01-11 10:00,walking,CN-GD,100,
e15,uid-SECRET-LEAK15
e16,x16,2025-01-10 10:00,walking,CN-GD,100,uid-SECRET-LEAK16\x01
"""
# Accepted: e01, e02, e03, e14 (the users LEAK01 twice, LEAK02, LEAK03). Every other line is
# rejected: a bound (e04, e13), a type (e05, e06, e08), a code (e07, e11), a length (e09),
# a duplicate (the second e01), too many or too few fields (e10, e15), a control character
# (e16). Lines e06-e08, e11 and e16 hold a user id shifted into another column.

# A file DuckDB's reader does not read (a quote that never closes): read row by row. Line 5's
# quote is rejected alone; p01 and p05 are accepted.
ACTIONS_PART = f"""\
{ACTIONS_HEAD}
p01,uid-SECRET-LEAK21,2025-02-10 10:00,walking,CN-GD,100,
p02,uid-SECRET-LEAK22,2025-02-10 10:00,walking,CN-GD,100,,too,many
p03,uid-SECRET-LEAK23,2025-02-10 10:00,walking,CN-GD,-1,
p04,"uid-SECRET-LEAK24,2025-02-10 10:00,walking,CN-GD,100,
p05,uid-SECRET-LEAK25,2025-02-10 10:00,walking,CN-GD,100,
"""

REDEMPTIONS = """\
redemption_id,user_id,redeemed_at,project_id,species,units,energy_g
r1,uid-SECRET-LEAK31,2025-01-12 10:00,P1,saxaul,1,17900
r2,uid-SECRET-LEAK32,2025-01-12 10:00,P1,saxaul,0,17900
r3,x3,2025-01-12 10:00,uid-SECRET-LEAK33,saxaul,1,17900
r4,x4,2025-01-12 10:00,P1,uid-SECRET-LEAK34,1,17900
r5,uid-SECRET-LEAK35
r6,uid-SECRET-LEAK01,2025-01-13 10:00,P1,saxaul,1,17900
"""

PROJECTS = """\
project_id,name,partner,kind,region,lat,lon,started_on
P1,Alxa saxaul belt,Desert Green,afforestation,CN-NM,39.2,105.6,2020-03-01
"""

# Typed Parquet rows: one accepted, one with a user id in its region.
PARQUET_ROWS = [
    ("q1", "uid-SECRET-LEAK41", "2025-03-01 02:00:00+00", "walking", "CN-GD", 100, None),
    ("q2", "x42", "2025-03-01 02:00:00+00", "walking", "uid-SECRET-LEAK42", 100, None),
]

# Numeric user ids (Alipay's are 16 digits), which a number's bound must not let through:
# a Parquet file whose user_id is a DOUBLE (pandas writes integer ids so when one is missing),
# and a CSV file whose header names user_id and energy_g in each other's place. Row n2 was
# written for the real order: its user id lands in energy_g, breaks its bound and is rejected.
# Row n3 was written for the header as it stands: accepted, its user id hashed.
NUMERIC = "20881234567890"  # the start of every numeric id: searched for like MARK
NUMERIC_PARQUET_ROWS = [("n1", 2088123456789001.0, "2025-03-02 02:00:00+00", "walking", "CN-GD",
                         100, None)]  # fmt: skip
SWAPPED = """\
event_id,energy_g,occurred_at,action,region,user_id,brand_id
n2,2088123456789002,2025-01-10 10:00,walking,CN-GD,100,
n3,100,2025-01-10 10:00,walking,CN-GD,2088123456789003,
"""

ACCEPTED_USERS = {
    "uid-SECRET-LEAK01", "uid-SECRET-LEAK02", "用户-SECRET-LEAK03", "uid-SECRET-LEAK21",
    "uid-SECRET-LEAK25",
    "uid-SECRET-LEAK31", "uid-SECRET-LEAK41", "2088123456789001", "2088123456789003",
}  # fmt: skip


def _leaky_folder(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "projects.csv").write_text(PROJECTS, encoding="utf-8")
    (folder / "actions.csv").write_text(ACTIONS, encoding="utf-8")
    (folder / "redemptions.csv").write_text(REDEMPTIONS, encoding="utf-8")
    (folder / "actions").mkdir()
    (folder / "actions" / "part.csv").write_text(ACTIONS_PART, encoding="utf-8")
    con = duckdb.connect()
    con.execute(
        """CREATE TABLE t (event_id VARCHAR, user_id VARCHAR, occurred_at TIMESTAMPTZ,
           action VARCHAR, region VARCHAR, energy_g BIGINT, brand_id VARCHAR)"""
    )
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)", PARQUET_ROWS)
    con.execute(f"COPY t TO '{folder / 'actions' / 'q.parquet'}' (FORMAT parquet)")
    con.execute("CREATE OR REPLACE TABLE t AS SELECT * REPLACE (NULL::DOUBLE AS user_id) FROM t "
                "LIMIT 0")  # fmt: skip
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)", NUMERIC_PARQUET_ROWS)
    con.execute(f"COPY t TO '{folder / 'actions' / 'numeric.parquet'}' (FORMAT parquet)")
    con.close()
    (folder / "actions" / "swapped.csv").write_text(SWAPPED, encoding="utf-8")
    return folder


def _every_value(con: duckdb.DuckDBPyConnection, source: str) -> str:
    """Every value of a table or file, as text, one row a line."""
    rows = con.execute(f"SELECT COLUMNS(*)::VARCHAR FROM {source}").fetchall()
    return "\n".join("\t".join(map(str, row)) for row in rows)


def _written_text(root: Path) -> dict[str, str]:
    """What each file under a warehouse holds: its bytes (as text, errors replaced), and for a
    Parquet file or a DuckDB database every value of every table, read by DuckDB (both store
    text compressed, so their bytes alone would not show a copy)."""
    out: dict[str, str] = {}
    con = duckdb.connect()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        text = path.read_bytes().decode("utf-8", errors="replace")
        if path.suffix == ".parquet":
            text += _every_value(con, f"read_parquet('{path}', hive_partitioning = false)")
        elif path.suffix == ".duckdb":
            con.execute(f"ATTACH '{path}' AS s (READ_ONLY)")
            tables = con.execute(
                "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 's'"
            ).fetchall()
            assert {"rejects", "loads", "snapshot_info", "mart_users_first"} <= {
                t for _, t in tables
            }
            for schema, table in tables:
                text += _every_value(con, f's."{schema}"."{table}"')
            con.execute("DETACH s")
        else:
            assert path.suffix in ("", ".npy", ".lock"), f"a file of an unknown kind: {path}"
        out[str(path.relative_to(root))] = text
    con.close()
    return out


@pytest.fixture(scope="module")
def leaky(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[str]]:
    """The folder of ids in every place, loaded by the CLI under KEY_A; what the CLI printed."""
    root = tmp_path_factory.mktemp("leaky")
    folder, db = _leaky_folder(root / "in"), root / "wh"
    mp = pytest.MonkeyPatch()
    mp.setenv(pseudonym.ENV_VAR, KEY_A)
    try:
        ingest = run_cli("ingest", str(folder), "--db", str(db))
        assert ingest.returncode == 0, ingest.stdout + ingest.stderr
        shown = [ingest.stdout + ingest.stderr]
        for args in (["rejects", "--db", str(db), "--json"], ["rejects", "--db", str(db)]):
            proc = run_cli(*args)
            assert proc.returncode == 0, proc.stderr
            shown.append(proc.stdout + proc.stderr)
    finally:
        mp.undo()
    return folder, db, shown


def test_the_input_holds_the_ids_the_search_looks_for(leaky) -> None:
    folder, _, _ = leaky
    text = "".join(p.read_text("utf-8") for p in folder.rglob("*.csv"))
    assert text.count(MARK) == 16 + 5 + 6
    assert MARK.encode() in (folder / "actions" / "q.parquet").read_bytes()


def test_no_file_the_ingest_wrote_holds_a_raw_user_id(leaky) -> None:
    _, db, _ = leaky
    written = _written_text(db)
    assert any(k.startswith("lake/actions/") for k in written)
    assert any(k.startswith("snapshots/") for k in written)
    leaks = {name: text.count(MARK) for name, text in written.items() if MARK in text}
    assert not leaks
    numeric = {name: text.count(NUMERIC) for name, text in written.items() if NUMERIC in text}
    assert not numeric
    # Nor cut short: no file holds the start of one either.
    assert not [name for name, text in written.items() if "uid-SECRET" in text or "用户-" in text]


def test_nothing_the_cli_printed_holds_a_raw_user_id(leaky) -> None:
    _, _, shown = leaky
    for text in shown:
        assert MARK not in text
        assert "uid-SECRET" not in text
        assert NUMERIC not in text
    records = json.loads(shown[1])["rejects"]
    assert records  # the rejects were listed, only without the ids


def test_the_lake_holds_each_user_ids_pseudonym(leaky) -> None:
    _, db, _ = leaky
    key = pseudonym.user_key({pseudonym.ENV_VAR: KEY_A})
    with Warehouse(db).open_snapshot() as r:
        stored = {
            row[0]
            for table in ("actions", "redemptions")
            for row in r.rows(
                "SELECT DISTINCT user_id FROM read_parquet(?::VARCHAR[])", [r.lake_paths(table)]
            )
        }
        assert r.scalar("SELECT value FROM snapshot_info WHERE key = 'user_key_id'") == (
            key.fingerprint
        )
    assert stored == {key.pseudonym(u) for u in ACCEPTED_USERS}
    assert all(isinstance(u, int) for u in stored)


def test_a_rejected_value_is_hidden_unless_it_is_a_date_or_a_time(leaky) -> None:
    _, db, _ = leaky
    key = pseudonym.user_key({pseudonym.ENV_VAR: KEY_A})
    with Warehouse(db).open_snapshot() as r:
        rejects = r.rows(
            "SELECT file, line, column_name, rule, value FROM rejects ORDER BY file, line"
        )
    got = {(f, line): (c, rule, v) for f, line, c, rule, v in rejects}

    def hidden(raw: str) -> str:
        return f"(hidden: {key.pseudonym_hex(raw)})"

    line = pseudonym.LINE_HIDDEN
    assert got == {
        ("actions.csv", 5): ("energy_g", "below_min", hidden("-5")),
        ("actions.csv", 6): ("energy_g", "not_int", hidden("abc")),
        ("actions.csv", 7): ("occurred_at", "not_timestamp", hidden("uid-SECRET-LEAK06")),
        ("actions.csv", 8): ("region", "unknown_regions", hidden("uid-SECRET-LEAK07")),
        ("actions.csv", 9): ("energy_g", "not_int", hidden("uid-SECRET-LEAK08")),
        ("actions.csv", 10): ("user_id", "too_long", hidden("uid-SECRET-LEAK09" + "x" * 1000)),
        ("actions.csv", 11): (None, "too_many_fields", line),
        ("actions.csv", 12): ("action", "unknown_actions", hidden("uid-SECRET-LEAK11")),
        ("actions.csv", 13): ("event_id", "duplicate_key", "e01"),
        ("actions.csv", 14): ("occurred_at", "too_late", "2099-01-10 10:00"),
        ("actions.csv", 16): (None, "too_few_fields", line),
        ("actions.csv", 17): ("brand_id", "control_char", hidden("uid-SECRET-LEAK16\x01")),
        ("actions/part.csv", 3): (None, "too_many_fields", line),
        ("actions/part.csv", 4): ("energy_g", "below_min", hidden("-1")),
        ("actions/part.csv", 5): (None, "unclosed_quote", line),
        ("actions/q.parquet", 2): ("region", "unknown_regions", hidden("uid-SECRET-LEAK42")),
        # A numeric user id in energy_g (a swapped header) breaks a number's bound: hidden too.
        ("actions/swapped.csv", 2): ("energy_g", "above_max", hidden("2088123456789002")),
        ("redemptions.csv", 3): ("units", "not_above", hidden("0")),
        ("redemptions.csv", 4): ("project_id", "unknown_projects", hidden("uid-SECRET-LEAK33")),
        ("redemptions.csv", 5): ("species", "unknown_species", hidden("uid-SECRET-LEAK34")),
        ("redemptions.csv", 6): (None, "too_few_fields", line),
    }
    assert all(pseudonym.is_hidden(v) for c, _, v in got.values() if v.startswith("("))


# --- 3 and 4. counts are those of the raw ids, under any key --------------------------------


def _accepted_raw_users(folder: Path, db: Path) -> set[str]:
    """The distinct raw user ids of the accepted actions, worked out from the input files: the
    first row of each event id that reached the lake (a repeat of a key is rejected)."""
    first: dict[str, str] = {}
    rows = list(csv.reader(io.StringIO((folder / "actions.csv").read_text("utf-8"))))[1:]
    for row in rows:
        if len(row) == 7:
            first.setdefault(row[0], row[1].strip())
    for event, user, *_ in handbuilt.ACTIONS_PARQUET_ROWS:
        first.setdefault(event, user)
    with Warehouse(db).open_snapshot() as r:
        events = [e for (e,) in r.rows(
            "SELECT event_id FROM read_parquet(?::VARCHAR[])", [r.lake_paths("actions")]
        )]  # fmt: skip
    return {first[e] for e in events}


def test_users_active_is_the_count_of_distinct_raw_ids(
    handbuilt_folder: Path, handbuilt_db: Path
) -> None:
    raw = _accepted_raw_users(handbuilt_folder, handbuilt_db)
    assert raw == {"u1", "u2", "u3", "u4", "u5", "u7", "u8"}
    got = summary_json(handbuilt_db, "--as-of", handbuilt.AS_OF.isoformat())
    assert got["users_active"] == len(raw)
    with Warehouse(handbuilt_db).open_snapshot() as r:
        stored = {u for (u,) in r.rows(
            "SELECT DISTINCT user_id FROM read_parquet(?::VARCHAR[])", [r.lake_paths("actions")]
        )}  # fmt: skip
    assert not stored & raw
    assert len(stored) == len(raw)


def test_another_key_gives_other_ids_and_the_same_counts(
    handbuilt_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored, counts = {}, {}
    for name, secret in (("a", KEY_A), ("b", KEY_B)):
        monkeypatch.setenv(pseudonym.ENV_VAR, secret)
        ingest_folder(handbuilt_folder, tmp_path / name, handbuilt.REFERENCE_MIN)
        key = pseudonym.user_key()
        with Warehouse(tmp_path / name).open_snapshot() as r:
            stored[name] = {u for (u,) in r.rows(
                "SELECT DISTINCT user_id FROM read_parquet(?::VARCHAR[])",
                [r.lake_paths("actions")],
            )}  # fmt: skip
        assert stored[name] == {key.pseudonym(u) for u in ("u1", "u2", "u3", "u4", "u5", "u7",
                                                           "u8")}  # fmt: skip
        counts[name] = summary_json(tmp_path / name, "--as-of", handbuilt.AS_OF.isoformat())
    assert not stored["a"] & stored["b"]
    assert counts["a"] == counts["b"]
    assert counts["a"]["users_active"] == 7


def test_a_load_with_another_key_into_the_same_warehouse_is_refused(
    handbuilt_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "wh"
    monkeypatch.setenv(pseudonym.ENV_VAR, KEY_A)
    first = ingest_folder(handbuilt_folder, db, handbuilt.REFERENCE_MIN).snapshot
    monkeypatch.setenv(pseudonym.ENV_VAR, KEY_B)
    with pytest.raises(WarehouseError, match="another key"):
        ingest_folder(handbuilt_folder, db)
    assert Warehouse(db).current().path == first.path  # nothing was published
    monkeypatch.setenv(pseudonym.ENV_VAR, KEY_A)
    assert ingest_folder(handbuilt_folder, db).snapshot.path != first.path


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_methodology_page_shows_neither_an_id_nor_its_hash(leaky, lang: str) -> None:
    from greenstats.metrics.filters import Filters
    from greenstats.metrics.queries import intake
    from greenstats.screens import methodology
    from greenstats.ui.i18n import t

    _, db, _ = leaky
    with Warehouse(db).open_snapshot() as r:
        frame = intake.rejects_by_reason(r, Filters())
    shown = methodology.rejects_table(frame, lang).to_csv()
    assert MARK not in shown
    assert "(hidden" not in shown
    assert "(line hidden" not in shown
    assert t("method.value_hidden", lang) in shown
    assert re.search(r": 2099-01-10 10:00", shown)  # a time that broke a bound
    assert NUMERIC not in shown


def test_a_snapshot_from_before_pseudonyms_is_still_masked_by_rule() -> None:
    """A rejects table built before ingest hid values: a user id shifted into a column that
    broke a code rule is not shown; a bound's value is."""
    from greenstats.screens import methodology

    hidden = methodology._shown_value("actions", "region", "uid-SECRET-LEAK07", "en",
                                      "unknown_regions")  # fmt: skip
    assert MARK not in hidden
    assert methodology._shown_value("actions", "region", "CN-ZZ", "en", None) == hidden
    assert methodology._shown_value("actions", "occurred_at", "2099-01-10 10:00", "en",
                                    "too_late") == "2099-01-10 10:00"  # fmt: skip
    # A number out of bounds may be a numeric user id (a swapped header): not shown.
    numeric = methodology._shown_value("actions", "energy_g", "2088123456789002", "en", "above_max")
    assert numeric == hidden
    assert methodology._shown_value("projects", "kind", "orchard", "en", "x") == "orchard"


# --- 5. nor does DuckDB's spill folder ------------------------------------------------------

SPILL_MARK = b"SPILL-LEAK"


def test_a_load_killed_while_spilling_leaves_no_raw_user_id_on_disk(tmp_path: Path) -> None:
    """Issue 26, 5: under a 40 MB memory limit an 800,000-row load spills to <db>/tmp/spill,
    and its spill files held the raw ids (a CSV file is read into a table first), left there
    by a kill until the next writer. The ids are now hashed as they are read; the spill folder
    is its owner's only and emptied by the next writer before anything else."""
    folder, db = tmp_path / "in", tmp_path / "wh"
    (folder / "actions").mkdir(parents=True)
    with (folder / "actions" / "big.csv").open("w", encoding="utf-8") as out:
        out.write(ACTIONS_HEAD + "\n")
        for i in range(800_000):
            out.write(f"e{i},uid-SPILL-LEAK{i:07d},2025-0{1 + i % 9}-05 10:00,walking,CN-GD,"
                      f"{i % 300},\n")  # fmt: skip
    env = {**os.environ, "GREENSTATS_MEMORY_LIMIT": "40MB", pseudonym.ENV_VAR: KEY_A}
    proc = subprocess.Popen(
        [sys.executable, "-m", "greenstats", "ingest", str(folder), "--db", str(db)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    spill = db / "tmp" / "spill"
    spilled: list[bytes] = []
    deadline = time.monotonic() + 300
    try:
        while proc.poll() is None and not spilled and time.monotonic() < deadline:
            for path in spill.glob("*"):
                try:
                    data = path.read_bytes()
                except OSError:
                    continue  # removed as it was read
                if data.strip(b"\0"):
                    spilled.append(data)
            time.sleep(0.02)
    finally:
        proc.kill()
        proc.wait()
    assert spilled, "the load never spilled: nothing was tested"
    assert not [d for d in spilled if SPILL_MARK in d]
    left = [p for p in spill.rglob("*") if p.is_file()]
    assert left  # the kill left its spill files behind, as it did before
    assert spill.stat().st_mode & 0o777 == 0o700
    for path in db.rglob("*"):
        if path.is_file():
            assert SPILL_MARK not in path.read_bytes(), path
    # The next writer empties the folder before it does anything else.
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    (tiny / "actions.csv").write_text(ACTIONS_HEAD + "\nt1,u1,2025-01-10 10:00,walking,CN-GD,1,\n")
    mp = pytest.MonkeyPatch()
    mp.setenv(pseudonym.ENV_VAR, KEY_A)
    try:
        assert run_cli("ingest", str(tiny), "--db", str(db)).returncode == 0
    finally:
        mp.undo()
    assert not list(spill.iterdir())
