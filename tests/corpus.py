"""The bad-input corpus: every kind of fault a partner's folder can hold, each with what
greenstats must do with it (docs/CONTRACT.md, Bad rows; RELIABILITY.md, Bad input).

A case is a folder loaded on top of a small warehouse (BASE, loaded first), with its expected
outcome: the rows of each table it adds (every good row it holds), the rows it rejects (file,
physical line, rule), the files refused (with words of their message), the exit code, and the
warnings. tests/test_corpus.py runs each one and checks all of that, plus that nothing else
changed. `python tests/corpus.py OUT` writes every case's folder under OUT, to look at or to
load by hand (`python -m greenstats ingest OUT/<case> --db ...`).
"""

from __future__ import annotations

import codecs
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from greenstats.data.contract import LOCAL_TZ

REFERENCE_MIN = Path(__file__).parent / "data" / "reference_min"

#: The classes of fault, as RELIABILITY.md's tables are titled.
FAULTS = {
    "csv": "CSV structure",
    "enc": "Encodings",
    "val": "Values and bounds",
    "pq": "Parquet",
    "dup": "Duplicates and loading again",
    "ref": "References between tables",
    "refdir": "Reference tables (the methodology)",
    "name": "File names and folder shapes",
}

Writer = Callable[[Path], None]


@dataclass
class Case:
    """One bad-input case and its expected outcome."""

    name: str  # "<class>-<what>", the pytest id
    what: str  # what the case sends, in a few words
    files: dict[str, bytes | Writer]  # path in the folder -> bytes, or a function writing it
    good: dict[str, int] = field(default_factory=dict)  # rows each table gains
    rejects: list[tuple[str, int, str]] = field(default_factory=list)  # (file, line, rule)
    refused: dict[str, str] = field(default_factory=dict)  # file -> words of its message
    already: dict[str, int] = field(default_factory=dict)  # rows counted as already loaded
    warnings: list[str] = field(default_factory=list)  # words of a warning
    error: str | None = None  # the load cannot run at all: words of its message (exit 1)
    reference: dict[str, str | bytes] | None = None  # a reference folder loaded with it
    twice: bool = False  # the folder is loaded twice: the second load adds nothing
    cli: bool = False  # also run through `python -m greenstats ingest` (a sample)
    folder_is_file: bool = False  # the "folder" given to ingest is a file

    @property
    def fault(self) -> str:
        return FAULTS[self.name.split("-", 1)[0]]

    @property
    def exit_code(self) -> int:
        return 1 if (self.refused or self.error is not None) else 0

    def write(self, folder: Path) -> Path:
        """Write the case's files under `folder` (created); returns what ingest is given."""
        folder.mkdir(parents=True, exist_ok=True)
        for rel, content in self.files.items():
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if callable(content):
                content(path)
            else:
                path.write_bytes(content)
        if self.folder_is_file:
            return folder / next(iter(self.files))
        return folder

    def write_reference(self, folder: Path) -> Path | None:
        if self.reference is None:
            return None
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in self.reference.items():
            data = text if isinstance(text, bytes) else text.encode("utf-8")
            (folder / name).write_bytes(data)
        return folder


# --- building files --------------------------------------------------------------------------


def today() -> date:
    """The load's day in China time (the contract's bounds count from it)."""
    return datetime.now(ZoneInfo(LOCAL_TZ)).date()


def lines(*rows: str, end: str = "\n") -> bytes:
    return (end.join(rows) + end).encode("utf-8")


A = "event_id,user_id,occurred_at,action,region,energy_g,brand_id"
R = "redemption_id,user_id,redeemed_at,project_id,species,units,energy_g"
P = "project_id,name,partner,kind,region,lat,lon,started_on,target_units,target_area_ha,target_date"
PA = "area_id,name,partner,region,area_ha,established_on,lat,lon,project_id"
AS = "area_id,scientific_name,iucn_category,common_name,taxon_group,last_observed_on"
PL = "planting_id,project_id,species,planted_on,units_planted,area_ha,lat,lon"
S = "survey_id,project_id,species,surveyed_on,units_sampled,units_alive"
B = "brand_id,name,name_zh"


def act(eid: str, at: str = "2025-03-05 10:00", energy: str = "10", user: str = "u1",
        action: str = "walking", region: str = "CN-GD", brand: str = "") -> str:  # fmt: skip
    return f"{eid},{user},{at},{action},{region},{energy},{brand}"


def red(rid: str, at: str = "2025-03-05 10:00", units: str = "1", energy: str = "17900",
        project: str = "P1", species: str = "saxaul", user: str = "u1") -> str:  # fmt: skip
    return f"{rid},{user},{at},{project},{species},{units},{energy}"


def proj(pid: str, lat: str = "39.2", lon: str = "105.6", started: str = "2020-03-01",
         target_date: str = "", name: str = "Saxaul belt", kind: str = "afforestation",
         region: str = "CN-NM") -> str:  # fmt: skip
    return f"{pid},{name},Desert Green,{kind},{region},{lat},{lon},{started},,,{target_date}"


def plant(pid: str, on: str = "2024-04-10", units: str = "100", area: str = "0.5",
          project: str = "P1") -> str:  # fmt: skip
    return f"{pid},{project},saxaul,{on},{units},{area},,"


def goods(prefix: str, n: int, at: str = "2025-03-05 10:00") -> list[str]:
    """n good action rows."""
    return [act(f"{prefix}{i}", at) for i in range(n)]


def parquet(sql: str) -> Writer:
    """A writer of a Parquet file made by DuckDB from a query."""

    def write(path: Path) -> None:
        con = duckdb.connect()
        try:
            con.execute("SET TimeZone = 'Asia/Shanghai'")
            target = str(path).replace("'", "''")
            con.execute(f"COPY ({sql}) TO '{target}' (FORMAT parquet)")
        finally:
            con.close()

    return write


def corrupted(writer: Writer) -> Writer:
    """A Parquet file whose footer is intact but whose first data page is overwritten."""

    def write(path: Path) -> None:
        writer(path)
        data = bytearray(path.read_bytes())
        data[64:320] = b"\x55" * 256
        path.write_bytes(bytes(data))

    return write


def truncated(writer: Writer) -> Writer:
    def write(path: Path) -> None:
        writer(path)
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])

    return write


PQ_ACTIONS = """SELECT 'q' || i AS event_id, 'u1' AS user_id,
    TIMESTAMPTZ '2025-03-05 10:00:00+08' AS occurred_at, 'walking' AS action,
    'CN-GD' AS region, 10::BIGINT AS energy_g, NULL::VARCHAR AS brand_id FROM range(3) t(i)"""


def pq_actions(**override: str) -> Writer:
    """Three good action rows as typed Parquet, then one row per override (column: SQL)."""
    cols = {
        "event_id": "'x' AS event_id",
        "user_id": "'u1' AS user_id",
        "occurred_at": "TIMESTAMPTZ '2025-03-05 10:00:00+08' AS occurred_at",
        "action": "'walking' AS action",
        "region": "'CN-GD' AS region",
        "energy_g": "10::BIGINT AS energy_g",
        "brand_id": "NULL::VARCHAR AS brand_id",
    }
    rows = [PQ_ACTIONS]
    for i, (col, sql) in enumerate(override.items()):
        row = dict(cols, event_id=f"'bad{i}' AS event_id", **{col: f"{sql} AS {col}"})
        rows.append("SELECT " + ", ".join(row.values()))
    return parquet(" UNION ALL BY NAME ".join(f"({r})" for r in rows))


def reference(**changes: str | None) -> dict[str, str | bytes]:
    """The minimal reference folder, with some files replaced (name without .csv: text)."""
    files = {p.stem: p.read_text(encoding="utf-8") for p in REFERENCE_MIN.glob("*.csv")}
    files.update(changes)
    return {f"{name}.csv": text for name, text in files.items() if text is not None}


REF_ACTIONS = "action,co2e_g,co2e_g_low,co2e_g_high\nwalking,{c},50,150\nmetro_ride,500,400,600\n"
REF_SPECIES_HEAD = (
    "species,unit,habitat,seq_kg_per_unit_yr,seq_kg_per_unit_yr_low,seq_kg_per_unit_yr_high,"
    "default_survival\n"
)

