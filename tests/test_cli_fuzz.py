"""The command line under arguments drawn by Hypothesis: dates, regions, numbers and paths
for `summary`, `rejects`, `info` and `ingest`, and access files for `access check`. Whatever it
is given, a command exits with a
documented code (0, 1 or 2: README, "Your own data"), never a traceback; an exit 1 says why in
one sentence, and a command that only reads creates nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from greenstats.data.contract import REGION_CODES
from tests import ops
from tests.conftest import ROOT
from tests.test_faults import truncated_snapshot

FUZZ = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

#: Folders and files of the sandbox the commands are pointed at (relative to it).
WAREHOUSES = ("wh", "[/x] wh", "仓库 wh", "broken", "afile", "empty", "missing", "scratch/new")
INPUTS = ("missing", "afile", "empty", "unknown-files", "wh")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder holding a good warehouse (under three names), a broken one, a file, an empty
    folder and a folder of files that name no table; the commands run from inside it, so a
    relative path drawn at random lands in it."""
    root = tmp_path_factory.mktemp("fuzz")
    good, _ = ops.base_warehouse(root / "data")
    for name in ("wh", "[/x] wh", "仓库 wh", "broken"):
        ops.copy(good, root / name)
    truncated_snapshot(root / "broken")
    (root / "afile").write_text("not a folder\n")
    (root / "empty").mkdir()
    unknown = root / "unknown-files"
    unknown.mkdir()
    for name in ("[bold].csv", "données.csv", "Actions.CSV", ".hidden.csv"):
        (unknown / name).write_text("a,b\n1,2\n")
    (root / "scratch").mkdir()
    cwd = Path.cwd()
    os.chdir(root)
    try:
        yield root
    finally:
        os.chdir(cwd)


def _listing(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if ".lock" not in p.name}


def _check(args: list[str]) -> tuple[int, str, str]:
    code, out, err = ops.cli(*args)
    event(f"{args[0]} exit {code}")
    assert code in (0, 1, 2), (args, code, err)
    assert "Traceback" not in out + err, (args, err)
    if code == 1:
        ops.one_sentence(err)
    if code == 2:
        assert "Usage:" in err, (args, err)
    return code, out, err


texts = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=14)
dates = st.one_of(
    st.dates(date(2024, 1, 1), date(2026, 12, 31)).map(lambda d: d.isoformat()),
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(["2025-02-29", "2024-02-29", "2025-13-01", "2025-1-1", "20250101",
                     "2025-W01-1", "0001-01-01", "9999-12-31", " 2025-01-01", "", "-"]),
    texts,
)  # fmt: skip
regions = st.lists(st.one_of(st.sampled_from(sorted(REGION_CODES)), texts), max_size=3)
#: Relative paths that stay inside the sandbox (no '..', no '/' or '~' in front).
relative = texts.filter(lambda t: t.strip(". /") and ".." not in t and t[0] not in "/~")
warehouses = st.one_of(st.just("wh"), st.sampled_from(WAREHOUSES), relative)


@FUZZ
@given(
    db=warehouses,
    date_from=st.none() | dates,
    date_to=st.none() | dates,
    as_of=st.none() | dates,
    region=regions,
    as_json=st.booleans(),
)
def test_summary_under_drawn_arguments(
    sandbox: Path, db, date_from, date_to, as_of, region, as_json
) -> None:
    before = _listing(sandbox)
    args = ["summary", "--db", db]
    for option, value in (("--from", date_from), ("--to", date_to), ("--as-of", as_of)):
        if value is not None:
            args += [option, value]
    for code in region:
        args += ["--region", code]
    code, out, _ = _check([*args, *(["--json"] if as_json else [])])
    if code == 0 and as_json:
        assert out.strip().startswith("{")
    assert _listing(sandbox) == before


