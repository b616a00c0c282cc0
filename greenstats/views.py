"""What a chart or table shows and the one sentence that explains it: pure functions from stats
frames to display frames (names, hover text with units, in the reader's language).

Nothing here touches Streamlit or the database; `lang` is always passed in.
"""

from __future__ import annotations

import json
from datetime import date

import pandas as pd

from greenstats import fmt
from greenstats.filters import Filters
from greenstats.i18n import t


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


def carbon_trend(series: pd.DataFrame, grain: str, lang: str) -> tuple[pd.DataFrame, str]:
    """Carbon avoided per bucket in tonnes with its band, hover text, and the insight."""
    out = series.sort_values("period").copy()
    for band in ("", "_low", "_high"):
        out[f"co2e_t{band}"] = out[f"co2e_avoided_kg{band}"] / 1000.0
    out["label"] = [period_label(p, grain, lang) for p in out["period"]]
    out["hover"] = [
        f"{label}<br>{fmt.carbon(c, lo, hi, lang)}<br>{fmt.quantity(n, 'unit.actions', lang)}"
        for label, c, lo, hi, n in zip(out["label"], out["co2e_t"], out["co2e_t_low"],
                                       out["co2e_t_high"], out["count_actions"], strict=True)
    ]  # fmt: skip
    if out.empty:
        return out, ""
    peak = out.loc[out["co2e_t"].idxmax()]
    half = len(out) // 2
    value = fmt.carbon(peak["co2e_t"], peak["co2e_t_low"], peak["co2e_t_high"], lang)
    sentence = t("insight.trend_peak", lang, period=peak["label"], value=value)
    if half >= 2:
        first, second = out["co2e_t"].iloc[:half].sum(), out["co2e_t"].iloc[half:].sum()
        if first > 0:
            change = (second - first) / first
            key = "insight.trend_up" if change >= 0 else "insight.trend_down"
            sentence += " " + t(key, lang, pct=fmt.percent(abs(change), lang))
    return out, sentence


