"""Filters → SQL, as tables: for each filter bar, the exact WHERE text and the bound parameters
of every builder in greenstats.metrics.filters; the allow-list refusals with the name in the
message; and what a period is compared with."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from greenstats.metrics.filters import (
    ALLOWED_COLUMNS,
    Filters,
    Where,
    parse_regions,
    period_bounds,
    where_actions,
    where_areas,
    where_plantings,
    where_projects,
    where_redemptions,
    where_surveys,
)

AS_OF = date(2026, 11, 27)
JAN, MAR = date(2026, 1, 1), date(2026, 3, 31)
NONE = Filters(as_of=AS_OF)
PERIOD = Filters(JAN, MAR, as_of=AS_OF)
EVERYTHING = Filters(
    JAN, MAR, regions=("CN-GD", "CN-BJ"), actions=("walking",), brands=("brand-a", "brand-b"),
    projects=("AF-NM-01",), species=("saxaul", "eelgrass"), as_of=AS_OF,
)  # fmt: skip

# (builder, filters, alias, WHERE text, bound parameters)
CASES: list[tuple[Callable[..., Where], Filters, str | None, str, list]] = [
    # Actions: by day, region, action, brand.
    (where_actions, NONE, None, "", []),
    (where_actions, PERIOD, None, "WHERE day >= ? AND day <= ?", [JAN, MAR]),
    (where_actions, Filters(date_from=JAN, as_of=AS_OF), None, "WHERE day >= ?", [JAN]),
    (where_actions, Filters(date_to=MAR, as_of=AS_OF), None, "WHERE day <= ?", [MAR]),
    (where_actions, Filters(regions=("CN-GD", "CN-BJ"), as_of=AS_OF), None,
     "WHERE region IN (?, ?)", ["CN-GD", "CN-BJ"]),
    (where_actions, EVERYTHING, None,
     "WHERE day >= ? AND day <= ? AND region IN (?, ?) AND action IN (?) "
     "AND brand_id IN (?, ?)",
     [JAN, MAR, "CN-GD", "CN-BJ", "walking", "brand-a", "brand-b"]),
    (where_actions, EVERYTHING, "a",
     "WHERE a.day >= ? AND a.day <= ? AND a.region IN (?, ?) AND a.action IN (?) "
     "AND a.brand_id IN (?, ?)",
     [JAN, MAR, "CN-GD", "CN-BJ", "walking", "brand-a", "brand-b"]),
    # A value that looks like SQL is a parameter like any other.
    (where_actions, Filters(regions=("CN-GD') OR (1=1",), as_of=AS_OF), None,
     "WHERE region IN (?)", ["CN-GD') OR (1=1"]),
    # Redemptions: by day, their project's region, project, species (not action or brand).
    (where_redemptions, NONE, None, "", []),
    (where_redemptions, EVERYTHING, None,
     "WHERE day >= ? AND day <= ? AND region IN (?, ?) AND project_id IN (?) "
     "AND species IN (?, ?)",
     [JAN, MAR, "CN-GD", "CN-BJ", "AF-NM-01", "saxaul", "eelgrass"]),
    (where_redemptions, EVERYTHING, "r",
     "WHERE r.day >= ? AND r.day <= ? AND r.region IN (?, ?) AND r.project_id IN (?) "
     "AND r.species IN (?, ?)",
     [JAN, MAR, "CN-GD", "CN-BJ", "AF-NM-01", "saxaul", "eelgrass"]),
    # Plantings: the period is planted_on.
    (where_plantings, NONE, None, "", []),
    (where_plantings, PERIOD, None, "WHERE planted_on >= ? AND planted_on <= ?", [JAN, MAR]),
    (where_plantings, EVERYTHING, "p",
     "WHERE p.planted_on >= ? AND p.planted_on <= ? AND p.region IN (?, ?) "
     "AND p.project_id IN (?) AND p.species IN (?, ?)",
     [JAN, MAR, "CN-GD", "CN-BJ", "AF-NM-01", "saxaul", "eelgrass"]),
    # Surveys: never cut by the period, always up to as_of.
    (where_surveys, NONE, None, "WHERE surveyed_on <= ?", [AS_OF]),
    (where_surveys, EVERYTHING, None,
     "WHERE surveyed_on <= ? AND region IN (?, ?) AND project_id IN (?) AND species IN (?, ?)",
     [AS_OF, "CN-GD", "CN-BJ", "AF-NM-01", "saxaul", "eelgrass"]),
    # Projects: their own region and the project filter, no period.
    (where_projects, NONE, None, "", []),
    (where_projects, EVERYTHING, None, "WHERE region IN (?, ?) AND project_id IN (?)",
     ["CN-GD", "CN-BJ", "AF-NM-01"]),
    # Protected areas: the area's region only.
    (where_areas, PERIOD, None, "", []),
    (where_areas, EVERYTHING, None, "WHERE region IN (?, ?)", ["CN-GD", "CN-BJ"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("builder", "f", "alias", "sql", "params"),
    CASES,
    ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)],
)
def test_filters_become_where_text_and_bound_params(
    builder: Callable[..., Where], f: Filters, alias: str | None, sql: str, params: list
) -> None:
    w = builder(f, alias) if alias else builder(f)
    assert w.sql == sql
    assert w.params == params
    # The same conditions appended to an existing WHERE.
    assert w.and_() == (sql.replace("WHERE ", " AND ", 1) if sql else "")


@pytest.mark.parametrize(
    ("build", "column"),
    [
        (lambda: Where().isin("user_id", ["u000000001"]), "user_id"),
        (lambda: Where().isin("user_id", []), "user_id"),  # refused even with no values
        (lambda: Where().between("occurred_at", date(2026, 1, 1), None), "occurred_at"),
        (lambda: Where().between("energy_g", None, None), "energy_g"),
        (lambda: Where("a").isin("region; DROP TABLE stg_projects", ["x"]),
         "region; DROP TABLE stg_projects"),
        (lambda: Where().period(PERIOD, "redeemed_on"), "redeemed_on"),
    ],
)  # fmt: skip
def test_a_column_outside_the_allow_list_is_refused_by_name(
    build: Callable[[], Where], column: str
) -> None:
    assert column not in ALLOWED_COLUMNS
    with pytest.raises(ValueError, match="is not filterable") as err:
        build()
    assert repr(column) in str(err.value)


@pytest.mark.parametrize("alias", ["", "a.b", "a; DROP TABLE x", "1a", "a b", "p--"])
def test_a_bad_table_alias_is_refused_by_name(alias: str) -> None:
    with pytest.raises(ValueError, match="bad table alias") as err:
        where_actions(EVERYTHING, alias)
    assert repr(alias) in str(err.value)


# (period, what it is compared with; None: nothing)
COMPARISONS = [
    # A year to date: the same dates last year, 29 February becoming 28 February.
    ((date(2024, 1, 1), date(2024, 2, 29)), (date(2023, 1, 1), date(2023, 2, 28))),
    ((date(2026, 1, 1), date(2026, 11, 27)), (date(2025, 1, 1), date(2025, 11, 27))),
    ((date(2026, 1, 1), date(2026, 1, 1)), (date(2025, 1, 1), date(2025, 1, 1))),
    # A whole year: the year before.
    ((date(2025, 1, 1), date(2025, 12, 31)), (date(2024, 1, 1), date(2024, 12, 31))),
    # 30 days: the 30 days just before.
    ((date(2026, 10, 29), date(2026, 11, 27)), (date(2026, 9, 29), date(2026, 10, 28))),
    # Any other period: the same number of days just before (March 2024 → 31 days to 29 Feb).
    ((date(2024, 3, 1), date(2024, 3, 31)), (date(2024, 1, 30), date(2024, 2, 29))),
    # From 1 January into the next year is not a year: the same length before.
    ((date(2023, 1, 1), date(2024, 3, 31)), (date(2021, 10, 2), date(2022, 12, 31))),
    # Unbounded at either end: nothing to compare with.
    ((None, None), None),
    ((date(2026, 1, 1), None), None),
    ((None, date(2026, 11, 27)), None),
]


@pytest.mark.parametrize(("period", "expected"), COMPARISONS)
def test_comparison_period(
    period: tuple[date | None, date | None], expected: tuple[date, date] | None
) -> None:
    f = Filters(*period, regions=("CN-GD",), species=("saxaul",), as_of=AS_OF)
    before = f.comparison_period()
    if expected is None:
        assert before is None
        return
    assert before is not None
    assert (before.date_from, before.date_to) == expected
    # Only the period moves: the other filters and as_of stay.
    assert (before.regions, before.species, before.as_of) == (f.regions, f.species, f.as_of)


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("30d", (date(2026, 10, 29), AS_OF)),
        ("this-year", (date(2026, 1, 1), AS_OF)),
        ("last-year", (date(2025, 1, 1), date(2025, 12, 31))),
        ("all", (None, None)),
        ("custom", (None, None)),
    ],
)
def test_period_presets_count_back_from_the_latest_day(
    period: str, expected: tuple[date | None, date | None]
) -> None:
    assert period_bounds(period, AS_OF) == expected


@pytest.mark.parametrize(
    ("period", "months"),
    [
        ((JAN, MAR), ("2026-01", "2026-03")),
        ((JAN, None), ("2026-01", "9999-99")),
        ((None, MAR), ("0000-00", "2026-03")),
        ((None, None), None),
    ],
)
def test_months_a_period_touches(
    period: tuple[date | None, date | None], months: tuple[str, str] | None
) -> None:
    assert Filters(*period, as_of=AS_OF).months() == months


@pytest.mark.parametrize(
    ("given", "codes"),
    [
        (["cn-gd"], ("CN-GD",)),
        (["CN-GD,cn-bj", " CN-SH "], ("CN-GD", "CN-BJ", "CN-SH")),
        (["CN-GD", "cn-gd,,"], ("CN-GD",)),
        ([], ()),
    ],
)
def test_region_codes_from_a_link_or_the_command_line(given: list[str], codes: tuple) -> None:
    assert parse_regions(given) == codes
