"""The demo generator: reproducible, contract-clean apart from its deliberate bad rows, realistic.

Small data sets are generated once per module; every check reads the files back with DuckDB and
applies the rules of `greenstats.data.contract` (and of docs/CONTRACT.md) to them.
"""

from __future__ import annotations

import csv
import re
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from greenstats.data import contract, demo
from greenstats.data.demo import DEMO_END, DEMO_START, EVENTS_PER_USER, DemoResult, generate
from greenstats.data.paths import DEMO_MARKER

ROOT = Path(__file__).resolve().parent.parent

#: The action and species codes the program uses (the brief; the methodology must know them).
ACTION_CODES = (
    "walking", "metro_ride", "bus_ride", "bike_share", "utility_bill_online", "e_ticket",
    "e_invoice", "hospital_online", "offline_payment", "delivery_no_cutlery",
    "no_plastic_packaging", "efficient_appliance",
)  # fmt: skip
SPECIES_CODES = (
    "saxaul", "tamarix", "sand_willow", "hedysarum", "populus_euphratica", "mongolian_pine",
    "caragana", "sea_buckthorn", "eelgrass", "kelp", "mangrove", "salt_marsh", "protected_land",
)  # fmt: skip
COASTAL = ("eelgrass", "kelp", "mangrove", "salt_marsh")
PARTS = ("actions", "redemptions")  # monthly Parquet parts; the other tables are one CSV each
SQL_TYPES = {"text": "VARCHAR", "int": "BIGINT", "number": "DOUBLE",
             "timestamp": "TIMESTAMP WITH TIME ZONE"}  # fmt: skip


def _run(path: Path, events: int, seed: int, bad_rows: bool = True) -> DemoResult:
    return generate(path, events, seed, bad_rows=bad_rows)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    return _run(tmp_path_factory.mktemp("small"), 20_000, 7)


@pytest.fixture(scope="module")
def medium(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    """Large enough for daily rhythms and redemptions to be statistically clear."""
    return _run(tmp_path_factory.mktemp("medium"), 400_000, 42)


@pytest.fixture(scope="module")
def small_db(small: DemoResult) -> duckdb.DuckDBPyConnection:
    return _con(small)


@pytest.fixture(scope="module")
def medium_db(medium: DemoResult) -> duckdb.DuckDBPyConnection:
    return _con(medium)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    return _run(tmp_path_factory.mktemp("clean"), 20_000, 7, bad_rows=False)


def _con(result: DemoResult) -> duckdb.DuckDBPyConnection:
    """A connection with `raw_<table>` (every column as text) and `<table>` (valid rows only)."""
    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{contract.LOCAL_TZ}'")
    for table in contract.TABLES:  # load order: referenced tables come first
        con.execute(f"CREATE VIEW raw_{table.name} AS {_raw_sql(result.out_dir, table)}")
        con.execute(f"CREATE TABLE {table.name} AS {_valid_sql(table)}")
    return con


def _raw_sql(out_dir: Path, table: contract.Table) -> str:
    if table.name in PARTS:
        cols = ", ".join(f"CAST({c} AS VARCHAR) AS {c}" for c in table.names)
        glob = out_dir / table.name / "*.parquet"
        return f"SELECT {cols} FROM read_parquet('{glob}', filename = true)"
    return f"SELECT * FROM read_csv('{out_dir / table.name}.csv', all_varchar = true)"


def _valid_sql(table: contract.Table) -> str:
    """Rows that meet every rule of the contract, with typed columns, one per key."""
    checks, typed = [], []
    for col in table.columns:
        raw = f"nullif(trim({col.name}), '')"
        cast = {"text": raw, "int": f"TRY_CAST({raw} AS BIGINT)",
                "number": f"TRY_CAST({raw} AS DOUBLE)", "date": f"TRY_CAST({raw} AS DATE)",
                "timestamp": f"TRY_CAST({raw} AS TIMESTAMPTZ)"}[col.type]  # fmt: skip
        typed.append(f"{cast} AS {col.name}")
        checks.append(f"({raw} IS NULL OR {cast} IS NOT NULL)")
        if col.type == "date":
            checks.append(
                f"({raw} IS NULL OR regexp_full_match({raw}, '\\d{{4}}-\\d{{2}}-\\d{{2}}'))"
            )
        if col.required:
            checks.append(f"{raw} IS NOT NULL")
        bounds = ((col.min_value, ">="), (col.above, ">"), (col.max_value, "<="))
        checks += [f"coalesce({cast} {op} {v}, true)" for v, op in bounds if v is not None]
        if col.allowed:
            codes = _codes(col.allowed)
            checks.append(f"coalesce({raw} IN ({', '.join(map(repr, codes))}), true)")
        if col.references:
            ref_table, ref_col = col.references.split(".")
            checks.append(f"coalesce({raw} IN (SELECT {ref_col} FROM {ref_table}), true)")
    rules = [r.predicate.format_map({c: f"TRY_CAST({c} AS DOUBLE)" for c in table.names})
             for r in table.row_rules]  # fmt: skip
    key = ", ".join(table.key)
    return (
        f"SELECT {', '.join(typed)} FROM raw_{table.name} "
        f"WHERE {' AND '.join(checks + rules)} "
        f"QUALIFY row_number() OVER (PARTITION BY {key}) = 1"
    )


def _codes(allowed: str) -> tuple[str, ...]:
    lists = {"reference:actions": ACTION_CODES, "reference:species": SPECIES_CODES}
    return lists.get(allowed) or contract.CODE_LISTS[allowed]


def _files(out_dir: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out_dir)): p.read_bytes() for p in sorted(out_dir.rglob("*.*"))}