# --- the warehouse every case starts from ----------------------------------------------------

BASE: dict[str, bytes | Writer] = {
    "projects.csv": lines(P, proj("P1"), proj("P2", kind="coastal", region="CN-SD")),
    "protected_areas.csv": lines(PA, "A1,Guanba reserve,Panda Friends,CN-SC,1823,2019-05-01,,,"),
    "area_species.csv": lines(AS, "A1,Ailuropoda melanoleuca,VU,Giant panda,mammals,"),
    "brands.csv": lines(B, "B1,Metro,地铁"),
    "actions.csv": lines(
        A,
        act("b1", "2025-01-05 10:00"),
        act("b2", "2025-01-06 10:00"),
        act("b3", "2025-02-05 10:00", brand="B1"),
        act("july", "2023-07-05 10:00"),
    ),
    "redemptions.csv": lines(R, red("r1", "2025-01-05 10:00"), red("r2", "2025-02-05 10:00")),
    "plantings.csv": lines(PL, plant("PL1")),
    "surveys.csv": lines(S, "S1,P1,saxaul,2025-04-10,100,80"),
}
#: Rows BASE loads, per table.
BASE_ROWS = {
    "projects": 2, "protected_areas": 1, "area_species": 1, "brands": 1, "actions": 4,
    "redemptions": 2, "plantings": 1, "surveys": 1,
}  # fmt: skip


# --- the cases -------------------------------------------------------------------------------


def _csv_cases() -> list[Case]:
    g = goods
    big = "x" * (10 * 1024 * 1024)
    runaway = [A, act("g0"), 'bad,u1,"2025-03-05 10:00,walking,CN-GD,10,']
    runaway += [act(f"g{i}") for i in range(1, 150)]
    return [
        Case("csv-clean", "three good rows", {"actions.csv": lines(A, *g("g", 3))},
             good={"actions": 3}),
        Case("csv-crlf", "CRLF line ends", {"actions.csv": lines(A, *g("g", 3), end="\r\n")},
             good={"actions": 3}),
        Case("csv-mixed-line-ends", "CRLF and LF lines mixed",
             {"actions.csv": (A + "\r\n" + act("g0") + "\n" + act("g1") + "\r\n" + act("g2")
                              + "\n").encode()},
             good={"actions": 3}),
        Case("csv-lone-cr", "a lone CR inside a line",
             {"actions.csv": (A + "\n" + act("g0") + "\n" + act("bad", brand="a\rb") + "\n"
                              + act("g1") + "\n").encode()},
             good={"actions": 2}, rejects=[("actions.csv", 3, "unreadable_row")]),
        Case("csv-blank-lines", "blank lines, then a bad row",
             {"actions.csv": lines(A, act("g0"), "", "", act("g1"), "",
                                   act("bad", energy="-1"), act("g2"))},
             good={"actions": 3}, rejects=[("actions.csv", 7, "below_min")]),
        Case("csv-whitespace-lines", "lines of spaces and tabs",
             {"actions.csv": lines(A, act("g0"), "   ", "\t", act("bad", region="XX"))},
             good={"actions": 1}, rejects=[("actions.csv", 5, "unknown_regions")]),
        Case("csv-quoted-line-break", "a quoted value spanning two lines, then a bad row",
             {"actions.csv": lines(A, act("g0"), 'qb,u1,2025-03-05 10:00,walking,CN-GD,10,"B\n1"',
                                   act("bad", action="fly"), act("g1"))},
             good={"actions": 2},
             rejects=[("actions.csv", 3, "control_char"), ("actions.csv", 5, "unknown_actions")]),
        Case("csv-unclosed-quote", "a quote opened and never closed, mid-file",
             {"actions.csv": lines(A, act("g0"), 'bad,"u1,2025-03-05 10:00,walking,CN-GD,10,',
                                   act("g1"), act("g2"))},
             good={"actions": 3}, rejects=[("actions.csv", 3, "unclosed_quote")], cli=True),
        Case("csv-unclosed-quote-last-line", "the last line opens a quote",
             {"actions.csv": lines(A, act("g0"), act("g1"), 'bad,"u1,2025-03-05')},
             good={"actions": 2}, rejects=[("actions.csv", 4, "unclosed_quote")]),
        Case("csv-runaway-quote", "an open quote followed by 150 good lines",
             {"actions.csv": lines(*runaway)},
             good={"actions": 150}, rejects=[("actions.csv", 3, "unclosed_quote")]),
        Case("csv-text-after-quote", 'a value "x"y',
             {"actions.csv": lines(A, act("g0"), 'bad,"u1"x,2025-03-05 10:00,walking,CN-GD,10,',
                                   act("g1"))},
             good={"actions": 2}, rejects=[("actions.csv", 3, "bad_quoting")]),
        Case("csv-stray-quote", 'a quote inside an unquoted value (u"1), kept as text',
             {"actions.csv": lines(A, act("g0", user='u"1'), act("g1"))},
             good={"actions": 2}),
        Case("csv-too-many-fields", "a row with one field too many",
             {"actions.csv": lines(A, act("g0"), act("bad") + ",extra", act("g1"))},
             good={"actions": 2}, rejects=[("actions.csv", 3, "too_many_fields")]),
        Case("csv-too-few-fields", "a row with one field too few",
             {"actions.csv": lines(A, act("g0"), "bad,u1,2025-03-05 10:00,walking,CN-GD",
                                   act("g1"))},
             good={"actions": 2}, rejects=[("actions.csv", 3, "too_few_fields")]),
        Case("csv-10mb-field", "one 10 MB value",
             {"actions.csv": lines(A, act("g0"), act("bad", brand=big), act("g1"))},
             good={"actions": 2}, rejects=[("actions.csv", 3, "too_long")], cli=True),
        Case("csv-no-final-newline", "no line end after the last row",
             {"actions.csv": (A + "\n" + act("g0") + "\n" + act("g1")).encode()},
             good={"actions": 2}),
        Case("csv-utf8-bom", "a UTF-8 byte order mark (Excel)",
             {"actions.csv": b"\xef\xbb\xbf" + lines(A, *g("g", 2))}, good={"actions": 2}),
        Case("csv-empty-file", "an empty file", {"actions.csv": b""},
             refused={"actions.csv": "is empty or has no header row"}, cli=True),
        Case("csv-header-only", "a header and no rows", {"actions.csv": lines(A)}),
        Case("csv-blank-first-line", "a blank line before the header",
             {"actions.csv": lines("", A, *g("g", 2))},
             refused={"actions.csv": "is empty or has no header row"}),
        Case("csv-duplicate-column", "the header names a column twice",
             {"actions.csv": lines(A + ",region", act("g0") + ",CN-BJ")},
             refused={"actions.csv": "names column 'region' twice"}),
        Case("csv-missing-column", "a required column missing",
             {"actions.csv": lines("event_id,user_id,occurred_at,action,region",
                                   "g0,u1,2025-03-05 10:00,walking,CN-GD")},
             refused={"actions.csv": "lacks required column 'energy_g'"}),
        Case("csv-extra-columns", "two columns the table does not have",
             {"actions.csv": lines(A + ",note,score", *(r + ",hi,3" for r in g("g", 2)))},
             good={"actions": 2}, warnings=["extra column(s) ignored: note, score"]),
        Case("csv-columns-reordered", "the columns in another order",
             {"actions.csv": lines("energy_g,region,action,occurred_at,user_id,event_id",
                                   "10,CN-GD,walking,2025-03-05 10:00,u1,g0")},
             good={"actions": 1}),
        Case("csv-trailing-comma", "a trailing comma on every line (an unnamed column)",
             {"actions.csv": lines(A + ",", *(r + "," for r in g("g", 2)))},
             good={"actions": 2}, warnings=["extra column(s) ignored: (unnamed)"]),
        Case("csv-nul-byte", "a NUL byte inside a brand_id",
             {"actions.csv": lines(A, act("g0"), act("bad", brand="B\x001"), act("g1"))},
             good={"actions": 2}, rejects=[("actions.csv", 3, "control_char")]),
        Case("csv-tab-in-value", "a tab inside a brand_id",
             {"actions.csv": lines(A, act("g0"), act("bad", brand="B\t1"))},
             good={"actions": 1}, rejects=[("actions.csv", 3, "control_char")]),
        Case("csv-tab-in-user-id", "a tab inside a user_id (never shown: allowed)",
             {"actions.csv": lines(A, act("g0", user="u\t1"))}, good={"actions": 1}),
        Case("csv-line-break-in-name", "a line break inside a quoted project name",
             {"projects.csv": lines(P, proj("P7"), proj("Pbad", name='"Saxaul\nbelt"'))},
             good={"projects": 1}, rejects=[("projects.csv", 3, "control_char")]),
        Case("csv-c1-control-in-name", "C1 controls (U+0085 NEL, U+009B CSI) in project names",
             {"projects.csv": lines(P, proj("P7"), proj("Pbad", name="Saxaul\u0085belt"),
                                    proj("Pcsi", name="\u009b31mRed"))},
             good={"projects": 1}, rejects=[("projects.csv", 3, "control_char"),
                                            ("projects.csv", 4, "control_char")]),
        Case("csv-trailing-empty-fields", "empty fields past the header's (spreadsheet commas)",
             {"actions.csv": lines(A, act("g0") + ",", act("g1") + ',,""', act("bad") + ", ",
                                   act("bad2") + ',"x"')},
             good={"actions": 2}, rejects=[("actions.csv", 4, "too_many_fields"),
                                           ("actions.csv", 5, "too_many_fields")]),
        Case("csv-trailing-empty-fields-blank-line", "the same, in a file with a blank line",
             {"actions.csv": lines(A, act("g0") + ",", "", act("g1") + ',,""', act("bad") + ", ",
                                   act("bad2") + ',"x"')},
             good={"actions": 2}, rejects=[("actions.csv", 5, "too_many_fields"),
                                           ("actions.csv", 6, "too_many_fields")]),
        Case("csv-padded-values", "spaces and tabs around values (trimmed)",
             {"actions.csv": lines(A, " g0 ,\tu1 , 2025-03-05 10:00 , walking , CN-GD , 10 ,")},
             good={"actions": 1}),
        Case("csv-all-quoted", "every value quoted (Excel)",
             {"actions.csv": lines(",".join(f'"{c}"' for c in A.split(",")),
                                   *(",".join(f'"{v}"' for v in r.split(","))
                                     for r in g("g", 3)))},
             good={"actions": 3}),
        Case("csv-quoted-comma-and-quote", 'a quoted comma and a doubled quote in values',
             {"actions.csv": lines(A, 'g0,"u,1",2025-03-05 10:00,walking,CN-GD,10,"B""2"')},
             good={"actions": 1}),
        Case("csv-header-open-quote", "the header opens a quote it never closes",
             {"actions.csv": lines('"event_id,user_id,occurred_at', act("g0"))},
             refused={"actions.csv": "header row cannot be read"}),
        Case("csv-only-bad-rows", "every row breaks a rule",
             {"actions.csv": lines(A, act("b1x", energy="x"), act("b2x", region="CN"))},
             rejects=[("actions.csv", 2, "not_int"), ("actions.csv", 3, "unknown_regions")]),
        Case("csv-optional-column-absent", "no brand_id column at all",
             {"actions.csv": lines(A.rsplit(",", 1)[0], "g0,u1,2025-03-05 10:00,walking,CN-GD,10")},
             good={"actions": 1}),
        Case("csv-semicolons", "semicolons instead of commas",
             {"actions.csv": lines(A.replace(",", ";"), act("g0").replace(",", ";"))},
             refused={"actions.csv": "lacks required column"}),
        Case("csv-utf16", "a UTF-16 file",
             {"actions.csv": lines(A, act("g0")).decode().encode("utf-16")},
             refused={"actions.csv": "is UTF-16 text, not UTF-8: save it as UTF-8"}),
        Case("csv-bad-row-in-plain-file", "a plain file whose rows break rules (DuckDB's reader)",
             {"actions.csv": lines(A, act("g0"), act("bad", energy="1.5"), act("g1"),
                                   act("bad2", at="2025-13-01 10:00"))},
             good={"actions": 2},
             rejects=[("actions.csv", 3, "not_int"), ("actions.csv", 5, "not_timestamp")]),
        # Issue 26, item 14: it got Python's hint about "universal-newline mode".
        Case("csv-cr-line-ends", "lines ended by a lone CR (old Mac), beside a good part",
             {"actions/mac.csv": lines(A, act("g0"), act("g1"), end="\r"),
              "actions/ok.csv": lines(A, act("g2"))},
             good={"actions": 1},
             refused={"actions/mac.csv": "ends its lines with a lone carriage return (CR, as old "
                                         "Mac programs save text): save it with LF or CRLF"}),
    ]  # fmt: skip


