"""Names a reader sees, and why a row was rejected, in the reader's language.

Optional Chinese names (projects, partners, protected areas, area species) and the optional
brands table reach `naming.display_names`; where a name is missing it falls back from Chinese
to English to the code. Each reject keeps a rule code and its parameters, so that the rejects
table says why in English or Chinese; a snapshot built before that still shows the English.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from greenstats.data.contract import REJECT_RULES, TABLES, code_rule, reference_rule
from greenstats.data.pipeline import ingest_folder, rebuild
from greenstats.data.warehouse import Warehouse
from greenstats.metrics.queries import intake, naming
from greenstats.screens import methodology as methodology_screen
from greenstats.ui.i18n import TABLE, t
from tests import handbuilt
from tests.conftest import run_cli, summary_json

PROJECTS_ZH = """\
project_id,name,name_zh,partner,partner_zh,kind,region,lat,lon,started_on
P1,Minqin Oasis Belt,民勤绿洲林带,Desert Green,绿洲基金会,afforestation,CN-GS,38.6,103,2020-03-01
P2,Dongchu Seagrass Restoration,,Blue Coast,,coastal,CN-SD,37.0,122.5,2022-06-09
"""
AREAS_ZH = """\
area_id,name,name_zh,partner,partner_zh,region,area_ha,established_on
A1,Guanba Reserve,关坝保护小区,Panda Friends,熊猫之友,CN-SC,1823,2019-05-01
A2,Qilian Grassland,,Desert Green,,CN-GS,500,2020-07-01
"""
AREA_SPECIES_ZH = """\
area_id,scientific_name,iucn_category,common_name,common_name_zh
A1,Ailuropoda melanoleuca,VU,giant panda,大熊猫
A1,Pica pica,LC,Eurasian magpie,
A2,Saussurea gansuensis,EN,,甘肃风毛菊
A2,Carex alpestris,LC,,
"""
BRANDS = """\
brand_id,name,name_zh
brand-bamboobite,Bamboo Bite,竹子小食
brand-jademart,Jade Mart,
"""
ACTIONS = """\
event_id,user_id,occurred_at,action,region,energy_g,brand_id
e1,u1,2025-01-10 10:00,walking,CN-GS,100,brand-bamboobite
e2,u2,2025-01-11 10:00,metro_ride,CN-GS,52,brand-jademart
e3,u3,2025-01-12 10:00,metro_ride,CN-GS,52,brand-unlisted
"""

# Only the required columns: no Chinese names, no brands.csv.
PROJECTS_MIN = """\
project_id,name,partner,kind,region,lat,lon,started_on
P1,Minqin Oasis Belt,Desert Green,afforestation,CN-GS,38.6,103.1,2020-03-01
"""
AREAS_MIN = """\
area_id,name,partner,region,area_ha,established_on
A1,Guanba Reserve,Panda Friends,CN-SC,1823,2019-05-01
"""
AREA_SPECIES_MIN = """\
area_id,scientific_name,iucn_category
A1,Ailuropoda melanoleuca,VU
"""
ACTIONS_MIN = """\
event_id,user_id,occurred_at,action,region,energy_g,brand_id
e1,u1,2025-01-10 10:00,walking,CN-GS,100,brand-bamboobite
"""


def _folder(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(parents=True)
    for name, text in files.items():
        (path / name).write_text(text, encoding="utf-8")
    return path


def _load(tmp_path: Path, files: dict[str, str]) -> Path:
    db = tmp_path / "wh"
    ingest_folder(_folder(tmp_path / "in", files), db, handbuilt.REFERENCE_MIN)
    return db


def _names(db: Path, kind: str, lang: str) -> dict[str, str]:
    with Warehouse(db).open_snapshot() as r:
        return naming.display_names(r, kind, lang)


@pytest.fixture(scope="module")
def named_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _load(
        tmp_path_factory.mktemp("named"),
        {"projects.csv": PROJECTS_ZH, "protected_areas.csv": AREAS_ZH,
         "area_species.csv": AREA_SPECIES_ZH, "brands.csv": BRANDS, "actions.csv": ACTIONS},
    )  # fmt: skip


@pytest.fixture(scope="module")
def minimal_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _load(
        tmp_path_factory.mktemp("minimal"),
        {"projects.csv": PROJECTS_MIN, "protected_areas.csv": AREAS_MIN,
         "area_species.csv": AREA_SPECIES_MIN, "actions.csv": ACTIONS_MIN},
    )  # fmt: skip


# --- names ---------------------------------------------------------------------------------


def test_chinese_names_show_in_chinese_and_english_ones_in_english(named_db: Path) -> None:
    assert _names(named_db, "projects", "zh") == {
        "P1": "民勤绿洲林带",
        "P2": "Dongchu Seagrass Restoration",  # no Chinese name: the English one
    }
    assert _names(named_db, "projects", "en") == {
        "P1": "Minqin Oasis Belt",
        "P2": "Dongchu Seagrass Restoration",
    }
    assert _names(named_db, "partners", "zh") == {
        "Blue Coast": "Blue Coast",
        "Desert Green": "绿洲基金会",  # named in projects.csv, not in protected_areas.csv
        "Panda Friends": "熊猫之友",
    }
    assert _names(named_db, "partners", "en")["Desert Green"] == "Desert Green"
    assert _names(named_db, "areas", "zh") == {"A1": "关坝保护小区", "A2": "Qilian Grassland"}
    assert _names(named_db, "areas", "en") == {"A1": "Guanba Reserve", "A2": "Qilian Grassland"}
    assert _names(named_db, "area_species", "zh") == {
        "Ailuropoda melanoleuca": "大熊猫",
        "Carex alpestris": "Carex alpestris",  # neither name: the scientific name
        "Pica pica": "Eurasian magpie",
        "Saussurea gansuensis": "甘肃风毛菊",
    }
    assert _names(named_db, "area_species", "en")["Saussurea gansuensis"] == "Saussurea gansuensis"


def test_brands_are_named_from_brands_csv_and_an_unlisted_one_by_its_id(named_db: Path) -> None:
    assert _names(named_db, "brands", "zh") == {
        "brand-bamboobite": "竹子小食",
        "brand-jademart": "Jade Mart",
        "brand-unlisted": "brand-unlisted",
    }
    assert _names(named_db, "brands", "en") == {
        "brand-bamboobite": "Bamboo Bite",
        "brand-jademart": "Jade Mart",
        "brand-unlisted": "brand-unlisted",
    }
    assert summary_json(named_db)["brands"] == 3


def test_a_folder_of_only_required_columns_loads_and_names_fall_back(minimal_db: Path) -> None:
    for lang in ("en", "zh"):
        assert _names(minimal_db, "projects", lang) == {"P1": "Minqin Oasis Belt"}
        assert _names(minimal_db, "partners", lang) == {
            "Desert Green": "Desert Green",
            "Panda Friends": "Panda Friends",
        }
        assert _names(minimal_db, "areas", lang) == {"A1": "Guanba Reserve"}
        assert _names(minimal_db, "brands", lang) == {"brand-bamboobite": "brand-bamboobite"}
        assert _names(minimal_db, "area_species", lang) == {
            "Ailuropoda melanoleuca": "Ailuropoda melanoleuca"
        }
    with Warehouse(minimal_db).open_snapshot() as r:
        assert r.scalar("SELECT count(*) FROM stg_brands") == 0
        assert r.scalar("SELECT count(*) FROM loads WHERE table_name = 'brands'") == 0


def test_name_tables_never_have_a_blank(named_db: Path, minimal_db: Path) -> None:

    for db in (named_db, minimal_db):
        with Warehouse(db).open_snapshot() as r:
            for kind in naming.NAME_TABLES:
                table = naming.name_table(r, kind)
                assert list(table.columns) == ["code", "name_en", "name_zh"]
                for col in ("name_en", "name_zh"):
                    assert all(isinstance(n, str) and n.strip() for n in table[col]), (kind, col)


def test_a_brands_file_with_bad_rows_rejects_them(tmp_path: Path) -> None:
    db = _load(
        tmp_path,
        {"brands.csv": "brand_id,name,name_zh\nb1,One,一\nb2,,二\nb1,Again,再\n"},
    )
    with Warehouse(db).open_snapshot() as r:
        rules = r.rows("SELECT line, rule FROM rejects WHERE table_name = 'brands' ORDER BY line")
        brands = r.rows("SELECT brand_id, name, name_zh FROM stg_brands")
    assert rules == [(3, "missing"), (4, "duplicate_key")]
    assert brands == [("b1", "One", "一")]


def test_lake_files_from_before_the_chinese_columns_still_build(
    minimal_db: Path, tmp_path: Path
) -> None:
    """A warehouse loaded before name_zh existed: its lake files lack the column. A later load
    with Chinese names and a full rebuild read both."""
    db = tmp_path / "wh"
    shutil.copytree(minimal_db, db)
    con = duckdb.connect()
    for path in (db / "lake" / "projects").glob("*.parquet"):
        con.execute(
            f"COPY (SELECT * EXCLUDE (name_zh, partner_zh) FROM '{path}') TO '{path}.tmp' "
            "(FORMAT parquet)"
        )
        Path(f"{path}.tmp").replace(path)
    con.close()
    more = PROJECTS_ZH.replace("P1,", "P9,").replace("P2,", "P8,")
    ingest_folder(_folder(tmp_path / "more", {"projects.csv": more}), db)
    expected = {"P1": "Minqin Oasis Belt", "P8": "Dongchu Seagrass Restoration",
                "P9": "民勤绿洲林带"}  # fmt: skip
    assert _names(db, "projects", "zh") == expected
    rebuild(db)
    assert _names(db, "projects", "zh") == expected


# --- reasons for rejects -------------------------------------------------------------------


def _strings() -> dict[str, tuple[str, str]]:
    with TABLE.open(encoding="utf-8", newline="") as fh:
        return {row["key"]: (row["en"], row["zh"]) for row in csv.DictReader(fh)}


def test_every_rule_has_its_text_in_english_and_chinese() -> None:
    strings = _strings()
    for rule, english in REJECT_RULES.items():
        en, zh = strings[f"reject.{rule}"]
        assert en == english, rule  # the stored reason and the page say the same
        assert re.search(r"[\u4e00-\u9fff]", zh), rule
        assert set(re.findall(r"{(\w+)}", zh)) == set(re.findall(r"{(\w+)}", en)), rule
    # Every code list and reference of the contract has its rule.
    for table in TABLES:
        for col in table.columns:
            if col.allowed:
                assert code_rule(col.allowed) in REJECT_RULES, col
            if col.references:
                assert reference_rule(col.references) in REJECT_RULES, col
        for row_rule in table.row_rules:
            assert row_rule.rule in REJECT_RULES


@pytest.fixture(scope="module")
def handbuilt_rejects(handbuilt_db: Path) -> pd.DataFrame:
    from datetime import date

    from greenstats.metrics.filters import Filters

    with Warehouse(handbuilt_db).open_snapshot() as r:
        return intake.rejects_by_reason(r, Filters(as_of=date(2026, 6, 30)))


def test_every_reject_of_the_handbuilt_data_says_why_in_chinese(
    handbuilt_rejects: pd.DataFrame,
) -> None:
    frame = handbuilt_rejects
    assert frame["rule"].notna().all()
    zh = methodology_screen.rejects_table(frame, "zh")[t("col.reason", "zh")].tolist()
    en = methodology_screen.rejects_table(frame, "en")[t("col.reason", "en")].tolist()
    assert en == frame["reason"].tolist()  # English as stored
    for chinese, english in zip(zh, en, strict=True):
        assert chinese != english
        assert re.search(r"[\u4e00-\u9fff]", chinese), chinese
    assert "文件内 project_id 重复（首次出现在第 2 行）" in zh
    assert "必须 ≤ 90" in zh
    assert "项目表（projects）中没有这个 project_id" in zh


def test_the_cli_lists_each_rejects_rule_and_detail(handbuilt_db: Path) -> None:
    import json

    proc = run_cli("rejects", "--db", str(handbuilt_db), "--json", "--limit", "0", check=True)
    rows = json.loads(proc.stdout)["rejects"]
    line8 = next(r for r in rows if r["file"] == "projects.csv" and r["line"] == 8)
    assert (line8["rule"], json.loads(line8["detail"]), line8["reason"]) == (
        "above_max", {"bound": "90"}, "must be ≤ 90",
    )  # fmt: skip
    table = run_cli("rejects", "--db", str(handbuilt_db), check=True).stdout
    assert "30 rejects" in table


def test_a_snapshot_from_before_rules_still_shows_its_reasons_in_english(
    handbuilt_db: Path, tmp_path: Path
) -> None:
    """Drop the new columns from a copy of the snapshot, as an older greenstats built it: the
    page shows the stored English, the CLI still lists them, and the next load adds rules."""
    db = tmp_path / "wh"
    shutil.copytree(handbuilt_db, db)
    snap = Warehouse(db).require_current()
    with duckdb.connect(str(snap.path)) as con:
        con.execute("ALTER TABLE rejects DROP COLUMN rule")
        con.execute("ALTER TABLE rejects DROP COLUMN detail")
        con.execute("DROP TABLE stg_brands")
        con.execute("ALTER TABLE stg_projects DROP COLUMN name_zh")
    from datetime import date

    from greenstats.metrics.filters import Filters

    with Warehouse(db).open_snapshot() as r:
        frame = intake.rejects_by_reason(r, Filters(as_of=date(2026, 6, 30)))
        brands = naming.display_names(r, "brands", "zh")
        projects = naming.display_names(r, "projects", "zh")
    assert frame["rule"].isna().all()
    shown = methodology_screen.rejects_table(frame, "zh")[t("col.reason", "zh")].tolist()
    assert shown == frame["reason"].tolist()
    assert brands["brand-metro"] == "brand-metro"
    assert projects["P1"] == "Alxa saxaul belt"
    assert run_cli("rejects", "--db", str(db), "--json").returncode == 0
    # The next load builds on the old snapshot: old rejects keep NULL rules, new ones get theirs.
    bad = "brand_id,name\nb1,\n"
    ingest_folder(_folder(tmp_path / "more", {"brands.csv": bad}), db)
    with Warehouse(db).open_snapshot() as r:
        rules = r.rows("SELECT table_name, rule FROM rejects WHERE rule IS NOT NULL")
        old = r.scalar("SELECT count(*) FROM rejects WHERE rule IS NULL")
    assert rules == [("brands", "missing")]
    assert old == sum(handbuilt.REJECTS_PER_TABLE.values())