# --- reproducible -------------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files(small: DemoResult, tmp_path: Path) -> None:
    again = _run(tmp_path, 20_000, 7)
    first, second = _files(small.out_dir), _files(again.out_dir)
    assert len(first) > 20
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []
    assert (again.rows, again.bad_rows) == (small.rows, small.bad_rows)


def test_another_seed_gives_other_data(small: DemoResult, tmp_path: Path) -> None:
    other = _files(_run(tmp_path, 20_000, 8).out_dir)
    first = _files(small.out_dir)
    for name in ("actions/2019-05.parquet", "redemptions", "plantings.csv", "area_species.csv"):
        same = [f for f in first if f.startswith(name) and f in other and first[f] == other[f]]
        assert same == [], name


# --- the contract ------------------------------------------------------------------------------


@pytest.mark.parametrize("table", contract.TABLES, ids=lambda t: t.name)
def test_columns_are_the_contracts(small: DemoResult, table: contract.Table) -> None:
    if table.name in PARTS:
        parts = sorted((small.out_dir / table.name).glob("*.parquet"))
        assert parts, table.name
        con = duckdb.connect()
        for part in parts:
            described = con.execute(f"DESCRIBE SELECT * FROM '{part}'").fetchall()
            assert [(n, t) for n, t, *_ in described] == [
                (c.name, SQL_TYPES[c.type]) for c in table.columns
            ], part.name
    else:
        with open(small.out_dir / f"{table.name}.csv", encoding="utf-8", newline="") as fh:
            assert next(csv.reader(fh)) == list(table.names)


def test_codes_are_known_to_the_shipped_methodology() -> None:
    for name, codes in (("actions", ACTION_CODES), ("species", SPECIES_CODES)):
        path = ROOT / "data" / "reference" / f"{name}.csv"
        if not path.exists():
            pytest.skip(f"{path} not written yet")
        with open(path, encoding="utf-8", newline="") as fh:
            known = {row[name if name == "species" else "action"] for row in csv.DictReader(fh)}
        assert set(codes) <= known, name


