"""What each page and command asks of a snapshot, as parameterized queries over the marts.

Every function takes a `Reader` and `Filters` and returns frames or numbers; none computes a
metric itself (that is `greenstats.stats`).
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from greenstats import sketch, stats
from greenstats.filters import (
    Filters,
    Where,
    where_actions,
    where_areas,
    where_plantings,
    where_projects,
    where_redemptions,
    where_surveys,
)
from greenstats.methodology import Reference
from greenstats.warehouse import Reader


def reference_frames(r: Reader) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The methodology stored with the snapshot: action and species factors."""
    return r.df("SELECT * FROM ref_actions"), r.df("SELECT * FROM ref_species")


def actions_by_action(r: Reader, f: Filters) -> pd.DataFrame:
    """Action count and energy issued per action code."""
    w = where_actions(f)
    return r.df(
        f"""SELECT action, sum(count_actions)::BIGINT AS count_actions,
                   sum(energy_g)::BIGINT AS energy_g
            FROM mart_actions_daily {w.sql} GROUP BY action ORDER BY action""",
        w.params,
    )


def brands_count(r: Reader, f: Filters) -> int:
    """Distinct partner brands among the selected action events."""
    w = where_actions(f)
    return int(
        r.scalar(f"SELECT count(DISTINCT brand_id) FROM mart_actions_daily {w.sql}", w.params)
    )


def users_active_exact(r: Reader, f: Filters) -> int:
    """Distinct users among the selected action events, counted exactly from the lake."""
    paths = r.lake_paths("actions", _months_between(r, f))
    if not paths:
        return 0
    w = where_actions(f)
    return int(
        r.scalar(
            f"SELECT count(DISTINCT user_id) FROM read_parquet(?::VARCHAR[]) {w.sql}",
            [paths, *w.params],
        )
    )


def users_active_sketch(r: Reader, f: Filters) -> int:
    """Distinct users among action events in the period and regions, from the HLL marts."""
    first, last = _event_days(r)
    if first is None:
        return 0
    lo = max(f.date_from or first, first)
    hi = min(f.date_to or last, last)
    if lo > hi:
        return 0
    years, months, days = period_pieces(lo, hi, first, last)
    parts, params = [], []
    region = Where().isin("region", f.regions)
    if years:
        parts.append(
            "SELECT reg, rho FROM mart_users_hll_year "
            f"WHERE year IN (SELECT unnest(?)){region.and_()}"
        )
        params += [years, *region.params]
    if months:
        parts.append(
            "SELECT reg, rho FROM mart_users_hll_month "
            f"WHERE month IN (SELECT unnest(?)){region.and_()}"
        )
        params += [months, *region.params]
    for a, b in days:
        parts.append(
            f"SELECT reg, rho FROM mart_users_hll_day WHERE day BETWEEN ? AND ?{region.and_()}"
        )
        params += [a, b, *region.params]
    registers = r.df(
        f"SELECT reg, max(rho) AS rho FROM ({' UNION ALL '.join(parts)}) GROUP BY reg", params
    )
    return round(sketch.estimate(registers["rho"].to_numpy()))


