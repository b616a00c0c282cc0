"""Words several screens share: days and periods as a reader says them, fixed vocabularies,
readable CSV headers, and the sentence of a share.

Nothing here touches Streamlit or the database; `lang` is always passed in.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from greenstats.data.bootstrap import Progress, demo_years
from greenstats.metrics import sketch
from greenstats.metrics.filters import Filters
from greenstats.ui import fmt
from greenstats.ui.i18n import t


def estimate_margin(lang: str) -> str:
    """How close 95 % of distinct-user estimates come to the exact count, e.g. '1.6%'."""
    return fmt.percent(sketch.MARGIN_95, lang, 1)


def vocab(group: str, code: object, lang: str) -> str:
    """A word of a fixed vocabulary (habitat, IUCN category, taxon group…), or the code itself."""
    try:
        return t(f"{group}.{code}", lang)
    except KeyError:
        return str(code)


def trend_grain(lo: date | None, hi: date | None, first: date | None, last: date | None) -> str:
    """Day, week or month buckets, so a series has between a dozen and a few hundred points."""
    start, end = lo or first, hi or last
    if start is None or end is None:
        return "month"
    days = (end - start).days + 1
    if days <= 62:
        return "day"
    if days <= 400:
        return "week"
    return "month"


def day_words(d: date, lang: str) -> str:
    """A day as a reader writes it: '3 Mar 2025' / '2025年3月3日'."""
    return f"{d.year}年{d.month}月{d.day}日" if lang == "zh" else f"{d.day} {d:%b %Y}"


def period_words(lo: date | None, hi: date | None, lang: str) -> str:
    """A period as a reader says it: '1 Jan – 29 Nov 2026', 'All time'."""
    if lo is None and hi is None:
        return t("period.all_time", lang)
    start = day_words(lo, lang) if lo else "…"
    end = day_words(hi, lang) if hi else "…"
    return start if lo == hi else t("period.range", lang, start=start, end=end)


def comparison_words(f: Filters, before: Filters, lang: str) -> str:
    """What the changes compare with: the same dates last year, the previous day, or the
    previous n days, with the dates."""
    period = period_words(before.date_from, before.date_to, lang)
    if f.starts_a_year():
        return t("delta.year_before", lang, period=period)
    days = (before.date_to - before.date_from).days + 1
    if days == 1:
        return t("delta.previous_day", lang, period=period)
    return t("delta.explained", lang, days=fmt.number(days, lang), period=period)


def readable(frame: pd.DataFrame, lang: str, columns: list[str] | None = None) -> pd.DataFrame:
    """A frame as a reader downloads it: the chosen columns (default: all but hover text), in
    order, under headers in the reader's language (`csv.<column>` in strings.csv)."""
    keep = columns or [c for c in frame.columns if not str(c).startswith("hover")]
    return frame[keep].rename(columns={c: t(f"csv.{c}", lang) for c in keep})


def period_label(value: object, grain: str, lang: str) -> str:
    """A bucket's start as a reader names it: '3 Mar 2025', 'w/c 3 Mar 2025', 'Mar 2025'."""
    d = pd.Timestamp(value).date()
    if grain == "month":
        return f"{d.year}年{d.month}月" if lang == "zh" else d.strftime("%b %Y")
    text = f"{d.year}年{d.month}月{d.day}日" if lang == "zh" else d.strftime("%-d %b %Y")
    return t("grain.week_of", lang, day=text) if grain == "week" else text


def share_insight(frame: pd.DataFrame, key: str, labels: dict, value: str, lang: str) -> str:
    """'Mobility is 62% of carbon avoided in this period.'"""
    totals = frame.groupby(key)[value].sum()
    if totals.sum() <= 0:
        return ""
    top = totals.idxmax()
    return t("insight.top_share", lang, name=labels.get(top, str(top)),
             pct=fmt.percent(totals[top] / totals.sum(), lang))  # fmt: skip


# --- funnel, trees, coastal -------------------------------------------------------------------


# --- methodology & data ---------------------------------------------------------------------------


# --- overview ----------------------------------------------------------------------------------


def build_progress(p: Progress, lang: str) -> str:
    """Where the first start's demo build is, in plain words ('Generating the demo's activity,
    2016–2026: 3.2M of 10M actions'): its stage, never a file or a model's name."""
    if p.stage == "generate":
        first, last = demo_years()
        done, total = fmt.compact(p.done, lang), fmt.compact(p.total, lang)
        return t("app.build_generate", lang, first=first, last=last, done=done, total=total)
    if p.stage == "load":
        done, total = fmt.number(p.done, lang), fmt.number(p.total, lang)
        return t("app.build_load", lang, done=done, total=total)
    if p.stage == "compute":
        if p.month is None:
            return t("app.build_compute_start", lang)
        return t("app.build_compute", lang, month=period_label(f"{p.month}-01", "month", lang))
    return t("app.build_ready", lang)