@pytest.mark.parametrize(("fixture", "events"), [("small", 20_000), ("medium", 400_000)])
def test_bad_rows_are_the_ones_reported(
    fixture: str, events: int, request: pytest.FixtureRequest
) -> None:
    result = request.getfixturevalue(fixture)
    con = request.getfixturevalue(f"{fixture}_db")
    for table in contract.TABLES:
        total = con.execute(f"SELECT count(*) FROM raw_{table.name}").fetchone()[0]
        valid = con.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0]
        assert total == result.rows[table.name], table.name
        assert total - valid == result.bad_rows[table.name], table.name
        assert 2 <= result.bad_rows[table.name] <= max(2, total // 5_000), table.name
    assert con.execute("SELECT count(*) FROM actions").fetchone()[0] == events


def test_without_bad_rows_every_row_is_valid_and_ids_unique(clean: DemoResult) -> None:
    con = _con(clean)
    assert clean.bad_rows == dict.fromkeys(clean.rows, 0)
    for table in contract.TABLES:
        total = con.execute(f"SELECT count(*) FROM raw_{table.name}").fetchone()[0]
        key = ", ".join(table.key)
        distinct = con.execute(f"SELECT count(DISTINCT ({key})) FROM raw_{table.name}").fetchone()
        assert (
            total == distinct[0] == con.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0]
        )
    assert clean.rows["actions"] == 20_000


def test_ids_unique_apart_from_bad_rows(
    small: DemoResult, small_db: duckdb.DuckDBPyConnection
) -> None:
    con = small_db
    for table in contract.TABLES:
        key = ", ".join(table.key)
        repeats = con.execute(
            f"SELECT count(*) - count(DISTINCT ({key})) FROM raw_{table.name}"
        ).fetchone()[0]
        assert repeats <= small.bad_rows[table.name], table.name


def test_each_monthly_part_holds_its_china_month_in_time_order(small: DemoResult) -> None:
    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{contract.LOCAL_TZ}'")
    for table, ts in (("actions", "occurred_at"), ("redemptions", "redeemed_at")):
        for part in sorted((small.out_dir / table).glob("*.parquet")):
            assert re.fullmatch(r"\d{4}-\d{2}\.parquet", part.name)
            months, disorder = con.execute(
                f"""SELECT list(DISTINCT strftime({ts}, '%Y-%m')) FILTER ({ts} IS NOT NULL),
                       count(*) FILTER (prev > {ts})
                FROM (SELECT {ts}, lag({ts} IGNORE NULLS) OVER (ORDER BY file_row_number) prev
                      FROM read_parquet('{part}', file_row_number = true))"""
            ).fetchone()
            assert months == [part.stem], part
            assert disorder == 0, part


def test_time_span_is_fixed(medium: DemoResult, medium_db: duckdb.DuckDBPyConnection) -> None:
    con = medium_db
    first, last = con.execute(
        "SELECT min(occurred_at)::DATE, max(occurred_at)::DATE FROM actions"
    ).fetchone()
    assert DEMO_START <= first <= date(2016, 9, 5)
    assert date(2026, 11, 20) <= last <= DEMO_END
    assert (medium.first_day, medium.last_day) == (first, last)
    assert con.execute("SELECT max(redeemed_at)::DATE FROM redemptions").fetchone()[0] <= DEMO_END


def test_folder_is_marked_synthetic(small: DemoResult) -> None:
    assert (small.out_dir / DEMO_MARKER).is_file()


def test_a_month_split_into_chunks_still_makes_one_ordered_valid_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo.people, "CHUNK_ROWS", 200)  # the path 1e9 events take, at a small size
    result = _run(tmp_path, 60_000, 3)
    con = _con(result)
    parts = sorted((tmp_path / "actions").glob("*.parquet"))
    months = [p.stem for p in parts]  # one file per month with events, up to Nov 2026
    assert months[0] in ("2016-08", "2016-09")
    assert months[-1] == "2026-11"
    assert len(months) == len(set(months)) >= 123
    groups = con.execute(
        "SELECT max(row_group_id) + 1 FROM parquet_metadata(?)", [str(parts[-1])]
    ).fetchone()[0]
    assert groups > 1  # the month was written chunk by chunk
    late = con.execute(
        "SELECT count(*) FROM (SELECT occurred_at < lag(occurred_at) OVER (PARTITION BY filename "
        "ORDER BY file_row_number) AS back FROM read_parquet(?, filename = true, "
        "file_row_number = true)) WHERE back",
        [[str(p) for p in parts]],
    ).fetchone()[0]
    assert late == 0
    assert con.execute("SELECT count(*) FROM actions").fetchone()[0] == 60_000


