"""What each page and command asks of a snapshot, as parameterized queries over the marts.

Every function takes a `Reader` and `Filters` and returns frames or numbers; none computes a
metric itself (that is `greenstats.metrics.stats`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import TypeVar

import duckdb
import numpy as np
import pandas as pd

from greenstats.data.methodology import Reference
from greenstats.data.paths import is_uri
from greenstats.data.warehouse import Reader, WarehouseError
from greenstats.metrics import alerts, catalog, privacy, sketch, stats
from greenstats.metrics.filters import (
    Filters,
    Where,
    where_actions,
    where_areas,
    where_plantings,
    where_projects,
    where_redemptions,
    where_surveys,
)

T = TypeVar("T")


_NOT_KEPT = object()


def _once(r: Reader, key: tuple, compute: Callable[[], T]) -> T:
    """`compute()`, once per snapshot reader and key (the key names the function and the
    filters it reads): several pages and views of one filter bar ask for the same plantings
    and alerts. A frame is copied out, so no caller changes what another reads."""
    value = r.recall(key, _NOT_KEPT)
    if value is _NOT_KEPT:
        value = compute()
        r.keep(key, value)
    return value.copy() if isinstance(value, pd.DataFrame) else value


def reference_frames(r: Reader, f: Filters | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The methodology stored with the snapshot: action and species factors."""
    return r.whole("ref_actions"), r.whole("ref_species")


def actions_by_action(r: Reader, f: Filters) -> pd.DataFrame:
    """Action count and energy issued per action code."""
    source, params = actions_source(r, f)
    w = _where_actions_but_period(f)
    return r.df(
        f"""SELECT action, sum(count_actions)::BIGINT AS count_actions,
                   sum(energy_g)::BIGINT AS energy_g
            FROM {source} AS m {w.sql} GROUP BY action ORDER BY action""",
        [*params, *w.params],
    )


def brands_count(r: Reader, f: Filters) -> int:
    """Distinct partner brands among the selected action events."""
    source, params = actions_source(r, f)
    w = _where_actions_but_period(f)
    return int(
        r.scalar(
            f"SELECT count(DISTINCT brand_id) FROM {source} AS m {w.sql}", [*params, *w.params]
        )
    )


def actions_source(r: Reader, f: Filters, grain: str | None = None) -> tuple[str, list]:
    """The action rows of the period, as the fewest mart rows: whole months from
    mart_actions_monthly (dated the 1st), the days at the edges from mart_actions_daily.
    Day and week buckets need the days. Returns (a parenthesised SELECT, its parameters) with
    the columns day, region, action, brand_id, count_actions, energy_g."""
    columns = "region, action, brand_id, count_actions, energy_g"
    first, last = event_days(r)
    if grain in ("day", "week") or first is None:
        w = Where().period(f)
        return f"(SELECT day, {columns} FROM mart_actions_daily {w.sql})", w.params
    lo, hi = max(f.date_from or first, first), min(f.date_to or last, last)
    if lo > hi:
        return f"(SELECT day, {columns} FROM mart_actions_daily WHERE false)", []
    years, months, days = period_pieces(lo, hi, first, last)
    months = sorted([*months, *(f"{y}-{m:02d}" for y in years for m in range(1, 13))])
    in_months = Where().isin("month", months or ["none"])
    parts = [
        f"SELECT CAST(month || '-01' AS DATE) AS day, {columns} FROM mart_actions_monthly "
        f"{in_months.sql}"
    ]
    params: list = list(in_months.params)
    for a, b in days:
        parts.append(f"SELECT day, {columns} FROM mart_actions_daily WHERE day BETWEEN ? AND ?")
        params += [a, b]
    return f"({' UNION ALL '.join(parts)})", params


def _where_actions_but_period(f: Filters) -> Where:
    """where_actions without the period, which actions_source has applied."""
    return where_actions(f.all_time(), alias="m")


