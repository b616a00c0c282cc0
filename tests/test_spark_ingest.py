"""The Spark ingest against the DuckDB ingest (greenstats/data/spark/ingest/): the same files
give the same reports, the same rejects and the same lake rows, on the demo data and on every
bad-row file of the corpus that Spark reads (Parquet, plain CSV); each rewrite of the adapter
gives, on Spark, the value DuckDB gives. No mocks: both engines run for real, Spark in one
local[2] session for the module.
"""

from __future__ import annotations

import os
import shutil
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from pyspark.sql import functions as sf

from greenstats.data import csvfile, pseudonym
from greenstats.data.contract import LOCAL_TZ, REJECT_RULES, TABLES, TABLES_BY_NAME
from greenstats.data.ingest import FileReport, Loader, discover, load_folder
from greenstats.data.ingest.rules import checks, typed
from greenstats.data.methodology import Reference, load_reference
from greenstats.data.paths import DEFAULT_REFERENCE
from greenstats.data.spark.ingest import SparkIngestResult, ingest_folder_spark
from greenstats.data.spark.ingest.adapter import SparkAdapter, register_functions
from greenstats.data.spark.ingest.check import REJECT_COLUMNS
from greenstats.data.spark.ingest.files import GLOB_NAME, NOT_PLAIN
from greenstats.data.warehouse.connection import configure
from tests import corpus, handbuilt, hostile

#: The key both engines make pseudonyms with (any text of 32+ characters).
USER_KEY = "spark-parity-test-key-0123456789abcdef"
#: The corpus's classes of bad rows loaded by both engines (the others are about reference
#: folders and file names, which the engines share: `discover`, `load_reference`).
PARITY_CLASSES = ("csv", "enc", "val", "pq", "dup", "ref")
#: Corpus cases the Spark engine does not load as the DuckDB engine does, and why.
SPARK_DIFFERS = {
    "pq-timestamp-ns": "Spark's Parquet reader does not read nanosecond timestamps: refused",
    "pq-timestamp-ns-cut": "the same",
    "pq-timestamptz-ns-cut": "the same",
    "pq-struct-as-text": "a nested column read as text: refused (Spark writes it otherwise)",
    "pq-corrupt-page": "a damaged data page fails the Spark job instead of refusing the file",
}
#: Rules no Parquet or plain CSV file can break: a plain file is UTF-8 with an even number of
#: quotes on every line, and a text column reads any value as text.
NOT_PLAIN_RULES = {"bad_encoding", "unreadable_row", "unclosed_quote", "not_text"}


@pytest.fixture(scope="module", autouse=True)
def _same_key():
    """Both engines make pseudonyms with one key in this module (the Spark session is the
    run's one, conftest's `spark`: never skipped, since CI installs pyspark and Java)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(pseudonym.ENV_VAR, USER_KEY)
        yield


@pytest.fixture(scope="module")
def user_key(spark) -> pseudonym.UserKey:
    key = pseudonym.user_key()  # GREENSTATS_USER_KEY, set by the spark fixture
    assert key.source == pseudonym.ENV_VAR
    return key


@pytest.fixture(scope="module")
def load_day() -> date:
    return datetime.now(ZoneInfo(LOCAL_TZ)).date()


# --- both engines ---------------------------------------------------------------------------


class Loaded:
    """What one engine made of a folder: a report per file, the rejects, the lake's rows."""

    def __init__(self, reports: list[FileReport], rejects: list[tuple], lake: dict[str, str]):
        self.reports = reports
        self.rejects = sorted(rejects, key=_sort_key)
        self.lake = lake  # table -> SQL of its rows, every lake column


def _sort_key(row: tuple) -> tuple:
    return tuple((v is None, "" if v is None else v) for v in row)


def _lake_sql(table_name: str, files: list[str]) -> str:
    table = TABLES_BY_NAME[table_name]
    cols = ", ".join(f'"{c}"' for c in table.names) + (", day, month" if table.partition_by else "")
    if not files:
        return f"SELECT {cols} FROM (SELECT NULL) WHERE false"
    return f"SELECT {cols} FROM read_parquet({files!r}, hive_partitioning = true)"


