"""Ingest under random input (hypothesis): rows built from the contract, each value valid or
not, written with random structure (quoting, CRLF and LF, blank lines, GBK lines, broken
lines). Ingest never raises, every good row is loaded, and every other row is rejected at the
physical line it is on."""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from greenstats.data.contract import REGION_CODES
from greenstats.data.pipeline import ingest_folder
from tests import corpus

HEADER = corpus.A
ACTIONS = ("walking", "metro_ride", "e_invoice")  # tests/data/reference_min
SETTINGS = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _good_time(rng: random.Random) -> str:
    day = date(2000, 1, 3) + timedelta(days=rng.randrange((corpus.today() - date(2000, 1, 3)).days))
    at = datetime(day.year, day.month, day.day, rng.randrange(24), rng.randrange(60))
    sep = rng.choice(["T", " "])
    offset = rng.choice(["", "Z", "+08:00", "+0800", "+08", "-05:00", "+14:00", "-12:00"])
    if offset not in ("", "+08:00", "+0800", "+08"):
        at = at.replace(hour=12)  # far from a day's edge, so the China-time day stays in range
    seconds = rng.choice(["", f":{rng.randrange(60):02d}", ":05.123"])
    return at.strftime(f"%Y-%m-%d{sep}%H:%M") + seconds + offset


#: For each column: a valid value, and invalid ones (each breaks one rule of the contract).
def _value(column: str, valid: bool, rng: random.Random, n: int) -> str:
    if column == "event_id":
        # A tab inside an event id is allowed: event ids are never shown (docs/CONTRACT.md).
        if valid:
            return rng.choice([f"e{n}", f" e{n} ", f"e\t{n}"])
        return rng.choice(["", "e" * 1001])
    if column == "user_id":
        return rng.choice(["u1", "u22", "用户甲", "张三"]) if valid else ""
    if column == "occurred_at":
        if valid:
            return _good_time(rng)
        return rng.choice(["1999-06-01 10:00", "0000-01-01 00:00", "9999-12-31 10:00",
                           (corpus.today() + timedelta(days=3)).isoformat() + " 10:00",
                           "2025-03-05T10:00+15:00", "2025-02-30 10:00", "yesterday"])  # fmt: skip
    if column == "action":
        return rng.choice(ACTIONS) if valid else rng.choice(["flying", "Walking", ""])
    if column == "region":
        return rng.choice(REGION_CODES) if valid else rng.choice(["cn-gd", "CN", "CN-ZZ"])
    if column == "energy_g":
        if valid:
            return rng.choice([str(rng.randrange(0, 1_000_001)), "+5", "007", "0", "1000000"])
        return rng.choice(["-1", "1000001", "1.5", "1e3", "9223372036854775807", "x", ""])
    if column == "brand_id":
        return rng.choice(["", "B1", "brand-x"]) if valid else rng.choice(["b\tx", "b" * 1001])
    raise AssertionError(column)


def _line(fields: list[str], rng: random.Random) -> str:
    return ",".join(f'"{f}"' if rng.random() < 0.3 else f for f in fields)


@st.composite
def folders(draw: st.DrawFn) -> tuple[bytes, int, set[int]]:
    """A random actions.csv: its bytes, how many good rows it holds, and the physical lines of
    every row that must be rejected."""
    rng = random.Random(draw(st.integers(0, 2**32)))
    rows = draw(st.integers(0, 60))
    columns = HEADER.split(",")
    out: list[bytes] = [HEADER.encode() + b"\n"]
    good, bad_lines, good_ids = 0, set(), []
    for n in range(rows):
        end = b"\r\n" if rng.random() < 0.3 else b"\n"
        if rng.random() < 0.1:
            out.append(end)  # a blank line: not a row
            continue
        line = len(out) + 1
        kind = rng.random()
        if kind < 0.05:  # a quote left open: this line alone is rejected
            out.append(f'j{n},"u1,2025-03-05 10:00,walking,CN-GD,1,'.encode() + end)
            bad_lines.add(line)
            continue
        if kind < 0.1:  # one field too many
            out.append(f"j{n},u1,2025-03-05 10:00,walking,CN-GD,1,,x".encode() + end)
            bad_lines.add(line)
            continue
        if kind < 0.15:  # a Latin-1 byte that is not GB18030 either
            out.append(f"j{n},caf".encode() + b"\xe9,2025-03-05 10:00,walking,CN-GD,1," + end)
            bad_lines.add(line)
            continue
        if kind < 0.2 and good_ids:  # a good row's id again: a repeat within the file
            fields = [rng.choice(good_ids)] + [_value(c, True, rng, n) for c in columns[1:]]
            out.append(_line(fields, rng).encode() + end)
            bad_lines.add(line)
            continue
        broken = {c for c in columns if rng.random() < 0.08}
        fields = [_value(c, c not in broken, rng, n) for c in columns]
        text = _line(fields, rng)
        encoding = "gbk" if rng.random() < 0.2 else "utf-8"
        out.append(text.encode(encoding) + end)
        if broken:
            bad_lines.add(line)
        else:
            good += 1
            good_ids.append(fields[0].strip())
    if out and rng.random() < 0.3:
        out[-1] = out[-1].rstrip(b"\r\n")  # no line end after the last row
    return b"".join(out), good, bad_lines


