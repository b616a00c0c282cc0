"""Green actions: their count and the energy issued, whole or by time bucket and dimension, and
the carbon they avoided (band) under the methodology stored with the snapshot."""

from __future__ import annotations

import pandas as pd

from greenstats.data.warehouse import Reader
from greenstats.metrics import stats
from greenstats.metrics.filters import Filters, Where, where_actions
from greenstats.metrics.queries.base import (
    TIME_GRAINS,
    event_days,
    period_pieces,
    reference_frames,
)


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


def carbon_series(r: Reader, f: Filters, grain: str | None, by: tuple[str, ...]) -> pd.DataFrame:
    """Actions, energy and carbon avoided (band) by time bucket and dimensions."""
    ref_actions, _ = reference_frames(r)
    return stats.carbon_breakdown(actions_breakdown(r, f, grain, by), ref_actions, list(by))