def _enc_cases() -> list[Case]:
    gbk_rows = lines(A, act("g0"), act("g1", user="用户甲")).decode()
    latin = act("bad", user="caf\xe9").encode("latin-1")
    wide = lines(A, act("g0", user="用户甲")).decode()  # text for the UTF-16 and UTF-32 cases
    utf16 = "is UTF-16 text, not UTF-8: save it as UTF-8"
    return [
        Case("enc-gbk-rows", "two rows in GBK among UTF-8 rows",
             {"actions.csv": lines(A, act("g0")) + act("g1", user="张三").encode("gbk") + b"\n"
              + act("g2", user="李四").encode("gbk") + b"\n" + lines(act("g3"))},
             good={"actions": 4}, warnings=["lines 3, 4 (2 in all) are not UTF-8"], cli=True),
        Case("enc-gb18030-file", "a whole projects file in GB18030",
             {"projects.csv": lines(P, proj("P9", name="梭梭林")).decode().encode("gb18030")},
             good={"projects": 1}, warnings=["line 2 is not UTF-8 and was read as GB18030"]),
        Case("enc-latin1-row", "a Latin-1 row that is not GB18030 either (é then a comma)",
             {"actions.csv": lines(A, act("g0")) + latin + b"\n" + lines(act("g1"))},
             good={"actions": 2}, rejects=[("actions.csv", 3, "bad_encoding")]),
        Case("enc-latin1-reads-as-gb18030", "Latin-1 bytes that happen to be GB18030 (é then t)",
             {"actions.csv": lines(A) + act("g0", user="caf\xe9t").encode("latin-1") + b"\n"},
             good={"actions": 1}, warnings=["line 2 is not UTF-8 and was read as GB18030"]),
        Case("enc-utf8-in-gbk-file", "a UTF-8 row stays UTF-8 in a file of GBK rows",
             {"actions.csv": gbk_rows.encode("gbk") + lines(act("g2", user="用户乙"))},
             good={"actions": 3}, warnings=["line 3 is not UTF-8"]),
        Case("enc-header-not-utf8", "a Latin-1 header: read as GB18030 it lacks a column",
             {"plantings.csv": (PL.replace("area_ha", "área_ha") + "\n").encode("latin-1")},
             refused={"plantings.csv": "lacks required column 'area_ha' (its header row is "
                                       "not UTF-8 text"}),
        Case("enc-header-undecodable", "a header that is neither UTF-8 nor GB18030",
             {"actions.csv": A.encode() + b",\xff\n" + lines(act("g0") + ",")},
             refused={"actions.csv": "neither UTF-8 nor GB18030"}),
        Case("enc-bad-bytes-in-multiline", "undecodable bytes inside a quoted two-line value",
             {"actions.csv": lines(A, act("g0")) + b'bad,u1,2025-03-05 10:00,walking,CN-GD,10,"\xff\n'
              + b'x"\n' + lines(act("g1"))},
             good={"actions": 2}, rejects=[("actions.csv", 3, "bad_encoding")]),
        Case("enc-utf8-bom-crlf", "a BOM and CRLF line ends",
             {"actions.csv": b"\xef\xbb\xbf" + lines(A, *goods("g", 2), end="\r\n")},
             good={"actions": 2}),
        Case("enc-surrogate-bytes", "UTF-8 bytes of a lone surrogate (ED A0 80)",
             {"actions.csv": lines(A, act("g0")) + act("bad", user="u").encode() + b"\xed\xa0\x80\n"},
             good={"actions": 1}, rejects=[("actions.csv", 3, "bad_encoding")]),
        Case("enc-chinese-names", "names in Chinese, UTF-8",
             {"brands.csv": lines(B, "B2,Alipay,支付宝", "B3,,饿了么")},
             good={"brands": 1}, rejects=[("brands.csv", 3, "missing")]),
        # Issue 26, item 14: without a byte order mark, UTF-16 was refused as "lacks required
        # column 'event_id'" (each name read with a NUL byte beside each letter).
        Case("enc-utf16le-no-bom", "UTF-16 LE without a byte order mark",
             {"actions.csv": wide.encode("utf-16-le")}, refused={"actions.csv": utf16}),
        Case("enc-utf16be-bom", "UTF-16 BE with a byte order mark",
             {"actions.csv": codecs.BOM_UTF16_BE + wide.encode("utf-16-be")},
             refused={"actions.csv": utf16}),
        Case("enc-utf16be-no-bom", "UTF-16 BE without a byte order mark, beside a good part",
             {"actions/be.csv": wide.encode("utf-16-be"), "actions/ok.csv": lines(A, act("g1"))},
             good={"actions": 1}, refused={"actions/be.csv": utf16}),
        Case("enc-utf32le-bom", "UTF-32 LE with a byte order mark",
             {"actions.csv": codecs.BOM_UTF32_LE + wide.encode("utf-32-le")},
             refused={"actions.csv": "is UTF-32 text, not UTF-8: save it as UTF-8"}),
        Case("enc-utf32be-no-bom", "UTF-32 BE without a byte order mark",
             {"actions.csv": wide.encode("utf-32-be")},
             refused={"actions.csv": "is UTF-32 text, not UTF-8: save it as UTF-8"}),
    ]  # fmt: skip


