"""What a chart or table shows and the one sentence that explains it: pure functions from stats
frames to display frames (names, hover text with units, in the reader's language).

Nothing here touches Streamlit or the database; `lang` is always passed in.
"""

from __future__ import annotations

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


def _carbon_hover(c: float, lo: float, hi: float, lang: str) -> str:
    return fmt.carbon(c / 1000, lo / 1000, hi / 1000, lang)


def by_time_and(
    series: pd.DataFrame, key: str, labels: dict[str, str], grain: str, lang: str
) -> pd.DataFrame:
    """Carbon (t) and energy per bucket and category, with hover text carrying the range."""
    out = series.copy()
    out["co2e_t"] = out["co2e_avoided_kg"] / 1000.0
    out["label"] = [labels.get(k, str(k)) for k in out[key]]
    out["when"] = [period_label(p, grain, lang) for p in out["period"]]
    out["hover_carbon"] = [
        f"{w} · {n}<br>{_carbon_hover(c, lo, hi, lang)}"
        for w, n, c, lo, hi in zip(out["when"], out["label"], out["co2e_avoided_kg"],
                                   out["co2e_avoided_kg_low"], out["co2e_avoided_kg_high"],
                                   strict=True)
    ]  # fmt: skip
    out["hover_energy"] = [
        f"{w} · {n}<br>{fmt.compact_quantity(e, 'unit.g_energy', lang)}"
        for w, n, e in zip(out["when"], out["label"], out["energy_g"], strict=True)
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


def energy_vs_carbon(
    shares: pd.DataFrame, labels: dict[str, str], lang: str
) -> tuple[pd.DataFrame, str]:
    """Each action's share of energy awarded and of carbon avoided, and the biggest gap."""
    out = shares.copy()
    out["label"] = [labels.get(a, a) for a in out["action"]]
    out = out.sort_values("carbon_share", ascending=False)
    out["hover_energy"] = [
        t("hover.share_energy", lang, name=n, pct=fmt.percent(e, lang, 1))
        for n, e in zip(out["label"], out["energy_share"], strict=True)
    ]
    out["hover_carbon"] = [
        t("hover.share_carbon", lang, name=n, pct=fmt.percent(c, lang, 1),
          value=_carbon_hover(v, lo, hi, lang))
        for n, c, v, lo, hi in zip(out["label"], out["carbon_share"], out["co2e_avoided_kg"],
                                   out["co2e_avoided_kg_low"], out["co2e_avoided_kg_high"],
                                   strict=True)
    ]  # fmt: skip
    if out.empty:
        return out, ""
    gap = (out["energy_share"] - out["carbon_share"]).abs()
    row = out.loc[gap.idxmax()]
    return out, t("insight.energy_vs_carbon", lang, name=row["label"],
                  energy=fmt.percent(row["energy_share"], lang),
                  carbon=fmt.percent(row["carbon_share"], lang))  # fmt: skip


def regions_map(by_region: pd.DataFrame, regions: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Carbon avoided per region at the region's capital, with names and hover text."""
    out = by_region.merge(regions[["region", "lat", "lon", "name_en", "short_zh"]], on="region")
    out["name"] = out["short_zh"] if lang == "zh" else out["name_en"]
    out["co2e_t"] = out["co2e_avoided_kg"] / 1000.0
    out["kind"] = "region"
    out["hover"] = [
        f"<b>{n}</b><br>{_carbon_hover(c, lo, hi, lang)}<br>"
        f"{fmt.quantity(a, 'unit.actions', lang)}"
        for n, c, lo, hi, a in zip(out["name"], out["co2e_avoided_kg"], out["co2e_avoided_kg_low"],
                                   out["co2e_avoided_kg_high"], out["count_actions"], strict=True)
    ]  # fmt: skip
    return out.sort_values("co2e_t", ascending=False)


def brands(by_brand: pd.DataFrame, n: int, lang: str) -> tuple[pd.DataFrame, str]:
    """The top-n partner brands by carbon avoided, the rest as 'Other', and their share."""
    from greenstats.charts import top_n

    branded = by_brand[by_brand["brand_id"].notna()]
    other = t("chart.other", lang)
    out = top_n(branded, "brand_id", "co2e_avoided_kg", n, other)
    out["co2e_t"] = out["co2e_avoided_kg"] / 1000.0
    out["hover"] = [
        f"<b>{b}</b><br>{_carbon_hover(c, lo, hi, lang)}<br>{fmt.quantity(a, 'unit.actions', lang)}"
        for b, c, lo, hi, a in zip(out["brand_id"], out["co2e_avoided_kg"],
                                   out["co2e_avoided_kg_low"], out["co2e_avoided_kg_high"],
                                   out["count_actions"], strict=True)
    ]  # fmt: skip
    total = branded["co2e_avoided_kg"].sum()
    if total <= 0:
        return out, ""
    top = out[out["brand_id"] != other]["co2e_avoided_kg"].sum()
    share = fmt.percent(top / total, lang)
    count = fmt.number(len(branded), lang)
    return out, t("insight.brands", lang, n=min(n, len(branded)), pct=share, brands=count)


def cohorts(series: pd.DataFrame, grain: str, lang: str, k: int) -> tuple[pd.DataFrame, str]:
    """New and returning users per bucket, long form; counts under k hidden (shown '< k')."""
    rows = []
    for r in series.itertuples():
        when = period_label(r.period, grain, lang)
        for kind, value in (("new", r.users_new), ("returning", r.users_returning)):
            shown = fmt.people_exact(int(value), lang, k)
            hidden = fmt.is_suppressed(int(value), k)
            rows.append({"period": r.period, "kind": kind, "when": when,
                         "users": float("nan") if hidden else float(value), "users_shown": shown,
                         "hover": f"{when}<br>{t(f'users.{kind}', lang)}: {shown}"})  # fmt: skip
    out = pd.DataFrame(rows)
    if series.empty:
        return out, ""
    last = series.iloc[-1]
    if last["users_active"] <= 0 or fmt.is_suppressed(int(last["users_active"]), k):
        return out, ""
    return out, t("insight.new_users", lang, period=period_label(last["period"], grain, lang),
                  pct=fmt.percent(last["users_new"] / last["users_active"], lang))  # fmt: skip


def users_note(series: pd.DataFrame, lang: str, k: int) -> str:
    """The users chart's note: whether its bars are exact counts, estimates, or exact but for
    the bars the period's ends cut (users_series flags each), and how small counts show."""
    estimated = int((~series["exact"].astype(bool)).sum())
    if estimated == 0:
        return t("actions.users_note_exact", lang, k=k)
    if estimated < len(series):
        return t("actions.users_note_mixed", lang, k=k, n=estimated)
    return t("actions.users_note", lang, k=k)


# --- funnel, trees, coastal -------------------------------------------------------------------

STAGE_UNITS = {
    "energy_issued": "unit.g",
    "energy_redeemed": "unit.g",
    "units_adopted": "unit.units",
    "units_planted": "unit.units",
    "units_surviving": "unit.units",
}


def funnel_cards(funnel: pd.DataFrame, lang: str) -> list[dict[str, str]]:
    """One card per stage: its value with unit and its share of the stage it comes from."""
    values = dict(zip(funnel["stage"], funnel["value"], strict=True))
    previous = {"energy_redeemed": "energy_issued", "units_planted": "units_adopted",
                "units_surviving": "units_planted"}  # fmt: skip
    cards = []
    for stage, value in values.items():
        base = values.get(previous.get(stage, ""), 0)
        share = (
            t("funnel.share_of", lang, pct=fmt.percent(value / base, lang),
              of=t(f"funnel.{previous[stage]}", lang).lower() if lang == "en" else
              t(f"funnel.{previous[stage]}", lang))
            if base else ""
        )  # fmt: skip
        cards.append({"stage": stage, "label": t(f"funnel.{stage}", lang),
                      "value": fmt.compact_quantity(value, STAGE_UNITS[stage], lang),
                      "note": share})  # fmt: skip
    return cards


def backlog_table(
    backlog: pd.DataFrame, species_names: dict, lang: str
) -> tuple[pd.DataFrame, str]:
    """The projects with units adopted but not yet planted, oldest first, and the insight."""
    out = backlog.copy()
    out["species_name"] = [species_names.get(s, s) for s in out["species"]]
    out["age_months"] = (out["backlog_age_days"] / 30.44).round(1)
    waiting = out[out["backlog_units"] > 0].sort_values("backlog_age_days", ascending=False)
    if waiting.empty:
        return out, t("insight.no_backlog", lang)
    old = waiting[waiting["backlog_age_days"] > 365]
    return out, t("insight.backlog", lang,
                  units=fmt.quantity(waiting["backlog_units"].sum(), "unit.units", lang),
                  projects=fmt.number(waiting["project_id"].nunique(), lang),
                  old=fmt.quantity(old["backlog_units"].sum(), "unit.units", lang),
                  oldest=fmt.number(waiting["age_months"].max(), lang, 0))  # fmt: skip


def season(d: object, lang: str) -> str:
    """'Spring 2024' for Mar–May, 'Autumn 2024' for Sep–Nov, else the month."""
    ts = pd.Timestamp(d)
    key = "season.spring" if ts.month in (3, 4, 5) else (
        "season.autumn" if ts.month in (9, 10, 11) else "season.other")  # fmt: skip
    return t(key, lang, year=ts.year)


def planted_by(planted: pd.DataFrame, key: str, labels: dict, unit_key: str, lang: str,
               value: str = "units_planted") -> pd.DataFrame:  # fmt: skip
    """Units planted (and surviving) per category, largest first, with hover text."""
    out = planted.groupby(key, as_index=False)[
        ["units_planted", "units_surviving_est", "area_ha", "sequestration_tco2e",
         "sequestration_tco2e_low", "sequestration_tco2e_high"]
    ].sum().sort_values(value, ascending=False)  # fmt: skip
    out["label"] = [labels.get(k, str(k)) for k in out[key]]
    out["hover"] = [
        f"<b>{n}</b><br>{t('hover.planted', lang, value=fmt.quantity(p, unit_key, lang))}<br>"
        f"{t('hover.surviving', lang, value=fmt.quantity(s, unit_key, lang))}<br>"
        f"{fmt.quantity(a, 'unit.ha', lang, 2)}"
        for n, p, s, a in zip(out["label"], out["units_planted"], out["units_surviving_est"],
                              out["area_ha"], strict=True)
    ]  # fmt: skip
    return out


def _season_name(month: int) -> str:
    return "spring" if month <= 6 else "autumn"


def by_season(planted: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Units planted per season and year (spring and autumn are when NGOs plant)."""
    when = pd.to_datetime(planted["planted_on"])
    frame = planted.assign(year=when.dt.year, season=when.dt.month.map(_season_name))
    out = frame.groupby(["year", "season"], as_index=False)["units_planted"].sum()
    out["hover"] = [
        f"{t(f'season.{s}', lang, year=y)}<br>{fmt.quantity(u, 'unit.units', lang)}"
        for y, s, u in zip(out["year"], out["season"], out["units_planted"], strict=True)
    ]
    out["year"] = out["year"].astype(str)
    return out


def cohort_view(cohorts: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, str]:
    """Survival by cohort and horizon with hover text, and the insight."""
    out = cohorts.copy()
    if out.empty:
        return out, ""
    out["cohort"] = out["cohort_year"].astype(int).astype(str)
    out["horizon"] = [t("cohort.after", lang, years=int(h)) for h in out["horizon_years"]]
    out["hover"] = [
        f"{t('cohort.planted_in', lang, year=c)} · {h}<br>{fmt.percent(s, lang)}"
        for c, h, s in zip(out["cohort"], out["horizon"], out["survival_rate"], strict=True)
    ]
    three = out[out["horizon_years"] == 3]
    pick = three if len(three) else out[out["horizon_years"] == out["horizon_years"].min()]
    best, worst = pick.loc[pick["survival_rate"].idxmax()], pick.loc[pick["survival_rate"].idxmin()]
    if best["cohort"] == worst["cohort"]:
        pct = fmt.percent(best["survival_rate"], lang)
        h = int(best["horizon_years"])
        return out, t("insight.cohort_one", lang, h=h, cohort=best["cohort"], pct=pct)
    return out, t(
        "insight.cohorts", lang, h=int(pick["horizon_years"].iloc[0]),
        best=best["cohort"], best_pct=fmt.percent(best["survival_rate"], lang),
        worst=worst["cohort"], worst_pct=fmt.percent(worst["survival_rate"], lang),
    )  # fmt: skip


def sequestration_years(by_year: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, str]:
    """Sequestration accrued per calendar year (t CO2e, band) with hover and insight."""
    out = by_year.copy()
    out["period"] = pd.to_datetime(out["year"].astype(int).astype(str) + "-07-01")
    out["hover"] = [
        f"{y}<br>{fmt.carbon(c, lo, hi, lang)}"
        for y, c, lo, hi in zip(out["year"], out["sequestration_tco2e"],
                                out["sequestration_tco2e_low"], out["sequestration_tco2e_high"],
                                strict=True)
    ]  # fmt: skip
    if out.empty:
        return out, ""
    total = out["sequestration_tco2e"].sum()
    last = out.iloc[-1]
    return out, t("insight.sequestration", lang,
                  total=fmt.carbon(total, out["sequestration_tco2e_low"].sum(),
                                   out["sequestration_tco2e_high"].sum(), lang),
                  year=int(last["year"]),
                  last=fmt.carbon(last["sequestration_tco2e"], last["sequestration_tco2e_low"],
                                  last["sequestration_tco2e_high"], lang))  # fmt: skip


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


def cohort_wide(cohorts: pd.DataFrame, lang: str) -> pd.DataFrame:
    """One row per cohort, a survival column per horizon (h1, h3, h5) with its hover text."""
    out = pd.DataFrame({"cohort": sorted(cohorts["cohort"].unique())}) if len(cohorts) else (
        pd.DataFrame(columns=["cohort"]))  # fmt: skip
    for h in (1, 3, 5):
        part = cohorts[cohorts["horizon_years"] == h].set_index("cohort")["survival_rate"]
        out[f"h{h}"] = out["cohort"].map(part)
        out[f"hover{h}"] = [
            f"{t('cohort.planted_in', lang, year=c)} · {t('cohort.after', lang, years=h)}<br>"
            + (fmt.percent(v, lang) if pd.notna(v) else t("cohort.no_survey", lang))
            for c, v in zip(out["cohort"], out[f"h{h}"], strict=True)
        ]
    return out


def blue_carbon(by_species: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, str]:
    """Blue carbon sequestered to date per coastal habitat (t CO2e, band), widest range first."""
    out = by_species.sort_values("sequestration_tco2e", ascending=False).copy()
    out["hover_carbon"] = [
        f"<b>{n}</b><br>{fmt.carbon(c, lo, hi, lang)}"
        for n, c, lo, hi in zip(out["label"], out["sequestration_tco2e"],
                                out["sequestration_tco2e_low"], out["sequestration_tco2e_high"],
                                strict=True)
    ]  # fmt: skip
    if out.empty or out["sequestration_tco2e"].sum() <= 0:
        return out, ""
    spread = (out["sequestration_tco2e_high"] / out["sequestration_tco2e_low"].where(
        out["sequestration_tco2e_low"] > 0)).fillna(0)  # fmt: skip
    widest = out.loc[spread.idxmax()]
    low = fmt.carbon_parts(*(widest[f"sequestration_tco2e{b}"] for b in ("_low",) * 3), lang)[0]
    high = fmt.carbon_parts(*(widest[f"sequestration_tco2e{b}"] for b in ("_high",) * 3), lang)[0]
    return out, t("insight.blue_carbon", lang, name=widest["label"], low=low, high=high)


def survival_table(
    survival: pd.DataFrame, planted: pd.DataFrame, species_names: dict, project_names: dict,
    lang: str,
) -> tuple[pd.DataFrame, str]:  # fmt: skip
    """Latest survival per project and species planted, with where the rate comes from."""
    keys = planted[["project_id", "species"]].drop_duplicates()
    rows = keys.merge(survival, on=["project_id", "species"], how="left")
    out = pd.DataFrame({
        t("col.project", lang): [project_names.get(p, p) for p in rows["project_id"]],
        t("col.species", lang): [species_names.get(s, s) for s in rows["species"]],
        t("col.survival", lang): rows["survival_rate"],
        t("col.survival_source", lang): [t(f"survival.{s}", lang) for s in rows["survival_source"]],
    })  # fmt: skip
    out = out.sort_values(t("col.survival", lang))
    if out.empty:
        return out, ""
    surveyed = rows[rows["survival_source"] == "survey"]
    return out, t("insight.survival", lang, surveyed=len(surveyed), total=len(rows),
                  low=fmt.percent(rows["survival_rate"].min(), lang),
                  high=fmt.percent(rows["survival_rate"].max(), lang))  # fmt: skip


# --- methodology & data ---------------------------------------------------------------------------

#: The stats a page shows, whose docstrings are their one-line definitions.
DEFINED_STATS = (
    "carbon_breakdown", "energy_vs_carbon_share", "survival_rates", "plantings_carbon",
    "funnel", "backlog", "cohort_survival", "sequestration_breakdown", "sequestration_by_year",
    "coverage", "protected_species", "threatened_share", "project_progress", "deltas",
    "equivalents",
)  # fmt: skip


def _definition(fn: object) -> str:
    doc = (getattr(fn, "__doc__", "") or "").strip().split("\n\n")[0]
    return " ".join(line.strip() for line in doc.splitlines())


def definitions(lang: str) -> pd.DataFrame:
    """Every metric with its definition: the contract's summary keys, then the page stats."""
    from greenstats import stats
    from greenstats.contract import SUMMARY_KEYS

    rows = [(key, t(f"def.{key}", lang), t("method.source_contract", lang)) for key in SUMMARY_KEYS]
    for name in DEFINED_STATS:
        try:
            text = t(f"def.{name}", lang)
        except KeyError:
            text = _definition(getattr(stats, name))
        rows.append((name, text, f"greenstats/stats.py · {name}"))
    return pd.DataFrame(rows, columns=[t("col.metric", lang), t("col.definition", lang),
                                       t("col.where", lang)])  # fmt: skip


def _band(c: float, lo: float, hi: float, lang: str, decimals: int = 1) -> str:
    return f"{fmt.number(c, lang, decimals)} ({fmt.number(lo, lang, decimals)}–" \
           f"{fmt.number(hi, lang, decimals)})"  # fmt: skip


def action_factors(ref: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The action factors as a reader sees them: energy awarded and carbon avoided apart."""
    name = "name_zh" if lang == "zh" else "name_en"
    return pd.DataFrame({
        t("col.action", lang): ref[name],
        t("col.category", lang): [vocab("category", c, lang) for c in ref["category"]],
        t("col.energy_awarded", lang): ref.get("energy_g"),
        t("col.co2e_per_action", lang): [
            _band(c, lo, hi, lang) for c, lo, hi in
            zip(ref["co2e_g"], ref["co2e_g_low"], ref["co2e_g_high"], strict=True)],
        t("col.basis", lang): ref.get("co2e_basis", ""),
        t("col.source", lang): ref.get("source", ""),
    })  # fmt: skip


def species_factors(ref: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The species factors: sequestration per surviving unit and default survival, with ranges."""
    name = "name_zh" if lang == "zh" else "name_en"

    def survival(row: pd.Series) -> str:
        if "default_survival_low" in row and pd.notna(row["default_survival_low"]):
            return (f"{fmt.percent(float(row['default_survival']), lang)} "
                    f"({fmt.percent(float(row['default_survival_low']), lang)}–"
                    f"{fmt.percent(float(row['default_survival_high']), lang)})")  # fmt: skip
        return fmt.percent(float(row["default_survival"]), lang)

    return pd.DataFrame({
        t("col.species", lang): ref[name],
        t("col.scientific_name", lang): ref.get("scientific_name", ""),
        t("col.unit", lang): [t(f"unit.{u}", lang) for u in ref["unit"]],
        t("col.habitat", lang): [vocab("habitat", h, lang) for h in ref["habitat"]],
        t("col.seq_per_unit", lang): [
            _band(c, lo, hi, lang, 3) for c, lo, hi in
            zip(ref["seq_kg_per_unit_yr"], ref["seq_kg_per_unit_yr_low"],
                ref["seq_kg_per_unit_yr_high"], strict=True)],
        t("col.default_survival", lang): [survival(r) for _, r in ref.iterrows()],
        t("col.source", lang): ref.get("source", ""),
    })  # fmt: skip


def equivalent_factors(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The everyday equivalents with their factor and source."""
    name = "name_zh" if lang == "zh" else "name_en"
    return pd.DataFrame({
        t("col.equivalent", lang): table[name],
        t("col.kg_per_unit", lang): table["kg_co2e_per_unit"],
        t("col.source", lang): table["source"],
    })  # fmt: skip


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


def rejects_table(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Rejected rows counted by table, column and reason, with an example of each (user ids
    never shown: CONTRACT.md §4)."""
    values = [
        _shown_value(tb, c, v, lang)
        for tb, c, v in zip(frame["table_name"], frame["column_name"], frame["example_value"],
                            strict=True)
    ]  # fmt: skip
    return pd.DataFrame({
        t("col.table", lang): frame["table_name"],
        t("col.column", lang): frame["column_name"].fillna("—"),
        t("col.reason", lang): frame["reason"],
        t("col.rows", lang): frame["rows"],
        t("col.example", lang): [f"{f} · {t('col.line', lang)} {n}: {v}" for f, n, v in
                                 zip(frame["example_file"], frame["example_line"], values,
                                     strict=True)],
    })  # fmt: skip


def loads_table(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Every file loaded: rows accepted, already loaded and rejected, or why it was refused."""
    return pd.DataFrame({
        t("col.load", lang): frame["load_number"],
        t("col.file", lang): frame["file"],
        t("col.table", lang): frame["table_name"],
        t("col.accepted", lang): frame["accepted"],
        t("col.already", lang): frame["already_loaded"],
        t("col.rejected", lang): frame["rejected"],
        t("col.refused", lang): frame["refused"].fillna(""),
    })  # fmt: skip


# --- overview ----------------------------------------------------------------------------------


def overview_cards(s: dict, lang: str) -> list[dict]:
    """The eight headline cards: label, summary key (for the change), value, note, help text."""
    tonnes = [s[f"co2e_avoided_kg{b}"] / 1000 for b in ("", "_low", "_high")]
    carbon, band = fmt.carbon_parts(*tonnes, lang)
    planted = s["trees_planted"]

    def exact(value: float, unit: str, decimals: int = 0) -> str:
        return t("help.exact", lang, value=fmt.quantity(value, unit, lang, decimals))

    return [
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
         "note": t("kpi.stored_note", lang, carbon=fmt.carbon(
             s["sequestration_tco2e"], s["sequestration_tco2e_low"], s["sequestration_tco2e_high"],
             lang)),
         "help": exact(planted, "unit.trees") + " " + t("help.sequestration", lang)},
        {"label": "kpi.trees_surviving", "key": "trees_surviving_est",
         "value": fmt.compact_quantity(s["trees_surviving_est"], "unit.trees", lang),
         "note": t("kpi.survival_share", lang, share=fmt.percent(
             s["trees_surviving_est"] / planted if planted else None, lang)),
         "help": t("help.surviving", lang)},
        {"label": "kpi.area", "key": "area_planted_ha",
         "value": fmt.quantity(s["area_planted_ha"], "unit.ha", lang, 1),
         "note": t("kpi.area_note", lang),
         "help": exact(s["area_planted_ha"], "unit.ha", 3)},
        {"label": "kpi.coastal", "key": "coastal_area_ha",
         "value": fmt.quantity(s["coastal_area_ha"], "unit.ha", lang, 2),
         "note": t("kpi.coastal_note", lang), "help": t("help.coastal", lang)},
        {"label": "kpi.species", "key": None,
         "value": fmt.quantity(s["species_protected"], "unit.species", lang),
         "note": t("kpi.threatened", lang, count=fmt.number(s["species_threatened"], lang)),
         "help": t("help.not_cut_by_period", lang)},
    ]  # fmt: skip