def test_progress_reaches_the_total(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    generate(tmp_path, 3_000, 1, progress=lambda done, total: calls.append((done, total)))
    assert len(calls) > 100  # about one per month
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert calls[-1] == (3_000, 3_000)


# --- money: energy earned before it is spent ---------------------------------------------------


def test_no_user_ever_spends_more_energy_than_earned(medium_db: duckdb.DuckDBPyConnection) -> None:
    con = medium_db
    redemptions, overdrawn = con.execute(
        """WITH ledger AS (
             SELECT user_id, occurred_at AS happened_at, energy_g AS g, 0 AS spend FROM actions
             UNION ALL SELECT user_id, redeemed_at, -energy_g, 1 FROM redemptions),
           running AS (
             SELECT spend, sum(g) OVER (PARTITION BY user_id ORDER BY happened_at, spend
                                        ROWS UNBOUNDED PRECEDING) AS balance_g FROM ledger)
           SELECT count(*) FILTER (spend = 1), count(*) FILTER (spend = 1 AND balance_g < 0)
           FROM running"""
    ).fetchone()
    assert redemptions > 100
    assert overdrawn == 0


def test_redemption_energy_pays_the_whole_units_adopted_at_their_price(
    medium_db: duckdb.DuckDBPyConnection,
) -> None:
    """A redemption is what the user adopted (one tree, 5 m² of land, 1-10 m² of coast), at
    the real price of those units: so energy per unit adopted is the program's."""
    con = medium_db
    rows = con.execute("SELECT species, energy_g, units FROM redemptions").fetchall()
    price = {code: spec.energy_g_per_unit for code, spec in demo.projects._species_table().items()}
    adopted: dict[str, set[float]] = {}
    for species, energy, units in rows:
        assert energy == units * price[species], species  # whole units at one price
        adopted.setdefault(species, set()).add(units)
    assert {"saxaul", "protected_land"} <= adopted.keys()
    for species, counts in adopted.items():
        if species == "protected_land":
            assert counts == {demo.SHARE_M2}
        elif species in COASTAL:
            assert counts <= set(range(1, 11))
        else:
            assert counts == {1}, species
    assert price["saxaul"] == 17_900


# --- partners in the field ---------------------------------------------------------------------


def test_plantings_only_in_spring_and_autumn(medium_db: duckdb.DuckDBPyConnection) -> None:
    con = medium_db
    months = dict(con.execute(
        "SELECT month(planted_on), count(*) FROM plantings GROUP BY 1"
    ).fetchall())  # fmt: skip
    assert sum(months.values()) > 50
    assert set(months) <= {3, 4, 5, 10, 11}


def test_planted_never_exceeds_adopted(medium_db: duckdb.DuckDBPyConnection) -> None:
    con = medium_db
    over = con.execute(
        """SELECT count(*) FROM (SELECT project_id, species, sum(units_planted) p FROM plantings
                                 GROUP BY ALL) pl
           JOIN (SELECT project_id, species, sum(units) a FROM redemptions GROUP BY ALL) r
           USING (project_id, species) WHERE p > a"""
    ).fetchone()[0]
    assert over == 0
    assert (
        con.execute("SELECT count(*) FROM plantings WHERE species = 'protected_land'").fetchone()[0]
        == 0
    )


def test_coastal_only_from_june_2022(medium_db: duckdb.DuckDBPyConnection) -> None:
    con = medium_db
    coastal = ", ".join(map(repr, COASTAL))
    first = con.execute(
        f"""SELECT (SELECT min(started_on) FROM projects WHERE kind = 'coastal'),
                   (SELECT min(redeemed_at)::DATE FROM redemptions WHERE species IN ({coastal})),
                   (SELECT min(planted_on) FROM plantings WHERE species IN ({coastal}))"""
    ).fetchone()
    assert None not in first
    assert min(first) >= date(2022, 6, 1)
    assert (
        con.execute(
            f"SELECT count(*) FROM projects WHERE kind <> 'coastal' AND project_id IN "
            f"(SELECT project_id FROM redemptions WHERE species IN ({coastal}))"
        ).fetchone()[0]
        == 0
    )


def test_redemptions_only_in_open_projects(medium_db: duckdb.DuckDBPyConnection) -> None:
    con = medium_db
    early = con.execute(
        "SELECT count(*) FROM redemptions r JOIN projects p USING (project_id) "
        "WHERE r.redeemed_at::DATE < p.started_on"
    ).fetchone()[0]
    assert early == 0


def test_surveys_follow_plantings_with_plausible_survival(
    medium_db: duckdb.DuckDBPyConnection,
) -> None:
    con = medium_db
    n, late, survival = con.execute(
        """SELECT count(*), count(*) FILTER (surveyed_on > DATE '2026-11-27'),
                  sum(units_alive) / sum(units_sampled) FROM surveys"""
    ).fetchone()
    assert n > 30
    assert late == 0
    assert 0.55 <= survival <= 0.9
    orphan = con.execute(
        "SELECT count(*) FROM surveys s WHERE NOT EXISTS (SELECT 1 FROM plantings p WHERE "
        "p.project_id = s.project_id AND p.species = s.species AND p.planted_on < s.surveyed_on)"
    ).fetchone()[0]
    assert orphan == 0


def test_eighteen_protected_areas_each_with_its_conservation_project(
    small_db: duckdb.DuckDBPyConnection,
) -> None:
    con = small_db
    assert con.execute("SELECT count(*) FROM protected_areas").fetchone()[0] == 18
    kinds = con.execute(
        "SELECT list(DISTINCT p.kind) FROM protected_areas a JOIN projects p USING (project_id)"
    ).fetchone()[0]
    assert kinds == ["conservation"]


@pytest.mark.parametrize("fixture", ["small", "medium"])
def test_about_1500_species_with_a_realistic_red_list_mix(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    con = request.getfixturevalue(f"{fixture}_db")
    species = con.execute("SELECT count(DISTINCT scientific_name) FROM area_species").fetchone()[0]
    assert 1_450 <= species <= 1_550
    mix = dict(con.execute(
        "SELECT iucn_category, count(DISTINCT scientific_name) / ? FROM area_species GROUP BY 1",
        [species],
    ).fetchall())  # fmt: skip
    assert mix["LC"] > 0.6
    assert 0.08 <= mix.get("CR", 0) + mix.get("EN", 0) + mix.get("VU", 0) <= 0.15
    assert mix.get("EX", 0) + mix.get("EW", 0) == 0
    panda = con.execute(
        "SELECT DISTINCT iucn_category FROM area_species WHERE scientific_name = "
        "'Ailuropoda melanoleuca'"
    ).fetchall()
    assert panda == [("VU",)]


# --- realism of the actions --------------------------------------------------------------------


def test_action_proportions(medium_db: duckdb.DuckDBPyConnection) -> None:
    con = medium_db
    share = dict(con.execute(
        "SELECT action, count(*) / sum(count(*)) OVER () FROM actions GROUP BY 1"
    ).fetchall())  # fmt: skip
    assert set(share) == set(ACTION_CODES)
    ranked = sorted(share, key=share.get, reverse=True)
    assert ranked[:2] == ["offline_payment", "walking"]
    assert 0.28 <= share["offline_payment"] <= 0.42
    assert 0.22 <= share["walking"] <= 0.34
    order = ["metro_ride", "bus_ride", "e_invoice", "delivery_no_cutlery"]
    assert [a for a in ranked if a in order] == order
    assert share["delivery_no_cutlery"] > max(share[a] for a in ranked[6:])
    assert share["efficient_appliance"] < 0.005


def test_walking_at_most_once_a_day_and_energy_awards(medium_db: duckdb.DuckDBPyConnection) -> None:
    con = medium_db
    twice = con.execute(
        "SELECT count(*) FROM (SELECT user_id, occurred_at::DATE FROM actions "
        "WHERE action = 'walking' GROUP BY ALL HAVING count(*) > 1)"
    ).fetchone()[0]
    assert twice == 0
    awards = {a: (lo, hi) for a, lo, hi in con.execute(
        "SELECT action, min(energy_g), max(energy_g) FROM actions GROUP BY 1"
    ).fetchall()}  # fmt: skip
    fixed = {"metro_ride": 52, "bus_ride": 80, "offline_payment": 5, "utility_bill_online": 262,
             "e_ticket": 180, "e_invoice": 5, "hospital_online": 277,
             "delivery_no_cutlery": 16}  # fmt: skip
    assert {a: awards[a] for a in fixed} == {a: (g, g) for a, g in fixed.items()}
    assert awards["walking"][0] >= 0
    assert awards["walking"][1] <= 296
    assert awards["bike_share"][0] >= 20
    assert awards["bike_share"][1] <= 40
    assert 1_000 <= awards["efficient_appliance"][0] <= awards["efficient_appliance"][1] <= 3_000


def test_spring_festival_dip(medium_db: duckdb.DuckDBPyConnection) -> None:
    con = medium_db
    festivals = [date(2018, 2, 16), date(2019, 2, 5), date(2021, 2, 12), date(2022, 2, 1),
                 date(2023, 1, 22), date(2024, 2, 10), date(2025, 1, 29),
                 date(2026, 2, 17)]  # fmt: skip
    for new_year in festivals:
        dip, around = con.execute(
            """WITH daily AS (SELECT occurred_at::DATE AS d, count(*) AS n FROM actions
                              WHERE occurred_at::DATE BETWEEN ?::DATE - 35 AND ?::DATE + 35
                              GROUP BY 1)
               SELECT avg(n) FILTER (d BETWEEN ?::DATE - 1 AND ?::DATE + 5),
                      median(n) FILTER (d < ?::DATE - 7 OR d > ?::DATE + 13) FROM daily""",
            [new_year] * 6,
        ).fetchone()
        assert dip < 0.8 * around, new_year


def test_weekly_rhythm_and_covid(medium_db: duckdb.DuckDBPyConnection) -> None:
    con = medium_db
    per_day = dict(con.execute(
        """SELECT action || (CASE WHEN dayofweek(occurred_at) IN (0, 6) THEN '@weekend'
                                  ELSE '@weekday' END),
                  count(*) / count(DISTINCT occurred_at::DATE)
           FROM actions WHERE action IN ('metro_ride', 'walking') GROUP BY 1"""
    ).fetchall())  # fmt: skip
    assert per_day["metro_ride@weekend"] < 0.75 * per_day["metro_ride@weekday"]
    assert per_day["walking@weekend"] > 1.1 * per_day["walking@weekday"]
    lockdown, before = con.execute(
        """SELECT count(*) FILTER (occurred_at::DATE BETWEEN '2020-02-01' AND '2020-02-29'),
                  count(*) FILTER (occurred_at::DATE BETWEEN '2019-11-01' AND '2019-11-29')
           FROM actions WHERE action IN ('metro_ride', 'bus_ride')"""
    ).fetchone()
    assert lockdown < 0.4 * before


def test_double_eleven_spike(medium_db: duckdb.DuckDBPyConnection) -> None:
    con = medium_db
    nov11, other = con.execute(
        """SELECT count(*) FILTER (day(occurred_at) = 11) / 1.0,
                  count(*) FILTER (day(occurred_at) BETWEEN 15 AND 30) / 16.0
           FROM actions WHERE month(occurred_at) = 11
             AND action IN ('no_plastic_packaging', 'efficient_appliance')"""
    ).fetchone()
    assert nov11 > 3 * other


def test_regions_users_and_brands(medium_db: duckdb.DuckDBPyConnection) -> None:
    con = medium_db
    share = dict(con.execute(
        "SELECT region, count(*) / sum(count(*)) OVER () FROM actions GROUP BY 1"
    ).fetchall())  # fmt: skip
    assert share["CN-GD"] > 0.08
    assert share["CN-GD"] > 10 * share.get("CN-NX", 0)
    assert min(share, key=share.get) in ("CN-MO", "CN-TW", "CN-XZ")
    metro = dict(con.execute(
        "SELECT region, avg((action = 'metro_ride')::INT) FROM actions GROUP BY 1"
    ).fetchall())  # fmt: skip
    assert metro["CN-SH"] > 5 * metro["CN-QH"]
    users, ids_ok = con.execute(
        "SELECT count(DISTINCT user_id), bool_and(regexp_full_match(user_id, 'u\\d{9}')) "
        "FROM actions"
    ).fetchone()
    assert ids_ok
    assert 0.85 * 400_000 / EVENTS_PER_USER <= users <= 1.15 * 400_000 / EVENTS_PER_USER
    sequential = con.execute(
        "SELECT median(gap) FROM (SELECT user_id[2:]::BIGINT - lag(user_id[2:]::BIGINT) "
        "OVER (ORDER BY user_id) AS gap FROM (SELECT DISTINCT user_id FROM actions))"
    ).fetchone()[0]
    assert sequential > 1_000  # pseudonymous: no runs of consecutive numbers
    brands, unbranded = con.execute(
        "SELECT count(DISTINCT brand_id), count(brand_id) FILTER (action IN ('walking', "
        "'metro_ride', 'bus_ride', 'utility_bill_online', 'e_invoice', 'hospital_online')) "
        "FROM actions"
    ).fetchone()
    assert 110 <= brands <= 130
    assert unbranded == 0


# --- what an executive sees: a plausible (if small) program --------------------------------


@pytest.fixture(scope="module")
def d200(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    """The demo at 200,000 events, the size of the screenshots' warehouse."""
    return _con(_run(tmp_path_factory.mktemp("d200"), 200_000, 42))


def test_coastal_restoration_reaches_most_coastal_sites_at_200k_events(
    d200: duckdb.DuckDBPyConnection,
) -> None:
    """A coastal program, not one lucky site: users adopt at most coastal projects, and their
    m² are planted (at the real price of a m², a few hundred of them at this size)."""
    coastal = ", ".join(map(repr, COASTAL))
    m2, projects_reached, projects = d200.execute(
        f"""SELECT (SELECT sum(units_planted) FROM plantings WHERE species IN ({coastal})),
                   (SELECT count(DISTINCT project_id) FROM redemptions
                    WHERE species IN ({coastal})),
                   (SELECT count(*) FROM projects WHERE kind = 'coastal')"""
    ).fetchone()
    assert m2 > 0
    assert projects_reached >= projects // 2


def test_new_users_arrive_every_full_week(medium_db: duckdb.DuckDBPyConnection) -> None:
    """Every Monday-to-Sunday week of the demo has a user whose first action is in it (once the
    demo has more users than weeks: at 400,000 events, about 650 users for 530 weeks)."""
    firsts = medium_db.execute(
        """SELECT DISTINCT CAST(date_trunc('week', min(occurred_at)::DATE) AS DATE)
           FROM actions GROUP BY user_id"""
    ).fetchall()
    weeks_with_new = {w for (w,) in firsts}
    monday = DEMO_START + timedelta((7 - DEMO_START.weekday()) % 7)
    weeks = []
    while monday + timedelta(6) <= DEMO_END:
        weeks.append(monday)
        monday += timedelta(7)
    assert len(weeks) > 520
    assert [w for w in weeks if w not in weeks_with_new] == []


def test_names_in_english_and_chinese(d200: duckdb.DuckDBPyConnection) -> None:
    con = d200
    for table, columns in (
        ("projects", ("name", "name_zh", "partner", "partner_zh")),
        ("protected_areas", ("name", "name_zh", "partner", "partner_zh")),
        ("brands", ("name", "name_zh")),
    ):
        blanks = con.execute(
            f"SELECT count(*) FROM {table} WHERE "
            + " OR ".join(f"coalesce(trim({c}), '') = ''" for c in columns)
        ).fetchone()[0]
        assert blanks == 0, table
        distinct = con.execute(f"SELECT count(DISTINCT name), count(*) FROM {table}").fetchone()
        assert distinct[0] == distinct[1], table
    # Projects are named after places and the forest they make, never after a species.
    names = [n.lower() for (n,) in con.execute("SELECT name FROM projects").fetchall()]
    species_words = [s.name.lower() for s in demo.SPECIES.values()]
    assert [n for n in names if any(w in n for w in species_words if w != "mangrove")] == []
    assert "Minqin Oasis Belt" in {
        n for (n,) in con.execute("SELECT name FROM projects").fetchall()
    }
    # Partners have one Chinese name each; threatened species theirs.
    assert (
        con.execute(
            "SELECT count(*) FROM (SELECT partner FROM projects GROUP BY partner "
            "HAVING count(DISTINCT partner_zh) <> 1)"
        ).fetchone()[0]
        == 0
    )
    unnamed = con.execute(
        "SELECT count(DISTINCT scientific_name) FROM area_species WHERE iucn_category IN "
        "('CR', 'EN', 'VU') AND coalesce(trim(common_name_zh), '') = ''"
    ).fetchone()[0]
    assert unnamed == 0
    panda = "SELECT common_name_zh FROM area_species WHERE scientific_name = ?"
    assert con.execute(panda, ["Ailuropoda melanoleuca"]).fetchone()[0] == "大熊猫"
    # Every brand that credits an action is in brands.csv.
    assert (
        con.execute(
            "SELECT count(DISTINCT brand_id) FROM actions WHERE brand_id IS NOT NULL "
            "AND brand_id NOT IN (SELECT brand_id FROM brands)"
        ).fetchone()[0]
        == 0
    )


def test_every_seed_gives_each_day_with_events_an_active_user() -> None:
    """Issue 27: `demo --events 100000 --seed 7` crashed (IndexError in _pick_users): a user
    moved to be a later week's newcomer had been the only one active on days that kept their
    events. Every seed from 1 to 50 at 20,000, 100,000 and 1,000,000 events (the step that
    failed, without writing files: 150 draws in about a second)."""
    from greenstats.data.demo import people

    cal = people._calendar()
    for events in (20_000, 100_000, 1_000_000):
        for seed in range(1, 51):
            users = people._users(seed, events, cal.days.size)
            users, counts = people._newcomers_and_days(seed, users, cal, events)
            assert counts.sum() == events
            assert not people._unattended(users, counts).size, (events, seed)


@settings(
    max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(1, 50), events=st.sampled_from([20_000, 100_000, 1_000_000]))
def test_any_seed_from_1_to_50_at_any_tested_size_generates_whole(
    seed: int, events: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Issue 27: every seed from 1 to 50 at 20,000, 100,000 and 1,000,000 events generates
    without error. The step that crashed is checked for all 150 above; here a few drawn ones
    are generated whole (users, events, redemptions, plantings, surveys, targets): all 150
    took 4 minutes (22 s, 75 s and 159 s for the three sizes, none failed)."""
    result = generate(tmp_path_factory.mktemp("seed"), events, seed)
    assert result.rows["actions"] - result.bad_rows["actions"] == events
    assert result.rows["projects"] - result.bad_rows["projects"] == 70


@pytest.mark.parametrize(("events", "seed"), [(100_000, 7), (20_000, 34)])
def test_a_seed_whose_newcomers_left_days_empty_generates(
    events: int, seed: int, tmp_path: Path
) -> None:
    """The draws that failed, generated whole: every event has a user active on its day."""
    result = generate(tmp_path / "demo", events, seed, bad_rows=False)
    assert result.rows["actions"] == events