def users_active_exact(r: Reader, f: Filters) -> int:
    """Distinct users among the selected action events, counted exactly from the lake."""
    paths = r.lake_paths("actions", _months_between(r, f))
    if not paths:
        return 0
    w = where_actions(f)
    try:
        return int(
            r.scalar(
                f"SELECT count(DISTINCT user_id) FROM read_parquet(?::VARCHAR[]) {w.sql}",
                [paths, *w.params],
            )
        )
    except duckdb.Error as exc:
        at_uri = [p for p in paths if is_uri(p)]
        if not at_uri:
            raise
        raise WarehouseError(
            f"The lake at {at_uri[0]} could not be read by DuckDB "
            f"({str(exc).splitlines()[0]}), and the exact count of users reads it: for s3a:// "
            "install DuckDB's httpfs extension with a persistent S3 secret, for abfss:// its "
            "azure extension; hdfs:// DuckDB cannot read (README, Running on Spark)."
        ) from exc


def users_active_sketch(r: Reader, f: Filters) -> int:
    """Distinct users among action events in the period and regions, from the HLL marts."""
    return round(sketch.estimate_from_histogram(users_histogram(r, f)))


def users_histogram(r: Reader, f: Filters) -> np.ndarray:
    """The HLL registers of the users among action events in the period and regions, merged,
    as registers per value (index 0, the registers not set, counted as 0): their estimate is
    `users_active_sketch`, and they name the people counted (privacy.sketch_cell)."""
    empty = np.zeros(sketch.HASH_BITS_LEFT + 2, dtype=np.int64)
    first, last = event_days(r)
    if first is None:
        return empty
    lo = max(f.date_from or first, first)
    hi = min(f.date_to or last, last)
    if lo > hi:
        return empty
    years, months, days = period_pieces(lo, hi, first, last)
    parts, params = [], []
    region = Where().isin("region", f.regions)
    # Month and year sketches hold every region merged as region '*'.
    if years:
        w = Where().isin("year", years).isin("region", f.regions or ("*",))
        parts.append(f"SELECT reg, rho FROM mart_users_hll_year {w.sql}")
        params += w.params
    if months:
        w = Where().isin("month", months).isin("region", f.regions or ("*",))
        parts.append(f"SELECT reg, rho FROM mart_users_hll_month {w.sql}")
        params += w.params
    for a, b in days:
        parts.append(
            f"SELECT reg, rho FROM mart_users_hll_day WHERE day BETWEEN ? AND ?{region.and_()}"
        )
        params += [a, b, *region.params]
    registers = r.df(
        f"SELECT reg, max(rho) AS rho FROM ({' UNION ALL '.join(parts)}) GROUP BY reg", params
    )
    rho = registers["rho"].to_numpy().astype(np.int64)
    return np.bincount(rho, minlength=len(empty))


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


def event_days(r: Reader) -> tuple[date | None, date | None]:
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
    r: Reader,
    f: Filters,
    *,
    exact_users: bool = False,
    reference: Reference | None = None,
    users: int | None = None,
) -> stats.SummaryInputs:
    """Everything `stats.summary` needs for one set of filters (`users`: the distinct users
    when the caller has counted them already)."""
    if reference is None:
        ref_actions, ref_species = reference_frames(r)
    else:
        ref_actions, ref_species = reference.actions, reference.species
    if users is None:
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
    """The metrics of docs/CONTRACT.md (Metric definitions) for the filters (exact user count
    unless asked otherwise)."""
    return catalog.summary(summary_inputs(r, f, exact_users=exact_users, reference=reference))