def _val_cases() -> list[Case]:
    t = today()
    tomorrow = (t + timedelta(days=1)).isoformat()
    later = (t + timedelta(days=3)).isoformat()
    big = "9223372036854775807"
    return [
        Case("val-energy-int64-max-twice", "two energy_g of 2^63-1 (they overflowed the sum)",
             {"actions.csv": lines(A, act("bad1", energy=big), act("bad2", energy=big),
                                   act("g0"))},
             good={"actions": 1},
             rejects=[("actions.csv", 2, "above_max"), ("actions.csv", 3, "above_max")],
             cli=True),
        Case("val-energy-at-ceiling", "energy_g of 1,000,000 (the ceiling)",
             {"actions.csv": lines(A, act("g0", energy="1000000"))}, good={"actions": 1}),
        Case("val-energy-above-ceiling", "energy_g of 1,000,001",
             {"actions.csv": lines(A, act("bad", energy="1000001"))},
             rejects=[("actions.csv", 2, "above_max")]),
        Case("val-energy-negative", "energy_g of -5",
             {"actions.csv": lines(A, act("bad", energy="-5"))},
             rejects=[("actions.csv", 2, "below_min")]),
        Case("val-energy-not-whole", "energy_g 12.5, 1e3, 1_000, 1,000",
             {"actions.csv": lines(A, act("b1", energy="12.5"), act("b2", energy="1e3"),
                                   act("b3", energy="1_000"), act("b4", energy='"1,000"'))},
             rejects=[("actions.csv", n, "not_int") for n in (2, 3, 4, 5)]),
        Case("val-energy-signs-and-zeros", "energy_g +5 and 007",
             {"actions.csv": lines(A, act("g0", energy="+5"), act("g1", energy="007"))},
             good={"actions": 2}),
        Case("val-energy-blank", "energy_g blank",
             {"actions.csv": lines(A, act("bad", energy=""))},
             rejects=[("actions.csv", 2, "missing")]),
        Case("val-year-0000", "occurred_at in year 0000 (it crashed ingest)",
             {"actions.csv": lines(A, act("bad", "0000-01-01 10:00"), act("g0"))},
             good={"actions": 1}, rejects=[("actions.csv", 2, "too_early")]),
        Case("val-year-9999", "occurred_at in year 9999 (it broke summary)",
             {"actions.csv": lines(A, act("bad", "9999-12-31 10:00"), act("g0"))},
             good={"actions": 1}, rejects=[("actions.csv", 2, "too_late")], cli=True),
        Case("val-year-2099", "occurred_at in 2099 (it became 'This year')",
             {"actions.csv": lines(A, act("bad", "2099-06-01 10:00"))},
             rejects=[("actions.csv", 2, "too_late")]),
        Case("val-event-floor", "just before and at 2000-01-01 in China time",
             {"actions.csv": lines(A, act("bad", "1999-12-31 23:59:59"),
                                   act("g0", "1999-12-31T16:00:00Z"))},
             good={"actions": 1}, rejects=[("actions.csv", 2, "too_early")]),
        Case("val-event-tomorrow", "tomorrow is allowed, three days ahead is not",
             {"actions.csv": lines(A, act("g0", f"{tomorrow} 09:00"), act("bad", f"{later} 09:00"))},
             good={"actions": 1}, rejects=[("actions.csv", 3, "too_late")]),
        Case("val-offset-25h", "a UTC offset of +25:00",
             {"actions.csv": lines(A, act("bad", "2025-03-05T10:00:00+25:00"), act("g0"))},
             good={"actions": 1}, rejects=[("actions.csv", 2, "bad_offset")]),
        Case("val-offsets", "offsets +14:00 and -12:00 load; +14:30 and +05:75 do not",
             {"actions.csv": lines(A, act("g0", "2025-03-05T10:00+14:00"),
                                   act("g1", "2025-03-05T10:00-1200"),
                                   act("bad1", "2025-03-05T10:00+14:30"),
                                   act("bad2", "2025-03-05T10:00+05:75"))},
             good={"actions": 2},
             rejects=[("actions.csv", 4, "bad_offset"), ("actions.csv", 5, "bad_offset")]),
        Case("val-timestamp-shapes", "2025/03/05, 30 February, a date alone, 1e3",
             {"actions.csv": lines(A, act("b1", "2025/03/05 10:00"), act("b2", "2025-02-30 10:00"),
                                   act("b3", "2025-03-05"), act("b4", "1e3"))},
             rejects=[("actions.csv", n, "not_timestamp") for n in (2, 3, 4, 5)]),
        Case("val-codes-exact", "a region in lower case, an unknown action",
             {"actions.csv": lines(A, act("b1", region="cn-gd"), act("b2", action="flying"))},
             rejects=[("actions.csv", 2, "unknown_regions"), ("actions.csv", 3, "unknown_actions")]),
        Case("val-user-missing", "a blank user_id",
             {"actions.csv": lines(A, act("bad", user=""))}, rejects=[("actions.csv", 2, "missing")]),
        Case("val-id-too-long", "an event_id of 1,001 characters",
             {"actions.csv": lines(A, act("e" * 1001), act("e" * 1000))},
             good={"actions": 1}, rejects=[("actions.csv", 2, "too_long")]),
        Case("val-units-1e308-twice", "two units of 1e308 (they made Infinity)",
             {"redemptions.csv": lines(R, red("bad1", units="1e308"), red("bad2", units="1e308"),
                                       red("g0"))},
             good={"redemptions": 1},
             rejects=[("redemptions.csv", 2, "above_max"), ("redemptions.csv", 3, "above_max")],
             cli=True),
        Case("val-units-not-finite", "units inf, NaN, -inf",
             {"redemptions.csv": lines(R, red("b1", units="inf"), red("b2", units="NaN"),
                                       red("b3", units="-inf"))},
             rejects=[("redemptions.csv", n, "not_number") for n in (2, 3, 4)]),
        Case("val-units-zero-and-comma", "units 0 and 1,5",
             {"redemptions.csv": lines(R, red("b1", units="0"), red("b2", units='"1,5"'))},
             rejects=[("redemptions.csv", 2, "not_above"), ("redemptions.csv", 3, "not_number")]),
        Case("val-redemption-energy-ceiling", "energy_g of 10^9 loads, 10^9 + 1 does not",
             {"redemptions.csv": lines(R, red("g0", energy="1000000000"),
                                       red("bad", energy="1000000001"))},
             good={"redemptions": 1}, rejects=[("redemptions.csv", 3, "above_max")]),
        Case("val-planting-dates", "planted in 2099 and in 1899",
             {"plantings.csv": lines(PL, plant("b1", on="2099-04-01"), plant("b2", on="1899-04-01"),
                                     plant("g0"))},
             good={"plantings": 1},
             rejects=[("plantings.csv", 2, "too_late"), ("plantings.csv", 3, "too_early")]),
        Case("val-planting-area", "area_ha of 10^7 (above 10^6)",
             {"plantings.csv": lines(PL, plant("bad", area="10000000"))},
             rejects=[("plantings.csv", 2, "above_max")]),
        Case("val-project-coordinates", "lat 91, lon -181",
             {"projects.csv": lines(P, proj("Pb1", lat="91"), proj("Pb2", lon="-181"))},
             rejects=[("projects.csv", 2, "above_max"), ("projects.csv", 3, "below_min")]),
        Case("val-project-dates", "started in year 0, a target in 2101; a target in 2040 loads",
             {"projects.csv": lines(P, proj("Pb1", started="0000-01-01"),
                                    proj("Pb2", target_date="2101-01-01"),
                                    proj("Pg", target_date="2040-12-31"))},
             good={"projects": 1},
             rejects=[("projects.csv", 2, "too_early"), ("projects.csv", 3, "too_late")]),
        Case("val-protected-area-size", "an area of 2 × 10^8 ha (more than China's fifth)",
             {"protected_areas.csv": lines(PA, "Ab,Huge,X,CN-XZ,200000000,2019-01-01,,,")},
             rejects=[("protected_areas.csv", 2, "above_max")]),
        Case("val-survey-counts", "alive > sampled; sampled of 10^10",
             {"surveys.csv": lines(S, "Sb1,P1,saxaul,2025-04-10,10,11",
                                   "Sb2,P1,saxaul,2025-04-10,10000000000,1")},
             rejects=[("surveys.csv", 2, "alive_exceeds_sampled"),
                      ("surveys.csv", 3, "above_max")]),
        Case("val-species-codes", "IUCN 'vu' in lower case; last observed in the future",
             {"area_species.csv": lines(AS, "A1,Panthera uncia,vu,,,",
                                        f"A1,Pica pica,LC,,,{(t + timedelta(days=5)).isoformat()}")},
             rejects=[("area_species.csv", 2, "unknown_iucn_categories"),
                      ("area_species.csv", 3, "too_late")]),
    ]  # fmt: skip


