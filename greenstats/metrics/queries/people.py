"""Distinct users: counted exactly from the lake or the exact marts, or estimated from the
HyperLogLog sketches, for a period or per day, week or month (active, new and returning), and as
pages show them (`privacy`)."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd

from greenstats.data.paths import is_uri
from greenstats.data.warehouse import Reader, WarehouseError
from greenstats.metrics import privacy, sketch
from greenstats.metrics.filters import Filters, Where, where_actions
from greenstats.metrics.queries.base import TIME_GRAINS, event_days, period_pieces


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