def page_summary(r: Reader, f: Filters) -> dict[str, float | int]:
    """The summary as pages show it: distinct users from the sketches, never from raw events,
    and rounded as every count of people a page shows (`privacy.rounded`; once per reader and
    filters: the Overview and Actions pages both show it)."""

    def compute() -> dict[str, float | int]:
        histogram = users_histogram(r, f)
        users = round(sketch.estimate_from_histogram(histogram))
        s = catalog.summary(summary_inputs(r, f, users=users))
        cell = privacy.sketch_cell("users_active", histogram)
        return s | {"users_active": privacy.rounded(users, cell, privacy.seed(r.warehouse))}

    return dict(_once(r, ("page_summary", f), compute))


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
    source, params = actions_source(r, f, grain)
    w = _where_actions_but_period(f)
    groups = ", ".join(str(i + 1) for i in range(len(select)))
    cols = ", ".join(select)
    return r.df(
        f"""SELECT {cols}{", " if cols else ""}
                   sum(m.count_actions)::BIGINT AS count_actions,
                   sum(m.energy_g)::BIGINT AS energy_g
            FROM {source} AS m LEFT JOIN ref_actions AS a ON a.action = m.action
            {w.sql}
            {("GROUP BY " + groups + " ORDER BY " + groups) if groups else ""}""",
        [*params, *w.params],
    )


# --- small lookups the filter bar and pages need ---------------------------------------------


def snapshot_info(r: Reader) -> dict[str, str]:
    """The snapshot's metadata."""
    return r.info()


#: For each kind of code a reader sees by name: SQL giving `code`, `name_en` and `name_zh`
#: (either may be NULL or blank; `name_table` fills them in: zh → en → code).
NAME_TABLES: dict[str, str] = {
    "actions": "SELECT action AS code, name_en, name_zh FROM ref_actions ORDER BY action",
    "species": "SELECT species AS code, name_en, name_zh FROM ref_species ORDER BY species",
    "projects": "SELECT project_id AS code, name AS name_en, name_zh FROM stg_projects "
    "ORDER BY project_id",
    # Partners are named by their (English) name; the Chinese one comes with their projects
    # and protected areas.
    "partners": """SELECT partner AS code, partner AS name_en, max(partner_zh) AS name_zh
        FROM (SELECT partner, partner_zh FROM stg_projects
              UNION ALL SELECT partner, partner_zh FROM stg_protected_areas)
        GROUP BY partner ORDER BY partner""",
    "areas": "SELECT area_id AS code, name AS name_en, name_zh FROM stg_protected_areas "
    "ORDER BY area_id",
    # Every brand of the brands table or of the actions; one without a row in brands keeps
    # its id.
    "brands": """SELECT b.brand_id AS code, s.name AS name_en, s.name_zh
        FROM (SELECT brand_id FROM stg_brands
              UNION SELECT brand_id FROM mart_actions_monthly WHERE brand_id IS NOT NULL) AS b
        LEFT JOIN stg_brands AS s USING (brand_id) ORDER BY code""",
    # Species recorded in protected areas, by scientific name.
    "area_species": """SELECT scientific_name AS code, max(common_name) AS name_en,
               max(common_name_zh) AS name_zh
        FROM stg_area_species GROUP BY scientific_name ORDER BY scientific_name""",
}

#: NAME_TABLES for a snapshot built before the Chinese names and the brands table: English
#: only (a page on such a snapshot still shows names until the next ingest or build).
_OLD_NAME_TABLES: dict[str, str] = {
    "projects": "SELECT project_id AS code, name AS name_en, NULL AS name_zh FROM stg_projects "
    "ORDER BY project_id",
    "partners": """SELECT DISTINCT partner AS code, partner AS name_en, NULL AS name_zh
        FROM (SELECT partner FROM stg_projects UNION SELECT partner FROM stg_protected_areas)
        ORDER BY code""",
    "areas": "SELECT area_id AS code, name AS name_en, NULL AS name_zh FROM stg_protected_areas "
    "ORDER BY area_id",
    "brands": """SELECT DISTINCT brand_id AS code, NULL AS name_en, NULL AS name_zh
        FROM mart_actions_monthly WHERE brand_id IS NOT NULL ORDER BY code""",
    "area_species": """SELECT scientific_name AS code, max(common_name) AS name_en,
               NULL AS name_zh FROM stg_area_species GROUP BY 1 ORDER BY 1""",
}