def duckdb_ingest(
    folder: Path, root: Path, reference: Reference, key: pseudonym.UserKey, load_day: date
) -> Loaded:
    """The DuckDB engine's ingest of a folder into a new lake (Loader, as pipeline runs it)."""
    con = duckdb.connect()
    try:
        configure(con, tmp_dir=root / "tmp")
        loader = Loader(con, root, 1, reference, {}, None, key)
        loader.load_day = load_day
        reports = load_folder(loader, folder, discover(folder).files)
        loader.finish()
        rejects = con.execute("SELECT * FROM new_rejects").fetchall()
    finally:
        con.close()
    lake = {t.name: _lake_sql(t.name, [str(root / f.path) for f in loader.new_files
                                       if f.table == t.name]) for t in TABLES}  # fmt: skip
    return Loaded(reports, rejects, lake)


def spark_ingest(
    spark, folder: Path, root: Path, reference: Reference, key: pseudonym.UserKey, load_day: date
) -> tuple[Loaded, SparkIngestResult]:
    result = ingest_folder_spark(spark, folder, str(root / "lake"), reference, key, load_day)
    rejects = duckdb.execute(
        f"SELECT {', '.join(REJECT_COLUMNS)} FROM read_parquet(?)", [f"{result.rejects}/*.parquet"]
    ).fetchall()
    lake = {t.name: _lake_sql(t.name, sorted(str(p) for p in
                                             (root / "lake" / t.name).glob("**/*.parquet")))
            for t in TABLES}  # fmt: skip
    return Loaded(result.reports, rejects, lake), result


def assert_same(duck: Loaded, spark_: Loaded) -> None:
    """The same report per file, the same rejects, the same rows in each table of the lake."""
    assert [r.name for r in duck.reports] == [r.name for r in spark_.reports]
    for d, s in zip(duck.reports, spark_.reports, strict=True):
        counts = (d.rows_read, d.accepted, d.already_loaded, d.rejected)
        assert counts == (s.rows_read, s.accepted, s.already_loaded, s.rejected), d.name
        assert (d.refused is None) == (s.refused is None), (d.name, d.refused, s.refused)
        if d.refused and not d.refused.startswith("cannot be read"):
            assert d.refused == s.refused  # the same words, from the same code
        if d.refused is None:
            assert d.warnings[:1] == s.warnings[:1], d.name  # the extra columns' warning
    assert duck.rejects == spark_.rejects
    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{LOCAL_TZ}'")
    for table in TABLES:
        a, b = duck.lake[table.name], spark_.lake[table.name]
        for x, y in ((a, b), (b, a)):
            extra = con.execute(f"SELECT * FROM ({x}) EXCEPT ALL SELECT * FROM ({y}) LIMIT 5")
            assert extra.fetchall() == [], table.name
        n = con.execute(f"SELECT count(*) FROM ({a})").fetchone()[0]
        assert n == con.execute(f"SELECT count(*) FROM ({b})").fetchone()[0], table.name


# --- (a) the demo data ----------------------------------------------------------------------


def test_demo_data_loads_the_same_on_both_engines(spark, user_key, load_day, demo_small, tmp_path):
    """The demo of conftest.SMALL_DEMO_EVENTS (seed 42), the folder test_spark.py loads too."""
    folder, demo = demo_small[0].parent / "input", demo_small[1]
    reference = load_reference(DEFAULT_REFERENCE)
    duck = duckdb_ingest(folder, tmp_path / "duck", reference, user_key, load_day)
    spark_, result = spark_ingest(spark, folder, tmp_path / "spark", reference, user_key, load_day)
    assert_same(duck, spark_)
    # What the generator says it wrote: every row read, its bad rows rejected, the rest kept.
    for table, rows in demo.rows.items():
        reports = [r for r in spark_.reports if r.table == table]
        assert sum(r.rows_read for r in reports) == rows, table
        assert sum(r.rejected for r in reports) == demo.bad_rows[table] > 0, table
        assert sum(r.accepted for r in reports) == rows - demo.bad_rows[table], table
    assert set(result.tables) == {t.name for t in TABLES}