def period_pieces(
    lo: date, hi: date, first: date, last: date
) -> tuple[list[str], list[str], list[tuple[date, date]]]:
    """Cover [lo, hi] with whole years, whole months and day ranges (fewest rows to merge).

    Days before the first event or after the last hold no data, so a period reaching past
    them may use the whole year or month.
    """
    years: list[str] = []
    months: list[str] = []
    days: list[tuple[date, date]] = []
    cursor = lo
    while cursor <= hi:
        year_start, year_end = date(cursor.year, 1, 1), date(cursor.year, 12, 31)
        month_start = cursor.replace(day=1)
        month_end = (month_start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        if (cursor == year_start or cursor <= first) and (year_end <= hi or hi >= last):
            years.append(str(cursor.year))
            cursor = year_end + timedelta(days=1)
        elif (cursor == month_start or cursor <= first) and (month_end <= hi or hi >= last):
            months.append(cursor.strftime("%Y-%m"))
            cursor = month_end + timedelta(days=1)
        else:
            end = min(hi, month_end)
            if days and days[-1][1] == cursor - timedelta(days=1):
                days[-1] = (days[-1][0], end)
            else:
                days.append((cursor, end))
            cursor = end + timedelta(days=1)
    return years, months, days


def _event_days(r: Reader) -> tuple[date | None, date | None]:
    info = r.info()
    if not info.get("first_event_day"):
        return None, None
    return date.fromisoformat(info["first_event_day"]), date.fromisoformat(info["latest_event_day"])


def _months_between(r: Reader, f: Filters) -> list[str] | None:
    bounds = f.months()
    if bounds is None:
        return None
    rows = r.rows(
        "SELECT DISTINCT month FROM lake_files "
        "WHERE table_name = 'actions' AND month BETWEEN ? AND ?",
        list(bounds),
    )
    return [m for (m,) in rows]


def redemptions_by_species(r: Reader, f: Filters) -> pd.DataFrame:
    """Redemptions, units adopted and energy redeemed per species."""
    w = where_redemptions(f)
    return r.df(
        f"""SELECT species, sum(count_redemptions)::BIGINT AS count_redemptions,
                   sum(units) AS units, sum(energy_g)::BIGINT AS energy_g
            FROM mart_redemptions_daily {w.sql} GROUP BY species ORDER BY species""",
        w.params,
    )


def plantings(r: Reader, f: Filters) -> pd.DataFrame:
    """The planting batches the filters select."""
    w = where_plantings(f)
    return r.df(f"SELECT * FROM stg_plantings {w.sql} ORDER BY planted_on, planting_id", w.params)


def surveys(r: Reader, f: Filters) -> pd.DataFrame:
    """The surveys that count (up to as_of) for the filters' projects."""
    w = where_surveys(f)
    return r.df(f"SELECT * FROM stg_surveys {w.sql} ORDER BY surveyed_on, survey_id", w.params)


def projects(r: Reader, f: Filters) -> pd.DataFrame:
    """The projects the filters select (not cut by period)."""
    w = where_projects(f)
    return r.df(f"SELECT * FROM stg_projects {w.sql} ORDER BY project_id", w.params)


def protected_areas(r: Reader, f: Filters) -> pd.DataFrame:
    """The protected areas in the filters' regions."""
    w = where_areas(f)
    return r.df(f"SELECT * FROM stg_protected_areas {w.sql} ORDER BY area_id", w.params)


def area_species(r: Reader, f: Filters) -> pd.DataFrame:
    """Species recorded in the protected areas of the filters' regions."""
    w = where_areas(f)
    return r.df(f"SELECT * FROM stg_area_species {w.sql}", w.params)


def summary_inputs(
    r: Reader, f: Filters, *, exact_users: bool = False, reference: Reference | None = None
) -> stats.SummaryInputs:
    """Everything `stats.summary` needs for one set of filters."""
    if reference is None:
        ref_actions, ref_species = reference_frames(r)
    else:
        ref_actions, ref_species = reference.actions, reference.species
    users = users_active_exact(r, f) if exact_users else users_active_sketch(r, f)
    return stats.SummaryInputs(
        actions_by_action=actions_by_action(r, f),
        users_active=users,
        brands=brands_count(r, f),
        redemptions=redemptions_by_species(r, f),
        plantings=plantings(r, f),
        surveys=surveys(r, f),
        projects=projects(r, f),
        protected_areas=protected_areas(r, f),
        area_species=area_species(r, f),
        ref_actions=ref_actions,
        ref_species=ref_species,
        as_of=f.as_of,
    )


def summary(
    r: Reader, f: Filters, *, exact_users: bool = True, reference: Reference | None = None
) -> dict[str, float | int]:
    """CONTRACT.md §3 metrics for the filters (exact user count unless asked otherwise)."""
    return stats.summary(summary_inputs(r, f, exact_users=exact_users, reference=reference))


def page_summary(r: Reader, f: Filters) -> dict[str, float | int]:
    """The summary as pages show it: distinct users from the sketches, never from raw events."""
    return summary(r, f, exact_users=False)


# --- breakdowns for the pages (each sums to the summary total for the same filters) --------

#: Time buckets a series may use, as SQL over the day column.
TIME_GRAINS: dict[str, str] = {
    "day": "day",
    "week": "CAST(date_trunc('week', day) AS DATE)",
    "month": "CAST(date_trunc('month', day) AS DATE)",
    "year": "CAST(date_trunc('year', day) AS DATE)",
}
#: Dimensions an action breakdown may group by: the whitelist for identifiers.
ACTION_DIMENSIONS: dict[str, str] = {
    "action": "m.action",
    "region": "m.region",
    "brand_id": "m.brand_id",
    "category": "coalesce(a.category, 'other')",
}


def actions_breakdown(
    r: Reader, f: Filters, grain: str | None = None, by: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Action count and energy by time bucket, dimensions and action (carbon: `stats`)."""
    if grain is not None and grain not in TIME_GRAINS:
        raise ValueError(f"unknown time grain {grain!r}")
    unknown = [d for d in by if d not in ACTION_DIMENSIONS]
    if unknown:
        raise ValueError(f"cannot group actions by {unknown[0]!r}")
    if "action" not in by:  # carbon is per action: stats.carbon_breakdown groups it up
        by = (*by, "action")
    select = [f"{ACTION_DIMENSIONS[d]} AS {d}" for d in by]
    if grain:
        select.insert(0, f"{TIME_GRAINS[grain].replace('day', 'm.day')} AS period")
    w = where_actions(f, alias="m")
    groups = ", ".join(str(i + 1) for i in range(len(select)))
    cols = ", ".join(select)
    return r.df(
        f"""SELECT {cols}{", " if cols else ""}
                   sum(m.count_actions)::BIGINT AS count_actions,
                   sum(m.energy_g)::BIGINT AS energy_g
            FROM mart_actions_daily AS m LEFT JOIN ref_actions AS a ON a.action = m.action
            {w.sql}
            {("GROUP BY " + groups + " ORDER BY " + groups) if groups else ""}""",
        w.params,
    )
