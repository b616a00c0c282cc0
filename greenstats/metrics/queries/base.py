"""What every query shares: the methodology and metadata stored with the snapshot, its first and
last event days, a period cut into the marts' grains, the time buckets a series may use, and a
computation kept once per reader."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import TypeVar

import pandas as pd

from greenstats.data.warehouse import Reader
from greenstats.metrics.filters import Filters

T = TypeVar("T")

_NOT_KEPT = object()


def once(r: Reader, key: tuple, compute: Callable[[], T]) -> T:
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


def snapshot_info(r: Reader) -> dict[str, str]:
    """The snapshot's metadata."""
    return r.info()


def event_days(r: Reader) -> tuple[date | None, date | None]:
    info = r.info()
    if not info.get("first_event_day"):
        return None, None
    return date.fromisoformat(info["first_event_day"]), date.fromisoformat(info["latest_event_day"])


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


#: Time buckets a series may use, as SQL over the day column.
TIME_GRAINS: dict[str, str] = {
    "day": "day",
    "week": "CAST(date_trunc('week', day) AS DATE)",
    "month": "CAST(date_trunc('month', day) AS DATE)",
    "year": "CAST(date_trunc('year', day) AS DATE)",
}