def test_hostile_text_loads_the_same_on_both_engines(spark, user_key, load_day, tmp_path):
    """The hand-built data with every free text hostile (markdown, HTML, SQL, a formula, a
    1,000-character value), under a reference whose names are hostile too (tests/hostile.py)."""
    folder, reference_dir, values = hostile.write_folder(tmp_path / "input")
    reference = load_reference(reference_dir)
    duck = duckdb_ingest(folder, tmp_path / "duck", reference, user_key, load_day)
    spark_, _ = spark_ingest(spark, folder, tmp_path / "spark", reference, user_key, load_day)
    assert_same(duck, spark_)
    con = duckdb.connect()
    names = {r[0] for r in con.execute(f"SELECT name FROM ({spark_.lake['projects']})").fetchall()}
    assert names & set(values.shown), "the hostile names are kept as they are"


# --- (b) every bad row the corpus has -------------------------------------------------------


def _corpus_folder(root: Path) -> tuple[Path, Path]:
    """BASE, the hand-built folder and each case of PARITY_CLASSES written as the parts of one
    folder (`<table>/<case>--<file>`, in that order); CSV files that are not plain go to a
    second folder (the Spark engine refuses them)."""
    sets = [("0-base", corpus.BASE)]
    hb = handbuilt.write(root / "cases" / "1-handbuilt")
    sets.append(("1-handbuilt", {str(p.relative_to(hb)): None for p in hb.rglob("*.*")}))
    for case in corpus.cases():
        if case.name.split("-")[0] in PARITY_CLASSES and case.name not in SPARK_DIFFERS:
            assert case.reference is None, case.name
            assert not case.folder_is_file, case.name
            sets.append((case.name, case.files))
    plain, other = root / "plain", root / "not-plain"
    for name, files in sets:
        source = root / "cases" / name
        if name != "1-handbuilt":
            corpus.Case(name, "", files).write(source)
        for rel in files:
            table = Path(rel).parts[0].split(".")[0]
            path = source / rel
            if table not in TABLES_BY_NAME or not path.is_file():
                continue
            is_csv = path.suffix.lower() == ".csv"
            target = (other if is_csv and not csvfile.is_plain(path) else plain) / table
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target / f"{name}--{Path(rel).stem}{path.suffix.lower()}")
    return plain, other