def _pq_cases() -> list[Case]:
    good = parquet(PQ_ACTIONS)
    return [
        Case("pq-typed", "typed columns", {"actions/p.parquet": good}, good={"actions": 3}),
        Case("pq-text-columns", "every column as text",
             {"actions/p.parquet": parquet(
                 "SELECT 'q1' AS event_id, 'u1' AS user_id, '2025-03-05 10:00' AS occurred_at, "
                 "'walking' AS action, 'CN-GD' AS region, '10' AS energy_g")},
             good={"actions": 1}),
        Case("pq-energy-float", "energy_g 12.5 (a reject) and 12.0 (loads)",
             {"actions/p.parquet": pq_actions(energy_g="12.5::DOUBLE")},
             good={"actions": 3}, rejects=[("actions/p.parquet", 4, "not_int")]),
        Case("pq-energy-nan", "energy_g NaN and inf as doubles",
             {"actions/p.parquet": pq_actions(energy_g="'NaN'::DOUBLE")},
             good={"actions": 3}, rejects=[("actions/p.parquet", 4, "not_int")]),
        Case("pq-energy-int64-max", "energy_g 2^63-1 as BIGINT",
             {"actions/p.parquet": pq_actions(energy_g="9223372036854775807::BIGINT")},
             good={"actions": 3}, rejects=[("actions/p.parquet", 4, "above_max")]),
        Case("pq-energy-ubigint", "energy_g 2^64-1 as UBIGINT (no 64-bit signed value)",
             {"actions/p.parquet": pq_actions(energy_g="18446744073709551615::UBIGINT")},
             good={"actions": 3}, rejects=[("actions/p.parquet", 4, "not_int")]),
        Case("pq-energy-decimal", "energy_g as DECIMAL(10,2) 12.00",
             {"actions/p.parquet": parquet(PQ_ACTIONS.replace("10::BIGINT", "12.00::DECIMAL(10,2)"))},
             good={"actions": 3}),
        Case("pq-year-1", "occurred_at in year 1",
             {"actions/p.parquet": pq_actions(occurred_at="TIMESTAMP '0001-01-01 00:00:00'")},
             good={"actions": 3}, rejects=[("actions/p.parquet", 4, "too_early")]),
        Case("pq-year-9999", "occurred_at in year 9999",
             {"actions/p.parquet": pq_actions(occurred_at="TIMESTAMP '9999-12-31 00:00:00'")},
             good={"actions": 3}, rejects=[("actions/p.parquet", 4, "too_late")]),
        Case("pq-timestamp-ns", "occurred_at as TIMESTAMP_NS",
             {"actions/p.parquet": parquet(PQ_ACTIONS.replace(
                 "TIMESTAMPTZ '2025-03-05 10:00:00+08'", "TIMESTAMP_NS '2025-03-05 10:00:00'"))},
             good={"actions": 3}),
        # A nanosecond before the first day allowed is before it: cut to the microsecond, as a
        # CSV's text is, not rounded up into the day after.
        Case("pq-timestamp-ns-cut", "TIMESTAMP_NS 1999-12-31 23:59:59.999999999 (China time)",
             {"actions/p.parquet": pq_actions(
                 occurred_at="TIMESTAMP_NS '1999-12-31 23:59:59.999999999'")},
             good={"actions": 3}, rejects=[("actions/p.parquet", 4, "too_early")]),
        Case("pq-timestamptz-ns-cut", "TIMESTAMPTZ_NS 1999-12-31 15:59:59.999999999 UTC",
             {"actions/p.parquet": pq_actions(
                 occurred_at="TIMESTAMPTZ_NS '1999-12-31 15:59:59.999999999+00'")},
             good={"actions": 3}, rejects=[("actions/p.parquet", 4, "too_early")]),
        Case("pq-column-twice", "two energy_g columns (pandas, a join)",
             {"actions/p.parquet": _pq_column_twice},
             refused={"actions/p.parquet": "its schema names column 'energy_g' twice"}),
        Case("pq-units-not-finite", "redemption units NaN and inf",
             {"redemptions/p.parquet": parquet(
                 "SELECT 'q' || i AS redemption_id, 'u1' AS user_id, "
                 "TIMESTAMPTZ '2025-03-05 10:00:00+08' AS redeemed_at, 'P1' AS project_id, "
                 "'saxaul' AS species, [1.0, 'NaN'::DOUBLE, 'inf'::DOUBLE][i + 1] AS units, "
                 "17900::BIGINT AS energy_g FROM range(3) t(i)")},
             good={"redemptions": 1},
             rejects=[("redemptions/p.parquet", 2, "not_number"),
                      ("redemptions/p.parquet", 3, "not_number")]),
        Case("pq-boolean-energy", "energy_g as BOOLEAN",
             {"actions/p.parquet": parquet(PQ_ACTIONS.replace("10::BIGINT", "true"))},
             refused={"actions/p.parquet": "has type BOOLEAN; an integer is required"}),
        Case("pq-timestamp-for-date", "planted_on as TIMESTAMP",
             {"plantings/p.parquet": parquet(
                 "SELECT 'q1' AS planting_id, 'P1' AS project_id, 'saxaul' AS species, "
                 "TIMESTAMP '2024-04-10 00:00' AS planted_on, 10.0 AS units_planted, "
                 "0.1 AS area_ha")},
             refused={"plantings/p.parquet": "a date is required"}),
        Case("pq-not-parquet", "text in a .parquet file",
             {"actions/p.parquet": b"event_id,user_id\nx,y\n"},
             refused={"actions/p.parquet": "cannot be read"}, cli=True),
        Case("pq-truncated", "a Parquet file cut in half", {"actions/p.parquet": truncated(good)},
             refused={"actions/p.parquet": "cannot be read"}),
        Case("pq-corrupt-page", "a data page overwritten, the footer intact",
             {"actions/p.parquet": corrupted(parquet(
                 "SELECT 'q' || i AS event_id, 'u' || (i % 97) AS user_id, "
                 "TIMESTAMPTZ '2025-03-05 10:00:00+08' AS occurred_at, 'walking' AS action, "
                 "'CN-GD' AS region, (i % 300)::BIGINT AS energy_g FROM range(20000) t(i)"))},
             refused={"actions/p.parquet": "cannot be read"}),
        Case("pq-no-rows", "a Parquet file with no rows",
             {"actions/p.parquet": parquet(PQ_ACTIONS + " WHERE false")}),
        Case("pq-missing-column", "no energy_g column",
             {"actions/p.parquet": parquet(
                 "SELECT 'q1' AS event_id, 'u1' AS user_id, "
                 "TIMESTAMPTZ '2025-03-05 10:00:00+08' AS occurred_at, 'walking' AS action, "
                 "'CN-GD' AS region")},
             refused={"actions/p.parquet": "lacks required column 'energy_g'"}),
        Case("pq-struct-as-text", "brand_id as a STRUCT (read as its text)",
             {"actions/p.parquet": parquet(PQ_ACTIONS.replace("NULL::VARCHAR", "{'a': 1}"))},
             good={"actions": 3}),
        Case("pq-repeated-id", "an event_id twice in one file",
             {"actions/p.parquet": parquet(PQ_ACTIONS + " UNION ALL (" + PQ_ACTIONS + " LIMIT 1)")},
             good={"actions": 3}, rejects=[("actions/p.parquet", 4, "duplicate_key")]),
        Case("pq-text-bad-values", "text columns holding bad values",
             {"actions/p.parquet": parquet(
                 "SELECT 'q' || i AS event_id, 'u1' AS user_id, "
                 "['2025-03-05 10:00', '0000-01-01 00:00', '2025-03-05'][i + 1] AS occurred_at, "
                 "'walking' AS action, 'CN-GD' AS region, '10' AS energy_g FROM range(3) t(i)")},
             good={"actions": 1},
             rejects=[("actions/p.parquet", 2, "too_early"),
                      ("actions/p.parquet", 3, "not_timestamp")]),
    ]  # fmt: skip