@FUZZ
@given(
    db=warehouses,
    limit=st.none() | st.integers(-(2**70), 2**70).map(str) | texts,
    as_json=st.booleans(),
    command=st.sampled_from(["rejects", "info"]),
)
def test_rejects_and_info_under_drawn_arguments(sandbox: Path, db, limit, as_json, command) -> None:
    before = _listing(sandbox)
    args = [command, "--db", db]
    if command == "rejects":
        args += [*(["--limit", limit] if limit is not None else []), *(["--json"] * as_json)]
    _check(args)
    assert _listing(sandbox) == before


@settings(FUZZ, max_examples=30)
@given(folder=st.one_of(st.sampled_from(INPUTS), relative), db=warehouses)
def test_ingest_under_drawn_arguments(sandbox: Path, folder, db) -> None:
    """Into a good warehouse only from folders that add nothing, and a new one only under
    scratch/: the sandbox stays as it is."""
    if db in ("wh", "[/x] wh", "仓库 wh") and folder == "wh":
        folder = "empty"
    if db not in WAREHOUSES:
        db = f"scratch/{db}"
    code, _, err = _check(["ingest", folder, "--db", db])
    if db in ("broken", "afile"):
        assert code == 1, err
    shutil.rmtree(sandbox / "scratch", ignore_errors=True)
    (sandbox / "scratch").mkdir(exist_ok=True)


#: Roles as an access file may give them: valid, a partner that exists or not, or anything.
roles = st.one_of(
    st.sampled_from(["executive", "manager", "partner:Desert Green", "partner:Desert Greem",
                     "partner:[red]x[/red]", "partner:", "admin"]),
    texts.map(lambda t: f"partner:{t}"),
    texts,
)  # fmt: skip
keys = st.one_of(
    st.sampled_from(["ann@desert.example", "*@desert.example", "sub:ann@desert.example",
                     "email:ANN@desert.example", "auth0|5f", "*", "sub:", "[bold]@x.example"]),
    texts,
)  # fmt: skip
access_files = st.one_of(
    st.dictionaries(keys, roles, max_size=4).map(
        lambda d: (
            "[roles]\n" + "".join(f"{json.dumps(k)} = {json.dumps(v)}\n" for k, v in d.items())
        )
    ),
    texts,
)


@settings(FUZZ, max_examples=60)
@given(text=access_files, db=warehouses)
def test_access_check_under_drawn_access_files(sandbox: Path, text: str, db) -> None:
    """Exit 0 only for a file the dashboard accepts: every partner it names is one of the
    warehouse's; else one sentence, exit 1."""
    (sandbox / "scratch" / "access.toml").write_text(text, encoding="utf-8")
    before = _listing(sandbox)
    code, out, _ = _check(["access", "check", "--file", "scratch/access.toml", "--db", db])
    if code == 0:
        assert out.rstrip().endswith("the dashboard accepts this file.")
        assert "no such partner" not in out
    assert _listing(sandbox) == before


@pytest.mark.parametrize(
    "args",
    [
        [b"info", b"--db", b"/nowhere/\xff\xfe"],
        [b"summary", b"--db", b"[/x] wh", b"--region", b"\xff"],
        [b"summary", b"--db", b"[/x] wh", b"--from", b"[/red]"],
        [b"rejects", b"--db", b"[/x] wh", b"--limit", b"-1"],
        [b"ingest", b"/nowhere/\xff", b"--db", b"scratch/x"],
        [b"ingest", b"unknown-files", b"--db", b"afile"],
        [b"access", b"check", b"--file", b"/nowhere/\xff", b"--db", b"wh"],
    ],
)
def test_the_real_entry_point_prints_no_traceback(sandbox: Path, args: list[bytes]) -> None:
    """`python -m greenstats` itself, with bytes that are not UTF-8 and text that looks like
    Rich markup."""
    proc = subprocess.run(
        [sys.executable, "-m", "greenstats", *args],
        cwd=sandbox, capture_output=True, timeout=120, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    err = proc.stderr.decode("utf-8", errors="replace")
    assert proc.returncode in (1, 2), err
    assert "Traceback" not in err
    if proc.returncode == 1:
        ops.one_sentence(err)