@pytest.fixture(scope="module")
def corpus_loads(spark, user_key, load_day, tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    plain, other = _corpus_folder(root)
    reference = load_reference(corpus.REFERENCE_MIN)
    duck = duckdb_ingest(plain, root / "duck", reference, user_key, load_day)
    spark_, _ = spark_ingest(spark, plain, root / "spark", reference, user_key, load_day)
    return duck, spark_, other


def test_every_bad_row_of_the_corpus_is_rejected_the_same(corpus_loads):
    duck, spark_, _ = corpus_loads
    assert_same(duck, spark_)


def test_the_corpus_breaks_every_rule_a_parquet_or_plain_csv_file_can_break(corpus_loads):
    _, spark_, _ = corpus_loads
    rules = {r[REJECT_COLUMNS.index("rule")] for r in spark_.rejects}
    assert rules == set(REJECT_RULES) - NOT_PLAIN_RULES


def test_refused_files_are_refused_by_both(corpus_loads):
    """Files neither engine can load (a missing column, a BOOLEAN energy_g, not Parquet at all)."""
    duck, spark_, _ = corpus_loads
    refused = {r.name for r in spark_.reports if r.refused}
    assert refused == {r.name for r in duck.reports if r.refused}
    cases = {name.split("/")[1].split("--")[0] for name in refused}
    assert {
        "pq-boolean-energy",
        "pq-not-parquet",
        "pq-truncated",
        "pq-missing-column",
        "pq-timestamp-for-date",
        "csv-missing-column",
        "csv-duplicate-column",
    } <= cases


def test_a_csv_file_that_is_not_plain_is_refused_with_why(spark, corpus_loads, user_key,
                                                          load_day, tmp_path):  # fmt: skip
    """Quoted line breaks, GB18030 rows, mixed line ends, blank lines: the DuckDB engine reads
    them row by row; the Spark engine refuses each, naming the file and why. A file neither
    reads (no header row, not UTF-8 or GB18030) is refused by both with the same words."""
    _, _, other = corpus_loads
    reference = load_reference(corpus.REFERENCE_MIN)
    duck = duckdb_ingest(other, tmp_path / "duck", reference, user_key, load_day)
    result = ingest_folder_spark(spark, other, str(tmp_path / "lake"), reference, user_key,
                                 load_day)  # fmt: skip
    assert [r.name for r in result.reports] == [r.name for r in duck.reports]
    for d, s in zip(duck.reports, result.reports, strict=True):
        # A file DuckDB refuses is refused here too, perhaps first for not being plain.
        assert s.refused in ({d.refused, NOT_PLAIN} if d.refused else {NOT_PLAIN}), d.name
        assert s.rows_read == s.accepted == s.rejected == 0
    assert sum(d.refused is None for d in duck.reports) >= 10


def test_spark_refuses_what_it_does_not_read_as_duckdb(spark, user_key, load_day, tmp_path):
    folder = tmp_path / "input"
    cases = {c.name: c for c in corpus.cases()}
    for name in ("pq-timestamp-ns", "pq-struct-as-text"):
        for rel, content in cases[name].files.items():
            path = folder / "actions" / f"{name}{Path(rel).suffix}"
            path.parent.mkdir(parents=True, exist_ok=True)
            content(path)
    reference = load_reference(corpus.REFERENCE_MIN)
    result = ingest_folder_spark(spark, folder, str(tmp_path / "lake"), reference, user_key,
                                 load_day)  # fmt: skip
    refused = {r.name: r.refused for r in result.reports}
    assert refused["actions/pq-timestamp-ns.parquet"].startswith("cannot be read")
    assert "has type STRUCT" in refused["actions/pq-struct-as-text.parquet"]


def test_a_file_named_like_a_pattern_is_refused(spark, user_key, load_day, tmp_path):
    """Spark would read `a*.csv` as every file it matches: the file is refused, not misread."""
    folder = tmp_path / "input"
    (folder / "actions").mkdir(parents=True)
    (folder / "actions" / "a*.csv").write_bytes(corpus.lines(corpus.A, corpus.act("g0")))
    (folder / "actions" / "ab.csv").write_bytes(corpus.lines(corpus.A, corpus.act("g1")))
    reference = load_reference(corpus.REFERENCE_MIN)
    result = ingest_folder_spark(spark, folder, str(tmp_path / "lake"), reference, user_key,
                                 load_day)  # fmt: skip
    reports = {r.name: r for r in result.reports}
    assert reports["actions/a*.csv"].refused == GLOB_NAME
    assert (reports["actions/ab.csv"].refused, reports["actions/ab.csv"].accepted) == (None, 1)


def test_a_name_not_utf8_and_a_link_out_of_the_folder_are_refused_as_by_duckdb(
    spark, user_key, load_day, tmp_path
):
    """Both engines find files with `discover` (issue 26): a part named in GBK bytes and a part
    that links out of the folder are refused with the words the corpus gives the DuckDB engine,
    and the good part beside them loads."""
    cases = {c.name: c for c in corpus.cases()}
    both = [cases["name-not-utf8"], cases["name-link-out-of-folder"]]
    folder = corpus.Case("both", "", {k: v for c in both for k, v in c.files.items()}).write(
        tmp_path / "input"
    )
    reference = load_reference(corpus.REFERENCE_MIN)
    result = ingest_folder_spark(spark, folder, str(tmp_path / "lake"), reference, user_key,
                                 load_day)  # fmt: skip
    refused = {r.name: r.refused for r in result.reports if r.refused}
    expected = {name: words for c in both for name, words in c.refused.items()}
    assert set(refused) == set(expected)
    for name, words in expected.items():
        assert words in refused[name]
    loaded = [(r.name, r.accepted) for r in result.reports if not r.refused]
    assert loaded == [("actions/ok.csv", 1)]


def test_a_lake_that_is_not_empty_is_refused(spark, user_key, load_day, tmp_path):
    (tmp_path / "lake" / "actions").mkdir(parents=True)
    (tmp_path / "lake" / "actions" / "old.parquet").write_bytes(b"PAR1")
    with pytest.raises(FileExistsError, match="not empty"):
        ingest_folder_spark(spark, tmp_path, str(tmp_path / "lake"),
                            load_reference(corpus.REFERENCE_MIN), user_key, load_day)  # fmt: skip


# --- the adapter's rewrites, value by value --------------------------------------------------

#: Text values for each type of column: the forms the contract's patterns allow or refuse, with
#: those Spark casts otherwise (offsets +08 and +0800, z, no seconds, nine decimals, inf…).
TYPED_VALUES = {
    "occurred_at": ["2025-03-05 10:00", "2025-03-05T10:00:00Z", "2025-03-05T10:00-1200",
                    "2025-03-05T10:00+14:00", "2025-03-05 10:00 +08", "2025-03-05 10:00+0800",
                    "2025-03-05 10:00z", "2025-03-05 10:00:00.123456", " 2025-03-05 10:00\t",
                    "2025-02-30 10:00", "2025/03/05 10:00", "2025-03-05", "1e3", "",
                    "2025-03-05 10:00:00.5 +05:30", "0000-01-01 10:00", "2025-03-05 10:00\n"],
    "energy_g": ["10", "+5", "007", "-5", "12.5", "1e3", "1_000", " 7 ", "9223372036854775807",
                 "99999999999999999999", "", "x"],
    "units": ["1", "1.5", ".5", "1e308", "1e309", "inf", "NaN", "-inf", "1,5", " 2 ", "5.",
              "+.5e-3"],
    "planted_on": ["2024-04-10", "2025-02-30", "2024-4-10", "20240410", " 2024-04-10 "],
    "name": ["  Saxaul belt ", "\t", "x\ty", "梭梭林", ""],
    # An identifier's canonical form: Unicode white space, BOMs, integral decimals, NFC.
    "event_id": ["9002", "9002.0", " 9002.00 ", "-5.", "9002\u00a0", "\u30009002", "\ufeff9002",
                 "90\ufeff02", "\x0b9002\x0c", "9.5", "9.0e3", "cafe\u0301", "caf\u00e9", "\u2028",
                 "\u00a0\u00a0", "x\u200ay", "\x1f9", None],
}  # fmt: skip


def _column(name: str):
    for table in TABLES:
        if name in table.names:
            return table.column(name)
    raise KeyError(name)


@pytest.mark.parametrize("name", list(TYPED_VALUES))
def test_typed_values_are_the_same_on_spark(spark, name):
    """`rules.typed` (trim with x[-1], full-match patterns, isfinite, ISO timestamps) transpiled and
    adapted gives on Spark the value DuckDB gives, for every form of text."""
    col = _column(name)
    values = TYPED_VALUES[name]
    sql = typed(col, "VARCHAR")
    as_number = {"timestamp": "epoch_us({})", "date": "CAST({} AS VARCHAR)"}.get(col.type, "{}")
    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{LOCAL_TZ}'")
    duck = con.execute(
        f"SELECT {as_number.format(sql)} FROM unnest(?::VARCHAR[]) WITH ORDINALITY t({name}, i) "
        "ORDER BY i",
        [values],
    ).fetchall()
    as_number = {"timestamp": "unix_micros({})", "date": "CAST({} AS STRING)"}.get(col.type, "{}")
    df = spark.createDataFrame([(v,) for v in values], f"`{name}` string")
    got = df.selectExpr(as_number.format(SparkAdapter({})(sql))).collect()
    assert [r[0] for r in got] == [r[0] for r in duck]


#: Typed values of a Parquet file (as text, cast by DuckDB), as a rejected value keeps them.
AS_TEXT = {
    "DOUBLE": ["12.5", "12.0", "1e7", "2e8", "1e16", "1.5e17", "1e20", "1e308", "1e-5",
               "0.30000000000000004", "-3.25", "nan", "inf", "-inf", None],
    "TIMESTAMPTZ": ["2025-03-05 10:00:00+08", "2025-03-05 10:00:00.5+08",
                    "2025-03-05 10:00:00.000123+08", "1969-12-31 23:59:59.25+00",
                    "0001-01-01 00:00:00+08", "9999-12-31 00:00:00+08",
                    "2025-07-01 00:00:00+05:30", None],
}  # fmt: skip
#: How each type's value goes from DuckDB to Spark: DuckDB's number for it, its Spark type, and
#: the Spark SQL that makes the typed value of that number.
CARRIERS = {
    "DOUBLE": ("CAST(x AS DOUBLE)", "double", "x"),
    "TIMESTAMPTZ": ("epoch_us(CAST(x AS TIMESTAMPTZ))", "bigint", "timestamp_micros(x)"),
}
#: The type's name as DuckDB's DESCRIBE gives it (the adapter's `columns`).
DESCRIBED = {"DOUBLE": "DOUBLE", "TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE"}


@pytest.mark.parametrize("duck_type", list(AS_TEXT))
def test_typed_values_as_text_are_the_same_on_spark(spark, duck_type):
    """A rejected value of a typed Parquet column is kept as text: a DOUBLE as DuckDB writes it
    (`1e+20`, `nan`, not Java's `1.0E20`, `NaN`), a time with China's offset."""
    carrier, spark_type, make = CARRIERS[duck_type]
    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{LOCAL_TZ}'")
    duck = con.execute(
        f"SELECT TRY_CAST(CAST(x AS {duck_type}) AS VARCHAR), {carrier} "
        "FROM unnest(?::VARCHAR[]) WITH ORDINALITY t(x, i) ORDER BY i",
        [AS_TEXT[duck_type]],
    ).fetchall()
    df = spark.createDataFrame([(r[1],) for r in duck], f"x {spark_type}")
    register_functions(spark)
    sql = SparkAdapter({}, {"x": DESCRIBED[duck_type]})("TRY_CAST(x AS VARCHAR)")
    got = df.selectExpr(f"{make} AS x").selectExpr(sql).collect()
    assert [r[0] for r in got] == [r[0] for r in duck]


def test_code_lists_and_pseudonyms_on_spark(spark, user_key):
    """`x NOT IN (SELECT code FROM codes …)` becomes a list of the codes; the pseudonym's HMAC
    reads its pads from columns: the key is in no SQL text, and the pseudonym is the one
    pseudonym.UserKey computes."""
    table = TABLES_BY_NAME["actions"]
    columns = dict.fromkeys(table.names, "VARCHAR")
    check = next(c for c in checks(table, columns, date(2025, 1, 1)) if c.rule == "unknown_regions")
    sql = SparkAdapter({"regions": ("CN-GD", "CN-BJ")})(check.condition)
    assert "SELECT" not in sql.upper()
    df = spark.createDataFrame([("CN-GD",), ("cn-gd",), (None,)], "`region__v` string")
    assert [r[0] for r in df.selectExpr(sql).collect()] == [False, True, False]

    hmac_sql = SparkAdapter({})(pseudonym.sql("v"))
    assert user_key.secret.decode() not in hmac_sql
    assert not any(pad.hex() in hmac_sql.lower() for pad in user_key.pads())
    ids = ["u1", "用户甲", "a" * 200]
    df = spark.createDataFrame([(i,) for i in ids], "v string")
    for variable, pad in pseudonym.pad_variables(user_key).items():
        df = df.withColumn(f"_pad_{variable}", sf.lit(pad))
    assert [r[0] for r in df.selectExpr(hmac_sql).collect()] == [user_key.pseudonym(i) for i in ids]


def test_the_parity_runs_on_a_local_2_session_with_one_key_for_both_engines(spark):
    assert spark.sparkContext.master == "local[2]"
    assert os.environ.get(pseudonym.ENV_VAR) == USER_KEY