def _dup_cases() -> list[Case]:
    return [
        Case("dup-within-file", "an event_id twice in one file",
             {"actions.csv": lines(A, act("g0"), act("g1"), act("g0"))},
             good={"actions": 2}, rejects=[("actions.csv", 4, "duplicate_key")]),
        Case("dup-first-copy-bad", "a key whose first copy breaks a rule: the good copy loads",
             {"actions.csv": lines(A, act("g0", energy="-1"), act("g0"))},
             good={"actions": 1}, rejects=[("actions.csv", 2, "below_min")]),
        Case("dup-across-files-same-month", "the same id in two files of one load, one month",
             {"actions/a.csv": lines(A, act("g0")), "actions/b.csv": lines(A, act("g0"), act("g1"))},
             good={"actions": 2}, already={"actions": 1}),
        Case("dup-across-files-other-month", "the same id in two files of one load, two months",
             {"actions/a.csv": lines(A, act("g0", "2025-03-05 10:00")),
              "actions/b.csv": lines(A, act("g0", "2025-05-05 10:00"),
                                     act("g1", "2025-05-06 10:00"))},
             good={"actions": 2}, already={"actions": 1}),
        Case("dup-earlier-load-same-month", "an id loaded before, same month",
             {"actions.csv": lines(A, act("b1", "2025-01-05 10:00"), act("g0"))},
             good={"actions": 1}, already={"actions": 1}),
        Case("dup-earlier-load-other-month", "an id loaded for July 2023, sent dated 2025",
             {"actions.csv": lines(A, act("july", "2025-03-05 10:00"), act("g0"))},
             good={"actions": 1}, already={"actions": 1}, cli=True),
        Case("dup-redemption-other-month", "a redemption_id loaded before, another month",
             {"redemptions.csv": lines(R, red("r1", "2024-06-01 10:00"),
                                       red("g0", "2024-06-02 10:00"))},
             good={"redemptions": 1}, already={"redemptions": 1}),
        Case("dup-project-again", "a project loaded before, with other values",
             {"projects.csv": lines(P, proj("P1", name="Renamed"))}, already={"projects": 1}),
        Case("dup-padded-id", "an id loaded before, padded with spaces",
             {"actions.csv": lines(A, act(" b1 ", "2025-01-05 10:00"))}, already={"actions": 1}),
        Case("dup-case-differs", "an id differing only in case is another id",
             {"actions.csv": lines(A, act("B1", "2025-01-05 10:00"))}, good={"actions": 1}),
        Case("dup-same-folder-twice", "a folder loaded twice",
             {"actions.csv": lines(A, act("g0"), act("bad", energy="-1"))},
             good={"actions": 1}, rejects=[("actions.csv", 3, "below_min")], twice=True),
        Case("dup-area-species-key", "(area_id, scientific_name) loaded before",
             {"area_species.csv": lines(AS, "A1,Ailuropoda melanoleuca,EN,,,",
                                        "A1,Pica pica,LC,,,")},
             good={"area_species": 1}, already={"area_species": 1}),
        Case("dup-other-month-in-one-file", "the same id twice in one file, two months",
             {"actions.csv": lines(A, act("g0", "2025-03-05 10:00"), act("g0", "2025-06-05 10:00"))},
             good={"actions": 1}, rejects=[("actions.csv", 3, "duplicate_key")]),
        *_resend_cases(),
    ]  # fmt: skip