def target_progress(progress: pd.DataFrame, projects: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Per project kind: delivered against the sum of targets, and how many are on plan."""
    rows: list[dict] = []
    if progress.empty:
        return pd.DataFrame(rows, columns=["kind", "share", "text"])
    merged = progress.merge(projects[["project_id", "kind"]], on="project_id")
    for kind, group in merged.groupby("kind", sort=False):
        has_target = group[group["target"].notna()]
        if has_target.empty:
            continue
        measure = has_target["measure"].mode().iloc[0]
        same = has_target[has_target["measure"] == measure]
        target, done = (
            float(same["target"].sum()),
            float(same["delivered"].clip(upper=same["target"]).sum()),
        )
        on_plan = int(same["status"].isin(["on plan", "target met"]).sum())
        unit = (
            "unit.ha"
            if measure == "area_ha"
            else ("unit.m2" if kind != "afforestation" else "unit.trees")
        )
        rows.append({
            "kind": kind, "measure": measure, "delivered": done, "target": target,
            "share": done / target if target else 0.0, "projects": len(same), "on_plan": on_plan,
            "text": t("targets.line", lang, kind=t(f"kind.{kind}", lang),
                      done=fmt.quantity(done, unit, lang, 1 if measure == "area_ha" else 0),
                      target=fmt.quantity(target, unit, lang, 1 if measure == "area_ha" else 0),
                      on_plan=on_plan, projects=len(same)),
        })  # fmt: skip
    return pd.DataFrame(rows, columns=["kind", "share", "text"]) if not rows else pd.DataFrame(rows)


def equivalents(table: pd.DataFrame, tco2e: float, lang: str) -> pd.DataFrame:
    """Everyday equivalents of an amount of carbon, with the factor and source of each."""
    out = table.copy()
    out["count"] = tco2e * 1000.0 / out["kg_co2e_per_unit"]
    name = "name_zh" if lang == "zh" else "name_en"
    unit = "unit_zh" if lang == "zh" else "unit_en"
    out["text"] = [
        t("equivalents.line", lang, count=fmt.compact(c, lang), unit=u)
        for c, u in zip(out["count"], out[unit], strict=True)
    ]
    out["name"] = out[name]
    out["factor"] = [
        t("equivalents.factor", lang, kg=fmt.number(k, lang, 1 if k < 100 else 0))
        for k in out["kg_co2e_per_unit"]
    ]
    return out


def share_insight(frame: pd.DataFrame, key: str, labels: dict, value: str, lang: str) -> str:
    """'Mobility is 62% of carbon avoided in this period.'"""
    totals = frame.groupby(key)[value].sum()
    if totals.sum() <= 0:
        return ""
    top = totals.idxmax()
    return t("insight.top_share", lang, name=labels.get(top, str(top)),
             pct=fmt.percent(totals[top] / totals.sum(), lang))  # fmt: skip


# --- funnel, trees, coastal -------------------------------------------------------------------


def sites(planted: pd.DataFrame, projects: pd.DataFrame, labels: dict, lang: str,
          unit_key: str) -> pd.DataFrame:  # fmt: skip
    """Planting sites per project (mean position of its batches), sized by units planted."""
    if planted.empty:
        return pd.DataFrame(columns=["lat", "lon", "units_planted", "habitat", "hover"])
    grouped = planted.groupby(["project_id", "habitat"], as_index=False).agg(
        lat=("lat", "mean"), lon=("lon", "mean"), units_planted=("units_planted", "sum"),
        units_surviving_est=("units_surviving_est", "sum"), area_ha=("area_ha", "sum"),
        species=("species", lambda s: ", ".join(sorted({labels.get(x, x) for x in s}))),
    )  # fmt: skip
    out = grouped.merge(projects[["project_id", "name", "partner"]], on="project_id")
    out["hover"] = [
        f"<b>{n}</b><br>{p}<br>{s}<br>"
        f"{t('hover.planted', lang, value=fmt.quantity(u, unit_key, lang))}<br>"
        f"{fmt.quantity(a, 'unit.ha', lang, 2)}"
        for n, p, s, u, a in zip(out["name"], out["partner"], out["species"], out["units_planted"],
                                 out["area_ha"], strict=True)
    ]  # fmt: skip
    return out


# --- methodology & data ---------------------------------------------------------------------------


def freshness(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Latest planting and survey received per partner, as days a reader reads ('none
    received' for a partner that sent none, e.g. one that only guards protected areas)."""

    def day(value: object) -> str:
        if pd.isna(value):
            return t("method.none_received", lang)
        return period_label(value, "day", lang)

    return pd.DataFrame({
        t("col.partner", lang): frame["partner"],
        t("col.projects", lang): frame["projects"],
        t("col.latest_planting", lang): [day(v) for v in frame["latest_planting"]],
        t("col.latest_survey", lang): [day(v) for v in frame["latest_survey"]],
    })  # fmt: skip


#: Tables whose rows carry a user id: a raw line of theirs is never shown on a page.
TABLES_WITH_USERS = frozenset({"actions", "redemptions"})


def _shown_value(table: str, column: object, value: object, lang: str) -> str:
    """A rejected value as a page may show it: never one that is or may hold a user id."""
    if table in TABLES_WITH_USERS and (not isinstance(column, str) or column == "user_id"):
        return t("method.value_hidden", lang)
    return "" if value is None or pd.isna(value) else str(value)


def reject_reason(rule: object, detail: object, reason: str, lang: str) -> str:
    """Why a row was rejected, in `lang`: the text of its rule (`reject.<rule>`) with its
    parameters; the stored English `reason` when the reject has no rule (a snapshot built
    before rules were stored) or the rule has no text."""
    if not isinstance(rule, str) or not rule:
        return reason
    try:
        values = json.loads(detail) if isinstance(detail, str) and detail else {}
        return t(f"reject.{rule}", lang, **values)
    except (KeyError, ValueError, TypeError, IndexError):
        return reason


def rejects_table(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Rejected rows counted by table, column and reason (in `lang`), with an example of each
    (user ids never shown: docs/CONTRACT.md, Privacy)."""
    rules = frame["rule"] if "rule" in frame else [None] * len(frame)
    details = frame["detail"] if "detail" in frame else [None] * len(frame)
    reasons = [
        reject_reason(rule, detail, reason, lang)
        for rule, detail, reason in zip(rules, details, frame["reason"], strict=True)
    ]
    values = [
        _shown_value(tb, c, v, lang)
        for tb, c, v in zip(frame["table_name"], frame["column_name"], frame["example_value"],
                            strict=True)
    ]  # fmt: skip
    return pd.DataFrame({
        t("col.table", lang): frame["table_name"],
        t("col.column", lang): frame["column_name"].fillna("—"),
        t("col.reason", lang): reasons,
        t("col.rows", lang): frame["rows"],
        t("col.example", lang): [f"{f} · {t('col.line', lang)} {n}: {v}" for f, n, v in
                                 zip(frame["example_file"], frame["example_line"], values,
                                     strict=True)],
    })  # fmt: skip


# --- overview ----------------------------------------------------------------------------------


def overview_cards(s: dict, stored: tuple[float, float, float], lang: str) -> list[dict]:
    """The eight headline cards: label, summary key (for the change), value, note, help text."""
    tonnes = [s[f"co2e_avoided_kg{b}"] / 1000 for b in ("", "_low", "_high")]
    carbon, band = fmt.carbon_parts(*tonnes, lang)
    planted = s["trees_planted"]

    def exact(value: float, unit: str, decimals: int = 0) -> str:
        return t("help.exact", lang, value=fmt.quantity(value, unit, lang, decimals))

    cards = [
        {"label": "kpi.users", "key": "users_active", "note": t("kpi.users_note", lang),
         "help": t("help.users", lang),
         "value": fmt.people(s["users_active"], lang)},
        {"label": "kpi.actions", "key": "actions",
         "value": fmt.compact_quantity(s["actions"], "unit.actions", lang),
         "note": t("kpi.energy_note", lang,
                   energy=fmt.compact_quantity(s["energy_issued_g"], "unit.g_energy", lang)),
         "help": exact(s["actions"], "unit.actions")},
        {"label": "kpi.co2e", "key": "co2e_avoided_kg", "value": carbon,
         "note": t("kpi.range", lang, band=band), "help": t("help.co2e", lang)},
        {"label": "kpi.trees", "key": "trees_planted",
         "value": fmt.compact_quantity(planted, "unit.trees", lang),
         "note": t("kpi.stored_note", lang, carbon=fmt.carbon(*stored, lang)),
         "help": exact(planted, "unit.trees") + " " + t("help.sequestration", lang)},
        {"label": "kpi.trees_surviving", "key": "trees_surviving_est",
         "value": fmt.compact_quantity(s["trees_surviving_est"], "unit.trees", lang),
         "note": t("kpi.survival_share", lang, share=fmt.percent(
             s["trees_surviving_est"] / planted if planted else None, lang)),
         "help": t("help.surviving", lang)},
        {"label": "kpi.area", "key": "area_planted_ha",
         "value": fmt.area(s["area_planted_ha"], lang),
         "note": t("kpi.area_note", lang),
         "help": exact(s["area_planted_ha"], "unit.ha", 3)},
        {"label": "kpi.coastal", "key": "coastal_area_ha",
         "value": fmt.area(s["coastal_area_ha"], lang),
         "note": t("kpi.coastal_note", lang), "help": t("help.coastal", lang)},
        {"label": "kpi.species", "key": None,
         "value": fmt.quantity(s["species_protected"], "unit.species", lang),
         "note": t("kpi.threatened", lang, count=fmt.number(s["species_threatened"], lang)),
         "help": t("help.not_cut_by_period", lang)},
    ]  # fmt: skip
    return [_no_data(card, s, lang) for card in cards]


#: Cards whose 0 means nothing was recorded, not a measured zero: they say so in words.
NOTHING_RECORDED = ("actions", "trees_planted", "trees_surviving_est", "area_planted_ha",
                    "coastal_area_ha", "co2e_avoided_kg")  # fmt: skip


def _no_data(card: dict, s: dict, lang: str) -> dict:
    if card["key"] in NOTHING_RECORDED and not s[card["key"]]:
        return card | {"value": t("kpi.none_value", lang), "note": t("kpi.none_note", lang)}
    return card