@SETTINGS
@given(case=folders())
def test_random_rows_load_every_good_row_and_reject_the_rest(
    case: tuple[bytes, int, set[int]], tmp_path_factory
) -> None:
    data, good, bad_lines = case
    root = tmp_path_factory.mktemp("fuzz")
    (root / "in").mkdir()
    (root / "in" / "actions.csv").write_bytes(data)
    result = ingest_folder(root / "in", root / "wh", corpus.REFERENCE_MIN)
    (report,) = result.reports
    assert report.refused is None
    assert report.accepted == good
    assert report.rejected == len(bad_lines)
    with duckdb.connect(str(result.snapshot.path), read_only=True) as con:
        lines = {r[0] for r in con.execute("SELECT line FROM rejects").fetchall()}
        loaded = con.execute("SELECT coalesce(sum(count_actions), 0) FROM mart_actions_daily")
        assert loaded.fetchone()[0] == good
    assert lines == bad_lines


@SETTINGS
@given(
    data=st.binary(max_size=400),
    lines=st.lists(st.binary(max_size=60), max_size=20),
)
def test_random_bytes_never_raise(data: bytes, lines: list[bytes], tmp_path_factory) -> None:
    """Arbitrary bytes after a good header, and as a whole file: the file is read or refused,
    never a crash, and every row read is accounted for."""
    root = tmp_path_factory.mktemp("bytes")
    folder = root / "in"
    (folder / "actions").mkdir(parents=True)
    (folder / "actions" / "a.csv").write_bytes(HEADER.encode() + b"\n" + b"\n".join(lines))
    (folder / "actions" / "b.csv").write_bytes(data)
    (folder / "actions" / "c.parquet").write_bytes(data)
    result = ingest_folder(folder, root / "wh", corpus.REFERENCE_MIN)
    for r in result.reports:
        assert r.rows_read == r.accepted + r.already_loaded + r.rejected
    assert result.reports[0].refused is None


@SETTINGS
@given(energy=st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), max_size=30))
def test_random_parquet_numbers(energy: list[float], tmp_path_factory) -> None:
    """energy_g as a Parquet DOUBLE: a value loads exactly when it is finite, whole and within
    0 to 1,000,000."""
    root = tmp_path_factory.mktemp("pq")
    folder = root / "in"
    (folder / "actions").mkdir(parents=True)
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t (event_id VARCHAR, user_id VARCHAR, occurred_at TIMESTAMPTZ, "
        "action VARCHAR, region VARCHAR, energy_g DOUBLE)"
    )
    for i, v in enumerate(energy):
        con.execute(
            "INSERT INTO t VALUES (?, 'u1', TIMESTAMPTZ '2025-03-05 10:00:00+08', 'walking', "
            "'CN-GD', ?)",
            [f"e{i}", v],
        )
    target = str(folder / "actions" / "p.parquet").replace("'", "''")
    con.execute(f"COPY t TO '{target}' (FORMAT parquet)")
    con.close()
    result = ingest_folder(folder, root / "wh", corpus.REFERENCE_MIN)
    good = [v for v in energy if math.isfinite(v) and v == int(v) and 0 <= v <= 1_000_000]
    (report,) = result.reports
    assert (report.accepted, report.rejected) == (len(good), len(energy) - len(good))
