"""The default methodology: every factor sourced, ranges ordered, and restatement."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from greenstats.data.contract import REGION_CODES
from greenstats.data.demo import DemoResult
from greenstats.data.methodology import MethodologyError, load_reference
from greenstats.data.paths import DEFAULT_REFERENCE
from greenstats.data.warehouse import Warehouse
from greenstats.metrics.catalog import SUMMARY_KEYS
from tests.conftest import run_cli

REFERENCE_FILES = sorted(DEFAULT_REFERENCE.glob("*.csv"))
LINK = re.compile(r"https?://|\b[a-z0-9-]+(\.[a-z0-9-]+)+/?", re.I)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("path", REFERENCE_FILES, ids=[p.name for p in REFERENCE_FILES])
def test_every_reference_row_has_a_source_or_an_explained_estimate(path: Path) -> None:
    rows = _rows(path)
    source_columns = [c for c in rows[0] if c == "source" or c.endswith("_source")]
    assert source_columns, f"{path.name} has no source column"
    for line, row in enumerate(rows, start=2):
        for col in source_columns:
            text = row[col].strip()
            explained = text.startswith("estimate:") and len(text) > len("estimate:") + 20
            assert explained or LINK.search(text), f"{path.name} line {line}: {col} = {text!r}"


def test_every_action_and_species_the_demo_uses_has_factors() -> None:
    reference = load_reference(DEFAULT_REFERENCE)
    from greenstats.data import demo

    assert set(demo.ACTIONS) <= set(reference.action_codes)
    assert set(reference.species_codes) >= {
        "saxaul", "tamarix", "sand_willow", "mongolian_pine", "populus_euphratica", "caragana",
        "hedysarum", "sea_buckthorn", "eelgrass", "kelp", "mangrove", "salt_marsh",
    }  # fmt: skip


def test_energy_awarded_and_carbon_avoided_are_different_columns() -> None:
    reference = load_reference(DEFAULT_REFERENCE)
    actions = reference.actions
    assert {"energy_g", "co2e_g"} <= set(actions.columns)
    assert (actions["energy_g"] != actions["co2e_g"]).any()
    for frame, col in ((actions, "co2e_g"), (reference.species, "seq_kg_per_unit_yr")):
        assert (frame[f"{col}_low"] <= frame[col]).all()
        assert (frame[col] <= frame[f"{col}_high"]).all()
    assert reference.species["name_zh"].str.len().gt(0).all()
    assert reference.version == "2026.1"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("co2e_g_low", "co2e_low", 1), "required column 'co2e_g_low'"),
        (lambda t: t.replace(",33.9,0.0,113.0,", ",33.9,50.0,113.0,"), "co2e_g_low ≤ co2e_g"),
    ],
    ids=["missing column", "low above central"],
)
def test_a_broken_reference_folder_is_refused_with_file_line_and_rule(
    tmp_path: Path, edit, message: str
) -> None:
    folder = tmp_path / "ref"
    shutil.copytree(DEFAULT_REFERENCE, folder)
    path = folder / "actions.csv"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(MethodologyError, match=re.escape(message)) as err:
        load_reference(folder)
    assert "actions.csv" in str(err.value)


def test_restate_with_walking_doubled_changes_only_the_carbon_avoided(
    demo_1m: tuple[Path, DemoResult], tmp_path: Path
) -> None:
    db, demo = demo_1m
    other = tmp_path / "doubled"
    shutil.copytree(DEFAULT_REFERENCE, other)
    rows = _rows(other / "actions.csv")
    walking = next(r for r in rows if r["action"] == "walking")
    factors = {c: float(walking[c]) for c in ("co2e_g", "co2e_g_low", "co2e_g_high")}
    for col, value in factors.items():
        walking[col] = str(2 * value)
    with (other / "actions.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    (other / "methodology.csv").write_text("version\n2026.1-walking-x2\n")
    published = Warehouse(db).current()
    mtime = published.path.stat().st_mtime_ns

    proc = run_cli("restate", "--db", str(db), "--reference", str(other), "--json", check=True)
    got = json.loads(proc.stdout)

    # Walking events counted straight from the demo's files (bad rows have other codes or
    # negative energy and are not loaded; none of them is a valid walking event).
    con = duckdb.connect()
    n_walking = con.execute(
        "SELECT count(DISTINCT event_id) FROM read_parquet(?) WHERE action = 'walking' "
        "AND energy_g >= 0 AND region IN (SELECT unnest(?)) AND user_id IS NOT NULL "
        "AND occurred_at IS NOT NULL",
        [str(demo.out_dir / "actions" / "*.parquet"), list(REGION_CODES)],
    ).fetchone()[0]
    assert got["methodology"] == {"current": "2026.1", "restated": "2026.1-walking-x2"}
    assert list(got["keys"]) == list(SUMMARY_KEYS)
    for band, col in (("", "co2e_g"), ("_low", "co2e_g_low"), ("_high", "co2e_g_high")):
        row = got["keys"][f"co2e_avoided_kg{band}"]
        assert row["difference"] == pytest.approx(n_walking * factors[col] / 1000, rel=1e-9)
        assert row["restated"] - row["current"] == pytest.approx(row["difference"])
    unchanged = [k for k in SUMMARY_KEYS if not k.startswith("co2e_avoided_kg")]
    assert all(got["keys"][k]["difference"] == 0 for k in unchanged)
    # The published snapshot was only read.
    assert Warehouse(db).current() == published
    assert published.path.stat().st_mtime_ns == mtime


def test_a_methodology_that_drops_a_used_code_needs_force_and_says_so(
    handbuilt_db: Path, tmp_path: Path
) -> None:
    """Issue 26, 11: dropping an action code that loaded events use made their carbon 0 with
    exit 0 and no word. Now `build --reference` refuses it, naming the code and its rows, and
    with --force goes on with a warning that says the same."""
    from tests import handbuilt

    db = tmp_path / "wh"
    shutil.copytree(handbuilt_db, db, symlinks=True)
    other = tmp_path / "ref"
    shutil.copytree(handbuilt.REFERENCE_MIN, other)
    rows = (other / "actions.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    dropped = rows[1].split(",")[0]
    (other / "actions.csv").write_text("".join(rows[:1] + rows[2:]), encoding="utf-8")
    with Warehouse(db).open_snapshot() as r:
        used = r.scalar(
            "SELECT sum(count_actions) FROM mart_actions_daily WHERE action = ?", [dropped]
        )
        before = Warehouse(db).current()
    assert used > 0

    refused = run_cli("build", "--db", str(db), "--reference", str(other))
    assert refused.returncode == 1
    assert f"drops action code {dropped!r} ({used:,} rows)" in refused.stderr
    assert "--force" in refused.stderr
    assert Warehouse(db).current() == before  # nothing published

    forced = run_cli("build", "--db", str(db), "--reference", str(other), "--force")
    assert forced.returncode == 0, forced.stderr
    assert f"warning: the methodology drops action code {dropped!r}" in " ".join(
        forced.stderr.split()
    )
    assert Warehouse(db).current() != before