def _named(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def name_table(r: Reader, kind: str) -> pd.DataFrame:
    """Codes and the names a reader sees, for one of NAME_TABLES: `name_en` is the English name
    or else the code; `name_zh` the Chinese name, or else the English one, or else the code.
    Never a blank."""
    try:
        table = r.df(NAME_TABLES[kind])
    except (duckdb.BinderException, duckdb.CatalogException):
        if kind not in _OLD_NAME_TABLES:
            raise
        table = r.df(_OLD_NAME_TABLES[kind])
    codes = [str(c) for c in table["code"]]
    en = [str(n).strip() if _named(n) else c for c, n in zip(codes, table["name_en"], strict=True)]
    zh = [str(n).strip() if _named(n) else e for e, n in zip(en, table["name_zh"], strict=True)]
    return pd.DataFrame({"code": codes, "name_en": en, "name_zh": zh})


def display_names(r: Reader, kind: str, lang: str) -> dict[str, str]:
    """Code → the name a reader sees in `lang`, for one of NAME_TABLES: the Chinese name where
    there is one, else the English one, else the code itself (never a blank)."""
    table = name_table(r, kind)
    names = table["name_zh"] if lang == "zh" else table["name_en"]
    return dict(zip(table["code"], names, strict=True))


def brand_ids(r: Reader) -> list[str]:
    """Every partner brand that credited an action."""
    rows = r.rows(
        "SELECT DISTINCT brand_id FROM mart_actions_monthly WHERE brand_id IS NOT NULL ORDER BY 1"
    )
    return [b for (b,) in rows]


def adoptions_total(r: Reader, f: Filters) -> pd.DataFrame:
    """Units adopted and energy redeemed per project and species, over the whole period (the
    same sums as `adoptions`, without a row per day)."""
    w = where_redemptions(f)
    return r.df(
        f"""SELECT project_id, species, sum(units) AS units,
                   sum(energy_g)::BIGINT AS energy_g, sum(count_redemptions)::BIGINT AS redemptions
            FROM mart_redemptions_daily {w.sql} GROUP BY ALL ORDER BY ALL""",
        w.params,
    )


def adoptions(r: Reader, f: Filters) -> pd.DataFrame:
    """Units adopted per day, project and species (the mart's grain) in planting projects (not
    conservation), for the backlog; in no particular order."""
    w = where_redemptions(f)
    return r.arrow_df(
        f"""SELECT day, project_id, species, units FROM mart_redemptions_daily
            WHERE project_id IN (
                SELECT project_id FROM stg_projects WHERE kind <> 'conservation'){w.and_()}""",
        w.params,
    )


#: Exact distinct users per whole bucket (no region, or one): mart and its period column.
EXACT_USERS: dict[str, tuple[str, str]] = {
    "day": ("mart_users_daily_exact", "day"),
    "week": ("mart_users_weekly_exact", "week"),
    "month": ("mart_users_monthly_exact", "month"),
}


def _buckets(grain: str, lo: date, hi: date, first: date, last: date) -> list[tuple[date, bool]]:
    """Each bucket's start in [lo, hi], and whether the period covers all of its data days
    (days before the first event or after the last hold none)."""
    out = []
    start = {"day": lo, "week": lo - timedelta(days=lo.weekday()), "month": lo.replace(day=1)}
    cursor = start[grain]
    while cursor <= hi:
        end = _bucket_spans(grain, [cursor])[0][1]
        whole = max(cursor, first) >= lo and min(end, last) <= hi
        out.append((cursor, whole))
        cursor = end + timedelta(days=1)
    return out


def _bucket_spans(grain: str, starts: list[date]) -> list[tuple[date, date]]:
    """Each bucket's first and last day."""
    if grain == "day":
        return [(s, s) for s in starts]
    if grain == "week":
        return [(s, s + timedelta(days=6)) for s in starts]
    return [(s, (s + timedelta(days=32)).replace(day=1) - timedelta(days=1)) for s in starts]


def users_series(r: Reader, f: Filters, grain: str) -> pd.DataFrame:
    """Active users and new users (both exact where they can be) per day, week or month;
    `exact` says whether a bucket's active users were counted exactly or estimated, and
    `cell_active` and `cell_new` name the people each count counted (privacy.Cell).

    With no region or one, a bucket the period covers whole is read exact from
    mart_users_<grain>_exact; a bucket cut by the period's ends, or any bucket when several
    regions are chosen, is estimated from the day sketches (HyperLogLog). New users are exact.
    Users are counted across all actions and brands. Pages show `users_shown`.
    """
    if grain not in ("day", "week", "month"):
        raise ValueError(f"unknown time grain {grain!r}")
    first, last = event_days(r)
    lo = max(f.date_from or first, first) if first else None
    hi = min(f.date_to or last, last) if last else None
    if first is None or lo > hi:
        return pd.DataFrame(
            {"period": pd.Series(dtype="datetime64[us]"), "users_active": pd.Series(dtype=int),
             "exact": pd.Series(dtype=bool), "cell_active": pd.Series(dtype=object),
             "users_new": pd.Series(dtype=int), "cell_new": pd.Series(dtype=object),
             "users_returning": pd.Series(dtype=int)}
        )  # fmt: skip
    buckets = _buckets(grain, lo, hi, first, last)
    exact = pd.DataFrame(columns=["period", "users_active"])
    if len(f.regions) <= 1:
        table, column = EXACT_USERS[grain]
        whole = [b for b, is_whole in buckets if is_whole]
        if grain == "month":
            bounds = [buckets[0][0].strftime("%Y-%m"), buckets[-1][0].strftime("%Y-%m")]
            period = "CAST(month || '-01' AS DATE)"
        else:
            bounds, period = [buckets[0][0], buckets[-1][0]], column
        exact = r.df(
            f"SELECT {period} AS period, users AS users_active FROM {table} "
            f"WHERE region = ? AND {column} BETWEEN ? AND ? ORDER BY 1",
            [f.regions[0] if f.regions else "*", *bounds],
        )
        exact = exact[exact["period"].isin(pd.to_datetime(whole))]
        estimate = [b for b, is_whole in buckets if not is_whole]
    else:
        estimate = [b for b, _ in buckets]
    estimated = _users_estimated(r, f, grain, estimate, lo, hi)
    # Every bucket of the period gets a row: one no user acted in (no row in a mart) has 0.
    starts = [b for b, _ in buckets]
    sums = pd.DataFrame({"period": pd.to_datetime(starts), "users_active": 0})
    sums["exact"] = np.array([whole for _, whole in buckets], dtype=bool) & (len(f.regions) <= 1)
    # An exact count is of its whole bucket and region (every region: none named).
    sums["cell_active"] = [privacy.Cell("users_active", tuple(f.regions), a, b, grain)
                           for a, b in _bucket_spans(grain, starts)]  # fmt: skip
    found = [p.assign(period=pd.to_datetime(p["period"])) for p in (exact, estimated) if len(p)]
    if found:
        counts = pd.concat(found).set_index("period")["users_active"]
        sums["users_active"] = sums["period"].map(counts).fillna(0)
    if len(estimated):
        cells = pd.Series(list(estimated["cell"]), index=pd.to_datetime(estimated["period"]))
        sums["cell_active"] = [
            cells.get(p, c) for p, c in zip(sums["period"], sums["cell_active"], strict=True)
        ]
    w = Where().between("day", lo, hi).isin("region", f.regions)
    bucket = TIME_GRAINS[grain]
    new = r.df(
        f"SELECT {bucket} AS period, sum(count_new_users)::BIGINT AS users_new, "
        "min(day) AS new_first, max(day) AS new_last, "
        "array_agg(DISTINCT region ORDER BY region) AS new_regions "
        f"FROM mart_new_users_daily {w.sql} GROUP BY 1",
        w.params,
    )
    new["period"] = pd.to_datetime(new["period"])
    # The new users of a bar are those of its days and regions that hold one (mart_new_users_
    # daily has a row only where a user began): so much fixes who they are.
    new["cell_new"] = [
        privacy.Cell("users_new", tuple(g), pd.Timestamp(a).date(), pd.Timestamp(b).date())
        for g, a, b in zip(new["new_regions"], new["new_first"], new["new_last"], strict=True)
    ]
    new = new.drop(columns=["new_first", "new_last", "new_regions"])
    out = sums.sort_values("period").merge(new, on="period", how="left").reset_index(drop=True)
    out["users_active"] = out["users_active"].astype(int)
    out["users_new"] = out["users_new"].fillna(0).astype(int)
    out["users_new"] = out[["users_new", "users_active"]].min(axis=1)
    out["cell_new"] = [c if isinstance(c, privacy.Cell) else privacy.Cell("users_new")
                       for c in out["cell_new"]]  # fmt: skip
    out["users_returning"] = out["users_active"] - out["users_new"]
    return out


def users_shown(r: Reader, f: Filters, grain: str) -> pd.DataFrame:
    """`users_series` as pages show it: each bar's new, returning and active users rounded as
    every count of people a page shows (`privacy.parts`: 0, "< k" or a multiple of k)."""
    series = users_series(r, f, grain)
    seed = privacy.seed(r.warehouse)
    shown = [
        privacy.parts(new, returning, active,
                      (cn, privacy.Cell("users_returning", parts=(ca, cn)), ca), seed)
        for new, returning, active, cn, ca in zip(
            series["users_new"], series["users_returning"], series["users_active"],
            series["cell_new"], series["cell_active"], strict=True)
    ]  # fmt: skip
    out = series.drop(columns=["cell_active", "cell_new"])
    for i, column in enumerate(("users_new", "users_returning", "users_active")):
        out[column] = pd.Series([s[i] for s in shown], index=out.index, dtype=int)
    return out


def _users_estimated(
    r: Reader, f: Filters, grain: str, starts: list[date], lo: date, hi: date
) -> pd.DataFrame:
    """HyperLogLog estimates for the given buckets, each clipped to [lo, hi]: whole months
    from the month sketches, everything else from the day sketches."""
    if not starts:
        return pd.DataFrame(columns=["period", "users_active", "cell"])
    region = Where().isin("region", f.regions)
    bucket = TIME_GRAINS[grain]
    first, last = event_days(r)
    buckets = _buckets(grain, lo, hi, first, last)
    wanted = set(starts)
    whole_months = [
        b.strftime("%Y-%m") for b, w in buckets if w and grain == "month" and b in wanted
    ]
    parts, params = [], []
    if whole_months:
        w = Where().isin("month", whole_months).isin("region", f.regions or ("*",))
        parts.append(
            "SELECT CAST(month || '-01' AS DATE) AS period, reg, rho "
            f"FROM mart_users_hll_month {w.sql}"
        )
        params += w.params
    # The other buckets' days, clipped to [lo, hi], as few ranges as they make.
    ranges: list[list[date]] = []
    wanted -= {date.fromisoformat(m + "-01") for m in whole_months}
    for start, end in _bucket_spans(grain, sorted(wanted)):
        a, b = max(start, lo), min(end, hi)
        if ranges and ranges[-1][1] == a - timedelta(days=1):
            ranges[-1][1] = b
        else:
            ranges.append([a, b])
    if ranges:
        days = " OR ".join(["day BETWEEN ? AND ?"] * len(ranges))
        parts.append(
            f"SELECT {bucket} AS period, reg, rho FROM mart_users_hll_day "
            f"WHERE ({days}){region.and_()}"
        )
        params += [d for pair in ranges for d in pair] + region.params
    histogram = r.df(
        f"""SELECT period, rho, count(*) AS registers
            FROM (SELECT period, reg, max(rho) AS rho FROM ({" UNION ALL ".join(parts)})
                  GROUP BY period, reg)
            GROUP BY period, rho ORDER BY period""",
        params,
    )
    # One row of register counts per period (counts[i, k]: registers of period i holding k).
    periods, index = np.unique(histogram["period"].to_numpy(), return_inverse=True)
    counts = np.zeros((len(periods), sketch.HASH_BITS_LEFT + 2))
    counts[index, histogram["rho"].to_numpy(dtype=np.int64)] = histogram["registers"].to_numpy()
    return pd.DataFrame(
        {
            "period": periods,
            "users_active": [round(sketch.estimate_from_histogram(row)) for row in counts],
            "cell": [privacy.sketch_cell("users_active", row) for row in counts],
        }
    )


def freshness(r: Reader, f: Filters) -> pd.DataFrame:
    """Per partner that runs a planting project (afforestation or coastal): its latest planting
    and latest survey received (how fresh its data is), and how many such projects it runs.
    A partner that only guards protected areas plants nothing and counts no survival, so none
    is expected from it: it is not listed, as the alerts' data_late never checks it."""
    w = where_projects(f.all_time(), alias="p").isin("kind", ("afforestation", "coastal"))
    return r.df(
        f"""SELECT p.partner, max(pl.latest) AS latest_planting, max(s.latest) AS latest_survey,
                  count(*) AS projects
           FROM stg_projects AS p
           LEFT JOIN (SELECT project_id, max(planted_on) AS latest FROM stg_plantings
                      GROUP BY project_id) AS pl USING (project_id)
           LEFT JOIN (SELECT project_id, max(surveyed_on) AS latest FROM stg_surveys
                      GROUP BY project_id) AS s USING (project_id)
           {w.sql} GROUP BY p.partner ORDER BY p.partner""",
        w.params,
    )


def rejects_by_reason(r: Reader, f: Filters) -> pd.DataFrame:
    """Rows not loaded, counted by table, column and reason, with one example each; `rule` and
    `detail` say the reason in any language (NULL in a snapshot built before them)."""
    rule = "rule, detail" if _has_columns(r, "rejects", "rule", "detail") else (
        "CAST(NULL AS VARCHAR) AS rule, CAST(NULL AS VARCHAR) AS detail"
    )  # fmt: skip
    return r.df(
        f"""SELECT table_name, column_name, reason, {rule}, count(*) AS rows,
                  arg_min(file, line) AS example_file, min(line) AS example_line,
                  arg_min(value, line) AS example_value
           FROM rejects {_STAFF_ONLY} GROUP BY ALL
           ORDER BY rows DESC, table_name, column_name, reason""",
        [f.partner is None],
    )


#: Rejected rows and the list of loaded files are raw input of every partner: read only when the
#: filters carry no partner (the bound parameter is `f.partner is None`).
_STAFF_ONLY = "WHERE ?"


def reject_rows(r: Reader, limit: int = 0) -> pd.DataFrame:
    """Every row not loaded (the first `limit`, if not 0): the load that saw it, table, file,
    line, column, reason, value, and the reason's rule and detail (NULL in a snapshot built
    before them). A file sent again brings its bad rows again, each under its own load."""
    rule = "rule, detail" if _has_columns(r, "rejects", "rule", "detail") else (
        "CAST(NULL AS VARCHAR) AS rule, CAST(NULL AS VARCHAR) AS detail"
    )  # fmt: skip
    return r.df(
        f"SELECT load_number, table_name, file, line, column_name, reason, value, {rule} "
        "FROM rejects ORDER BY load_number, table_name, file, line" + (" LIMIT ?" if limit else ""),
        [limit] if limit else [],
    )


def _has_columns(r: Reader, table: str, *columns: str) -> bool:
    """Whether a table of the snapshot has all these columns (older snapshots lack some)."""
    found = r.rows(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
        "AND column_name IN (SELECT unnest(?::VARCHAR[]))",
        [table, list(columns)],
    )
    return len(found) == len(columns)


def loads(r: Reader, f: Filters) -> pd.DataFrame:
    """Every load: when, which file, rows accepted, already loaded, rejected, refusals."""
    return r.df(
        f"""SELECT load_number, loaded_at, table_name, file, accepted, already_loaded, rejected,
                  refused FROM loads {_STAFF_ONLY} ORDER BY load_number DESC, file""",
        [f.partner is None],
    )


# --- reads that combine queries and stats, for several screens -------------------------------


def planted(r: Reader, f: Filters) -> pd.DataFrame:
    """Plantings the filters select, with survival, age and sequestration to date."""

    def compute() -> pd.DataFrame:
        _, ref_species = reference_frames(r)
        return stats.plantings_carbon(plantings(r, f), surveys(r, f), ref_species, f.as_of)

    return _once(r, ("planted", f), compute)


def progress(r: Reader, f: Filters) -> pd.DataFrame:
    """Every selected project's delivery against target and pace, to as_of."""
    whole = f.all_time()
    return stats.project_progress(
        projects(r, whole), planted(r, whole), adoptions_total(r, whole), f.as_of
    )


def carbon_series(r: Reader, f: Filters, grain: str | None, by: tuple[str, ...]) -> pd.DataFrame:
    """Actions, energy and carbon avoided (band) by time bucket and dimensions."""
    ref_actions, _ = reference_frames(r)
    return stats.carbon_breakdown(actions_breakdown(r, f, grain, by), ref_actions, list(by))


def partners(r: Reader, f: Filters) -> list[str]:
    """Every partner running a project or a protected area."""
    whole = f.all_time()
    return sorted(set(projects(r, whole)["partner"]) | set(protected_areas(r, whole)["partner"]))


# --- alerts -----------------------------------------------------------------------------------


def redeemed_by_day(r: Reader, f: Filters) -> pd.DataFrame:
    """Units adopted per day and project, every kind of project (a conservation project's
    delivery), for the filters."""
    w = where_redemptions(f)
    return r.df(
        f"""SELECT day, project_id, sum(units) AS units FROM mart_redemptions_daily {w.sql}
            GROUP BY ALL ORDER BY ALL""",
        w.params,
    )


def loads_by_table(r: Reader, f: Filters) -> pd.DataFrame:
    """Rows read and rejected per load and table (refused files left out): raw input of every
    partner, so read only when the filters carry no partner."""
    return r.df(
        f"""SELECT load_number, min(loaded_at) AS loaded_at, table_name,
                   sum(rows_read)::BIGINT AS rows_read, sum(rejected)::BIGINT AS rejected
            FROM loads {_STAFF_ONLY} AND refused IS NULL
            GROUP BY load_number, table_name ORDER BY load_number, table_name""",
        [f.partner is None],
    )


def alert_inputs(r: Reader, f: Filters) -> alerts.AlertInputs:
    """What the alert checks read for the filters (not cut by period; up to as_of): the
    filters' regions, projects, species and partner narrow every part."""
    whole = f.all_time()
    to_as_of = replace(whole, date_to=f.as_of)
    _, ref_species = reference_frames(r)
    return alerts.AlertInputs(
        projects=projects(r, whole),
        progress=progress(r, whole),
        plantings=plantings(r, to_as_of),
        redeemed=redeemed_by_day(r, to_as_of),
        adoptions=adoptions(r, to_as_of),
        surveys=surveys(r, whole),
        ref_species=ref_species,
        loads=loads_by_table(r, f),
        as_of=f.as_of,
    )


def alerts_for(
    r: Reader, f: Filters, thresholds: alerts.Thresholds | None = None
) -> list[alerts.Alert]:
    """Every alert for the filters, under these thresholds (the committed defaults if none).
    The alerts do not depend on the period (alert_inputs), so changing it reads them again
    from this reader, not the snapshot."""
    thresholds = thresholds or alerts.load_config()

    def compute() -> list[alerts.Alert]:
        return alerts.check_all(alert_inputs(r, f), thresholds)

    return list(_once(r, ("alerts_for", f.all_time(), thresholds), compute))