def _pq_column_twice(path: Path) -> None:
    """Good actions whose Parquet schema names energy_g twice (DuckDB cannot write that)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = ["event_id", "user_id", "occurred_at", "action", "region", "energy_g", "energy_g"]
    values = ["q1", "u1", "2025-03-05 10:00:00+08:00", "walking", "CN-GD", 10, 999999999]
    pq.write_table(pa.table([pa.array([v]) for v in values], names=names), path)


def _pq_one_action(event_id: str) -> Writer:
    """One good action as typed Parquet, its event_id the SQL given (a DOUBLE, a BIGINT…)."""
    return parquet(f"""SELECT {event_id} AS event_id, 'u1' AS user_id,
        TIMESTAMPTZ '2025-03-05 10:00:00+08' AS occurred_at, 'walking' AS action,
        'CN-GD' AS region, 10::BIGINT AS energy_g, NULL::VARCHAR AS brand_id""")


def _resend_cases() -> list[Case]:
    """One event re-sent in another form is one key (docs/CONTRACT.md, Keys: an identifier is
    compared as its canonical form): each is loaded twice, and counted once."""
    nbsp, ideographic, bom = "\u00a0", "\u3000", "\ufeff"
    return [
        Case("dup-resend-csv-then-parquet-double", "9002 in a CSV, then 9002.0 as a Parquet DOUBLE",
             {"actions/a.csv": lines(A, act("9002")), "actions/b.parquet": _pq_one_action("9002.0::DOUBLE")},
             good={"actions": 1}, already={"actions": 1}, twice=True),
        Case("dup-resend-parquet-bigint-then-float-text", "9003 as a Parquet BIGINT, then \"9003.0\" in a CSV",
             {"actions/a.parquet": _pq_one_action("9003::BIGINT"), "actions/b.csv": lines(A, act("9003.0"))},
             good={"actions": 1}, already={"actions": 1}, twice=True),
        Case("dup-resend-no-break-space", "an id loaded before, with a trailing NO-BREAK SPACE",
             {"actions.csv": lines(A, act(f"b1{nbsp}", "2025-01-05 10:00"), act(f"g0{nbsp}"))},
             good={"actions": 1}, already={"actions": 1}, twice=True),
        Case("dup-resend-ideographic-space", "an id loaded before, behind an IDEOGRAPHIC SPACE",
             {"actions.csv": lines(A, act(f"{ideographic}b2", "2025-01-06 10:00"))},
             already={"actions": 1}, twice=True),
        Case("dup-resend-bom-mid-file", "a second file appended without its header: a BOM mid-file",
             {"actions.csv": lines(A, act("g0"), f"{bom}{act('b1', '2025-01-05 10:00')}")},
             good={"actions": 1}, already={"actions": 1}, twice=True),
        Case("dup-resend-decomposed", "an id in NFC, then decomposed (NFD)",
             {"actions/a.csv": lines(A, act("caf\u00e9")), "actions/b.csv": lines(A, act("cafe\u0301"))},
             good={"actions": 1}, already={"actions": 1}, twice=True),
    ]  # fmt: skip


def _ref_cases() -> list[Case]:
    return [
        Case("ref-unknown-project", "a redemption for a project never loaded",
             {"redemptions.csv": lines(R, red("bad", project="P9"), red("g0"))},
             good={"redemptions": 1}, rejects=[("redemptions.csv", 2, "unknown_projects")],
             cli=True),
        Case("ref-project-in-same-folder", "a project and its planting in one folder",
             {"projects.csv": lines(P, proj("P3")), "plantings.csv": lines(PL, plant("g0", project="P3"))},
             good={"projects": 1, "plantings": 1}),
        Case("ref-project-rejected", "a planting whose project is rejected in the same load",
             {"projects.csv": lines(P, proj("P4", lat="95")),
              "plantings.csv": lines(PL, plant("bad", project="P4"))},
             rejects=[("projects.csv", 2, "above_max"), ("plantings.csv", 2, "unknown_projects")]),
        Case("ref-unknown-area", "a species in an area never loaded",
             {"area_species.csv": lines(AS, "A9,Pica pica,LC,,,")},
             rejects=[("area_species.csv", 2, "unknown_protected_areas")]),
        Case("ref-unknown-species", "a planting of a species the methodology lacks",
             {"plantings.csv": lines(PL, "bad,P1,oak,2024-04-10,10,0.1,,")},
             rejects=[("plantings.csv", 2, "unknown_species")]),
        Case("ref-brand-without-row", "an action crediting a brand brands.csv lacks",
             {"actions.csv": lines(A, act("g0", brand="B-new"))}, good={"actions": 1}),
    ]  # fmt: skip


def _refdir_cases() -> list[Case]:
    sp = REF_SPECIES_HEAD + "saxaul,tree,desert,5,2,8,{s}\n"
    minimal = {"actions": REF_ACTIONS.format(c=100)}
    folder = {"actions.csv": lines(A, act("g0"))}
    refused = "nothing loaded"
    return [
        Case("refdir-valid", "another valid methodology folder", folder,
             reference=reference(**minimal), good={"actions": 1}),
        Case("refdir-factor-inf", "co2e_g of inf (it made Infinity)", folder,
             reference=reference(actions=REF_ACTIONS.format(c="inf").replace("150", "inf")),
             error="actions.csv line 2: co2e_g must be a finite number ≥ 0", cli=True),
        Case("refdir-factor-1e308", "co2e_g of 1e308 (finite, far above the ceiling)", folder,
             reference=reference(actions=REF_ACTIONS.format(c="1e308").replace("150", "1e308")),
             error="co2e_g must be a finite number ≥ 0 and ≤ 10,000,000"),
        Case("refdir-factor-negative", "co2e_g of -1", folder,
             reference=reference(actions=REF_ACTIONS.format(c="-1")),
             error="co2e_g must be a finite number ≥ 0"),
        Case("refdir-factor-text", "co2e_g of 'lots'", folder,
             reference=reference(actions=REF_ACTIONS.format(c="lots")),
             error="co2e_g must be a finite number ≥ 0"),
        Case("refdir-factor-nan", "co2e_g of NaN", folder,
             reference=reference(actions=REF_ACTIONS.format(c="NaN")),
             error="co2e_g must be a finite number ≥ 0"),
        Case("refdir-low-above-central", "co2e_g_low above co2e_g", folder,
             reference=reference(actions=REF_ACTIONS.format(c="40")),
             error="needs co2e_g_low ≤ co2e_g ≤ co2e_g_high"),
        Case("refdir-missing-column", "actions.csv without co2e_g_high", folder,
             reference=reference(actions="action,co2e_g,co2e_g_low\nwalking,100,50\n"),
             error="required column 'co2e_g_high' is missing"),
        Case("refdir-repeated-code", "an action code twice", folder,
             reference=reference(actions=REF_ACTIONS.format(c=100) + "walking,1,1,1\n"),
             error="action 'walking' repeats"),
        Case("refdir-blank-code", "a blank action code", folder,
             reference=reference(actions=REF_ACTIONS.format(c=100) + ",1,1,1\n"),
             error="empty action"),
        Case("refdir-no-species", "no species.csv", folder, reference=reference(species=None),
             error="missing (a reference folder needs species.csv)"),
        Case("refdir-no-version", "no version anywhere", folder,
             reference=reference(methodology=None), error="no methodology version"),
        Case("refdir-survival-above-1", "default_survival of 1.5", folder,
             reference=reference(species=sp.format(s="1.5")),
             error="default_survival must be a finite number ≥ 0 and ≤ 1"),
        Case("refdir-unknown-unit", "a species unit of 'acre'", folder,
             reference=reference(species=sp.format(s="0.5").replace(",tree,", ",acre,")),
             error="unit 'acre' is not one of tree, m2"),
        Case("refdir-optional-inf", "an optional energy_g of inf", folder,
             reference=reference(actions="action,co2e_g,co2e_g_low,co2e_g_high,energy_g\n"
                                         "walking,100,50,150,inf\n"),
             error="energy_g must be a finite number ≥ 0"),
        Case("refdir-optional-blank", "an optional energy_g left blank", folder,
             reference=reference(actions="action,co2e_g,co2e_g_low,co2e_g_high,energy_g\n"
                                         "walking,100,50,150,\n"),
             good={"actions": 1}),
        Case("refdir-not-utf8", "species.csv in Latin-1", folder,
             reference=None, error=refused),
        # Its carbon would silently become 0 (issue 26): refused, unless --force
        # (test_methodology.py, test_a_methodology_that_drops_a_used_code_needs_force_and_says_so).
        Case("refdir-drops-used-code", "a methodology without 'walking', which loaded actions use",
             folder, reference=reference(actions=REF_ACTIONS.format(c=100).replace(
                 "walking,100,50,150\n", "")),
             error="drops action code 'walking' (4 rows), which loaded rows use", cli=True),
    ]  # fmt: skip


def _name_cases() -> list[Case]:
    two = lines(A, act("g0"))
    link_out = ("is a link to a file outside the input folder, and only what the folder holds is "
                "loaded: copy the file into the folder")  # fmt: skip
    return [
        Case("name-star", "a file named a*.csv beside ab.csv",
             {"actions/a*.csv": two, "actions/ab.csv": lines(A, act("g1"))},
             good={"actions": 2}, cli=True),
        Case("name-question-mark", "a file named a?.csv beside ab.csv",
             {"actions/a?.csv": two, "actions/ab.csv": lines(A, act("g1"))}, good={"actions": 2}),
        Case("name-brackets", "a file named [ab].csv beside a.csv",
             {"actions/[ab].csv": two, "actions/a.csv": lines(A, act("g1"))}, good={"actions": 2}),
        Case("name-braces", "a file named {a,b}.parquet beside a.parquet",
             {"actions/{a,b}.parquet": parquet(PQ_ACTIONS),
              "actions/a.parquet": parquet(PQ_ACTIONS.replace("'q' || i", "'w' || i"))},
             good={"actions": 6}),
        Case("name-glob-reject-line", "a reject in a file named x*.csv names that file",
             {"actions/x*.csv": lines(A, act("g0"), act("bad", energy="-1"))},
             good={"actions": 1}, rejects=[("actions/x*.csv", 3, "below_min")]),
        Case("name-spaces-and-unicode", "parts named 'my file.csv' and '数据.csv'",
             {"actions/my file.csv": two, "actions/数据.csv": lines(A, act("g1"))},
             good={"actions": 2}),
        Case("name-quote-in-name", "a part named it's.csv",
             {"actions/it's.csv": two}, good={"actions": 1}),
        Case("name-upper-case", "Actions.csv (file names are lower case): ignored",
             {"Actions.csv": two}),
        Case("name-upper-suffix", "a part named part.CSV",
             {"actions/part.CSV": two}, good={"actions": 1}),
        Case("name-hidden-part", "a macOS ._part.csv beside the part: not read",
             {"actions/part.csv": two, "actions/._part.csv": b"\x00\x05\x16\x07binary"},
             good={"actions": 1}),
        Case("name-nested-folder", "a part one folder too deep: ignored",
             {"actions/2025/part.csv": two}),
        Case("name-csv-and-parquet", "actions.csv and actions.parquet side by side",
             {"actions.csv": two, "actions.parquet": parquet(PQ_ACTIONS)}, good={"actions": 4}),
        Case("name-table-and-parts", "actions.csv and actions/ parts",
             {"actions.csv": two, "actions/p.csv": lines(A, act("g1"))}, good={"actions": 2}),
        Case("name-empty-folder", "an empty folder", {}),
        Case("name-unknown-files", "only files that name no table",
             {"notes.txt": b"hello", "users.csv": lines("user_id", "u1")}),
        Case("name-folder-named-like-a-file", "a folder named actions.csv",
             {"actions.csv/x.csv": two}),
        Case("name-file-not-folder", "ingest given a file instead of a folder",
             {"actions.csv": two}, folder_is_file=True, error="", cli=True),
        Case("name-symlinked-file", "actions.csv a link to a file outside the folder",
             {"actions.csv": _link_to(two)}, refused={"actions.csv": link_out}),
        Case("name-newline-in-name", "a part whose name holds a line break",
             {"actions/a\nb.csv": two}, good={"actions": 1}),
        # Issue 26, item 12: one name that is not UTF-8 stopped the load (std::bad_cast).
        Case("name-not-utf8", "a part named in GBK bytes (B6 AB, from a Windows zip), and a good one",
             {"actions/\udcb6\udcab.csv": two, "actions/ok.csv": lines(A, act("g1"))},
             good={"actions": 1},
             refused={"actions/\\xb6\\xab.csv": "its name is not UTF-8 text (in GBK, as a zip made "
                                                "on Windows names files, it reads 东.csv): rename it"},
             cli=True),
        # Issue 26, item 13: actions/passwd.csv, a link to /etc/passwd, was read.
        Case("name-link-out-of-folder", "a part a link to a file outside the folder, and a good one",
             {"actions/passwd.csv": _outside(two, depth=2), "actions/ok.csv": lines(A, act("g1"))},
             good={"actions": 1}, refused={"actions/passwd.csv": link_out}, cli=True),
        Case("name-link-inside-folder", "a part a link to a file inside the folder: followed",
             {"actions/a.csv": _inside(two)}, good={"actions": 1}),
        Case("name-linked-folder-out", "actions/ a link to a folder outside, and projects.csv",
             {"actions": _outside(two, folder=True), "projects.csv": lines(P, proj("P5"))},
             good={"projects": 1},
             refused={"actions": "is a link to a folder outside the input folder, and only what "
                                 "the folder holds is loaded: copy its files into the folder"}),
    ]  # fmt: skip


def _link_to(content: bytes) -> Writer:
    def write(path: Path) -> None:
        target = path.parent.parent / f"{path.parent.name}-outside" / "data.csv"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        path.symlink_to(target)

    return write


def _outside(content: bytes, depth: int = 1, folder: bool = False) -> Writer:
    """A link to a file outside the input folder (`folder`: to a folder holding it as p.csv),
    for a path `depth` folders below the input folder (1: at its top)."""

    def write(path: Path) -> None:
        top = path.parents[depth - 1]
        target = top.parent / f"{top.name}-outside" / path.name
        data = target / "p.csv" if folder else target
        data.parent.mkdir(parents=True, exist_ok=True)
        data.write_bytes(content)
        path.symlink_to(target)

    return write


def _inside(content: bytes) -> Writer:
    """A part that is a link to spare/<its name>, a folder of the input folder (relative)."""

    def write(path: Path) -> None:
        target = path.parent.parent / "spare" / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        path.symlink_to(Path("..") / "spare" / path.name)

    return write


def _refdir_latin1(case: Case) -> Case:
    """species.csv in Latin-1: the reference folder is refused (it must be UTF-8)."""
    case.reference = reference()
    text = str(case.reference["species.csv"]).replace("saxaul", "saxaül")
    case.reference["species.csv"] = text.encode("latin-1")
    case.error = "cannot be read as UTF-8 CSV"
    return case


def cases() -> list[Case]:
    """Every case of the corpus, in a stable order."""
    out = (_csv_cases() + _enc_cases() + _val_cases() + _pq_cases() + _dup_cases()
           + _ref_cases() + _refdir_cases() + _name_cases())  # fmt: skip
    for case in out:
        if case.name == "refdir-not-utf8":
            _refdir_latin1(case)
    names = [c.name for c in out]
    assert len(names) == len(set(names)), "case names repeat"
    return out


def outcome(case: Case) -> str:
    """What greenstats does with the case, in words (the test checks each part)."""
    if case.error is not None:
        said = f": *{case.error}*" if case.error else ""
        return f"load refused{said}; nothing published (exit 1)"
    parts = []
    for table, n in case.good.items():
        parts.append(f"{table}: {n:,} loaded")
    for table, n in case.already.items():
        parts.append(f"{table}: {n:,} already loaded")
    for file, line, rule in case.rejects:
        parts.append(f"`{rule}` at {file} line {line}")
    for file, words in case.refused.items():
        parts.append(f"{file} refused: *{words}*")
    if case.twice:
        parts.append("loaded again: nothing added, rejects listed again")
    for words in case.warnings:
        parts.append(f"warning *{words}*")
    if not parts:
        parts.append("nothing to load")
    return "; ".join(parts) + f" (exit {case.exit_code})"


def reliability_tables(seen: dict[str, dict], base: dict[str, int]) -> str:
    """RELIABILITY.md's tables of bad input: one per class, each case with its outcome, the
    good rows of its tables before and after (as measured), and the command that reruns it."""
    out = []
    for fault in FAULTS.values():
        out += [f"### {fault}", "",
                "| case | sent | outcome | good rows before → after | reproduce |",
                "|---|---|---|---|---|"]  # fmt: skip
        for case in (c for c in cases() if c.fault == fault):
            after = seen[case.name]["counts"]
            tables = list(case.good) or list(case.already) or [_main_table(case)]
            counts = ", ".join(
                f"{t} {base.get(f'staged:{t}', 0):,} → {after.get(f'staged:{t}', 0):,}"
                for t in tables
            )
            what, result = (text.replace("|", r"\|") for text in (case.what, outcome(case)))
            rerun = f"`python -m pytest tests/test_corpus.py -k {case.name}`"
            out.append(f"| `{case.name}` | {what} | {result} | {counts} | {rerun} |")
        out.append("")
    return "\n".join(out)


def _main_table(case: Case) -> str:
    for rel in case.files:
        name = rel.split("/")[0].split(".")[0]
        if name in BASE_ROWS:
            return name
    return "actions"


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[1] == "--reliability":
        # Run every case (as tests/test_corpus.py does) and print RELIABILITY.md's tables.
        import tempfile

        from tests import test_corpus

        root = Path(tempfile.mkdtemp(prefix="corpus-"))
        base = Case("base", "", BASE).write(root / "base-input")
        from greenstats.data.pipeline import ingest_folder

        ingest_folder(base, root / "base", REFERENCE_MIN)
        base_counts = test_corpus.counts(root / "base")
        seen = {c.name: test_corpus.observe(c.name, str(root / "base"), str(root / c.name))
                for c in cases()}  # fmt: skip
        print(reliability_tables(seen, base_counts))
        return 0
    if len(argv) != 2:
        print("usage: python tests/corpus.py OUT | --reliability", file=sys.stderr)
        return 2
    out = Path(argv[1])
    for case in cases():
        case.write(out / case.name)
        case.write_reference(out / f"{case.name}.reference")
    print(f"{len(cases())} cases written under {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
