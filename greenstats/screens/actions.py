"""Actions (program managers): which actions, regions and partner brands drive green energy and
carbon avoided, and whether new users keep coming."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import partial

import pandas as pd
import plotly.graph_objects as go

from greenstats.data.contract import K_ANONYMITY
from greenstats.data.warehouse import Reader
from greenstats.metrics import catalog, stats, units
from greenstats.metrics.filters import Filters
from greenstats.metrics.queries import activity, base, headline, naming, people
from greenstats.ui import charts, fmt, geo, words
from greenstats.ui.blocks import Card, Chart, empty_text, metric, where_words
from greenstats.ui.i18n import t

#: The bars a reader may pick for the charts over time.
GRAINS = ("day", "week", "month")
#: Brands drawn one by one; the rest are summed as 'Other'.
TOP_BRANDS = 10
BANDS = ("", "_low", "_high")
#: The carbon columns of a CSV, in tonnes with their range.
CARBON_COLUMNS = ["co2e_t", "co2e_t_low", "co2e_t_high"]
#: Between two sentences: Chinese sets none after its full stop.
_SPACE = {"en": " ", "zh": ""}
#: The action shares' CSV.
SHARES_CSV = ["action", "count_actions", "energy_g", *CARBON_COLUMNS, "energy_share_pct",
              "carbon_share_pct"]  # fmt: skip


@dataclass(frozen=True)
class ActionsData:
    grain: str  # the bars the charts over time use
    cards: list[Card]
    carbon: Chart  # carbon avoided by category over time
    energy: Chart  # green energy issued by category over time
    shares: Chart  # each action's share of energy and of carbon
    regions: Chart  # carbon avoided by region, on a map
    brands: Chart  # top partner brands and 'Other'
    users: Chart  # new and returning users
    users_note: str  # how the users are counted and hidden


def default_grain(r: Reader, f: Filters) -> str:
    """The bars the charts over time open with: a dozen to a few hundred of them."""
    first, last = base.event_days(r)
    return words.trend_grain(f.date_from, f.date_to, first, last)


def load(r: Reader, f: Filters, lang: str, grain: str | None = None) -> ActionsData:
    """Everything the Actions page shows for these filters, with bars of `grain` (by default,
    or for an unknown grain, `default_grain`)."""
    auto = default_grain(r, f)
    grain = grain if grain in GRAINS else auto
    no_actions = _no_actions(f, lang)
    over_time = _by_time_and_category(
        activity.carbon_series(r, f, grain, ("category",)), grain, lang
    )
    # New users are counted per month when the other charts are, or would be by default.
    users_grain = "month" if "month" in (grain, auto) else grain
    users = people.users_shown(r, f, users_grain)
    return ActionsData(
        grain=grain,
        cards=_cards(headline.page_summary(r, f), lang),
        carbon=_over_time(over_time, "carbon", grain, lang, no_actions),
        energy=_over_time(over_time, "energy", grain, lang, no_actions),
        shares=_shares_chart(
            stats.energy_vs_carbon_share(
                activity.actions_by_action(r, f), base.reference_frames(r)[0]
            ),
            naming.display_names(r, "actions", lang),
            lang,
            no_actions,
        ),
        regions=_regions_chart(activity.carbon_series(r, f, None, ("region",)), lang, no_actions),
        brands=_brands_chart(
            activity.carbon_series(r, f, None, ("brand_id",)), brand_names(r, lang), f, lang
        ),
        users=_users_chart(users, users_grain, f, lang),
        users_note=_users_note(users, f, lang),
    )


def brand_names(r: Reader, lang: str) -> dict[str, str]:
    """Brand id → the name a reader sees: from the warehouse's brand names once it has them,
    else (an empty map) the id itself."""
    if "brands" in naming.NAME_TABLES:
        return naming.display_names(r, "brands", lang)
    return {}


# --- cards --------------------------------------------------------------------------------------


def _cards(s: dict, lang: str) -> list[Card]:
    """Actions, energy, carbon with its range, brands: each the summary's figure."""
    tonnes = catalog.band(s, "co2e_avoided_kg", "t")
    carbon, band = fmt.carbon_parts(*tonnes, lang)

    def exact(value: float, unit: str) -> str:
        return t("help.exact", lang, value=fmt.quantity(value, unit, lang))

    cards = [
        Card(label=t("metric.actions", lang), key="actions",
             value=fmt.compact_quantity(s["actions"], "unit.actions", lang),
             help=exact(s["actions"], "unit.actions")),
        Card(label=t("metric.energy_issued_g", lang), key="energy_issued_g",
             value=fmt.compact_quantity(s["energy_issued_g"], "unit.g", lang),
             help=exact(s["energy_issued_g"], "unit.g_energy")),
        Card(label=t("metric.co2e_avoided_kg", lang), key="co2e_avoided_kg", value=carbon,
             note=t("kpi.range", lang, band=band) if s["actions"] else "",
             help=t("help.co2e", lang)),
        Card(label=t("metric.brands", lang), key="brands", value=fmt.number(s["brands"], lang),
             help=t("help.brands", lang)),
    ]  # fmt: skip
    return [dataclasses.replace(c, figures=(metric(c.key, s),)) for c in cards]


# --- helpers ------------------------------------------------------------------------------------


def _no_actions(f: Filters, lang: str) -> str:
    """What an empty chart of actions says: none here, or none of the chosen kinds or brands."""
    return empty_text("empty.actions_chosen" if f.actions or f.brands else "empty.actions", f, lang)


def _carbon_hover(kg: float, low: float, high: float, lang: str) -> str:
    return fmt.carbon(*(units.convert(v, "kg", "t") for v in (kg, low, high)), lang)


def _csv(frame: pd.DataFrame, lang: str, columns: list[str]) -> pd.DataFrame:
    """A CSV as a reader downloads it: readers' headers, floats without binary noise."""
    out = frame[columns].copy()
    for col in columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].map(fmt.tidy_float)
    return words.readable(out, lang, columns)


def _energy_unit(grams: float, lang: str) -> tuple[float, str]:
    """Grams per unit of a chart's energy axis, and its title: energy is in grams everywhere
    (the cards' unit); a tall axis counts them in millions (万 in Chinese), as the cards'
    compact figures do."""
    if abs(grams) < 10_000:
        return 1.0, t("unit.g_energy", lang)
    return (1e4 if lang == "zh" else 1e6), t("unit.g_energy_compact", lang)


def _top_share(frame: pd.DataFrame, name: str, value: str, scale: tuple[float, str], key: str,
               lang: str) -> str:  # fmt: skip
    """'Low-carbon travel avoided the most: 1.2 kt CO₂e, 62% …': carbon in the axis's unit,
    energy as the cards write it (49.9M g energy)."""
    totals = frame.groupby(name)[value].sum()
    total = float(totals.sum())
    if total <= 0:
        return ""
    top = totals.idxmax()
    amount = (
        fmt.compact_quantity(float(totals[top]), "unit.g_energy", lang)
        if value == "energy_g"
        else fmt.in_unit(float(totals[top]), *scale, lang)
    )
    return t(key, lang, name=top, value=amount,
             pct=fmt.percent(float(totals[top]) / total, lang))  # fmt: skip


# --- carbon and energy by category over time ----------------------------------------------------


def _by_time_and_category(series: pd.DataFrame, grain: str, lang: str) -> pd.DataFrame:
    """Carbon (t, band) and energy per bar and category, with names and hover text."""
    out = catalog.band_columns(series, "co2e_avoided_kg", "co2e_t", "t")
    out["category_name"] = [words.vocab("category", c, lang) for c in out["category"]]
    out["label"] = [words.period_label(p, grain, lang) for p in out["period"]]
    out["hover_carbon"] = [
        f"{w} · {n}<br>{_carbon_hover(c, lo, hi, lang)}"
        for w, n, c, lo, hi in zip(out["label"], out["category_name"], out["co2e_avoided_kg"],
                                   out["co2e_avoided_kg_low"], out["co2e_avoided_kg_high"],
                                   strict=True)
    ]  # fmt: skip
    out["hover_energy"] = [
        f"{w} · {n}<br>{fmt.quantity(e, 'unit.g_energy', lang)}"
        for w, n, e in zip(out["label"], out["category_name"], out["energy_g"], strict=True)
    ]
    return out


def _categories(frame: pd.DataFrame) -> list[str]:
    """The categories present, in the order (and so the colours) every page uses."""
    present = list(dict.fromkeys(frame["category"]))
    known = [c for c in charts.CATEGORY_COLORS if c in present]
    return known + [c for c in present if c not in known]


def _category_bars(frame: pd.DataFrame, value: str, hover: str, unit: str, grain: str,
                   lang: str) -> go.Figure:  # fmt: skip
    fig = charts.stacked_bars(
        frame, x="period", y=value, color="category",
        labels=dict(zip(frame["category"], frame["category_name"], strict=True)),
        hover=hover, y_title=unit, colors=charts.CATEGORY_COLORS, order=_categories(frame),
    )  # fmt: skip
    return charts.time_ticks(fig, grain, frame["period"], lang)


#: The two stacked charts over time: the column they stack, its hover text, the unit that
#: suits its tallest bar, the insight's words and the CSV's value columns.
_OVER_TIME = {
    "carbon": ("co2e_t", "hover_carbon", fmt.carbon_unit, "insight.top_carbon_share",
               CARBON_COLUMNS),
    "energy": ("energy_g", "hover_energy", _energy_unit, "insight.top_energy_share",
               ["energy_g"]),
}  # fmt: skip


def _over_time(frame: pd.DataFrame, kind: str, grain: str, lang: str, empty: str) -> Chart:
    """Carbon avoided (in the unit its tallest bar needs) or green energy issued (g, in millions
    when tall) per bar, stacked by category."""
    value, hover, unit_of, insight_key, columns = _OVER_TIME[kind]
    tallest = float(frame.groupby("period")[value].sum().max()) if len(frame) else 0.0
    scale = unit_of(tallest, lang)
    drawn = frame.assign(shown=frame[value] / scale[0])
    return Chart(
        name=f"actions-{kind}",
        title=t(f"actions.{kind}_over_time", lang),
        insight=_top_share(frame, "category_name", value, scale, insight_key, lang),
        draw=partial(_category_bars, drawn, "shown", hover, scale[1], grain, lang)
        if len(frame)
        else None,
        frame=_csv(
            frame.assign(category=frame["category_name"]),
            lang,
            ["label", "category", "count_actions", *columns],
        ),
        empty=empty,
    )


# --- each action's share of energy and of carbon ------------------------------------------------


def energy_vs_carbon(shares: pd.DataFrame, names: dict[str, str], lang: str
                     ) -> tuple[pd.DataFrame, str]:  # fmt: skip
    """Each action's share of energy awarded and of carbon avoided, and the biggest gap."""
    out = shares.copy()
    out["label"] = [names.get(a, a) for a in out["action"]]
    out = out.sort_values("carbon_share", ascending=False).reset_index(drop=True)
    out = catalog.band_columns(out, "co2e_avoided_kg", "co2e_t", "t")
    out["energy_share_pct"] = out["energy_share"] * 100
    out["carbon_share_pct"] = out["carbon_share"] * 100
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
    if out.empty or (out["energy_g"].sum() <= 0 and out["co2e_avoided_kg"].sum() <= 0):
        return out, ""
    gap = out["energy_share"] - out["carbon_share"]
    row = out.loc[gap.abs().idxmax()]
    energy, carbon = fmt.percent(row["energy_share"], lang), fmt.percent(row["carbon_share"], lang)
    if energy == carbon:
        return out, t("insight.shares_match", lang)
    key = (
        "insight.energy_vs_carbon" if gap[gap.abs().idxmax()] > 0 else "insight.carbon_over_energy"
    )
    return out, t(key, lang, name=row["label"], energy=energy, carbon=carbon)


def _shares_chart(shares: pd.DataFrame, names: dict[str, str], lang: str, empty: str) -> Chart:
    out, insight = energy_vs_carbon(shares, names, lang)
    draw = (
        partial(
            charts.labelled_bars,
            out, category="label", value_title=t("unit.share", lang), tickformat=".0%",
            series=[
                ("energy_share", t("actions.energy_share", lang), charts.OKABE_ITO[1],
                 "hover_energy"),
                ("carbon_share", t("actions.carbon_share", lang), charts.OKABE_ITO[2],
                 "hover_carbon"),
            ],
        )
        if len(out)
        else None
    )  # fmt: skip
    return Chart(
        name="actions-shares",
        title=t("actions.shares", lang),
        insight=insight,
        draw=draw,
        frame=_csv(out.assign(action=out["label"]), lang, SHARES_CSV),
        empty=empty,
    )


# --- carbon avoided by region -------------------------------------------------------------------


def regions_map(by_region: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Carbon avoided per region at the region's capital, with names and hover text, largest
    first."""
    places = geo.regions()[["region", "lat", "lon", "name_en", "short_zh"]]
    out = by_region.merge(places, on="region")
    out["name"] = out["short_zh"] if lang == "zh" else out["name_en"]
    out = catalog.band_columns(out, "co2e_avoided_kg", "co2e_t", "t")
    out["kind"] = "region"
    out["hover"] = [
        f"<b>{n}</b><br>{_carbon_hover(c, lo, hi, lang)}<br>"
        f"{fmt.quantity(a, 'unit.actions', lang)}"
        for n, c, lo, hi, a in zip(out["name"], out["co2e_avoided_kg"], out["co2e_avoided_kg_low"],
                                   out["co2e_avoided_kg_high"], out["count_actions"], strict=True)
    ]  # fmt: skip
    return out.sort_values("co2e_t", ascending=False).reset_index(drop=True)


def _regions_chart(by_region: pd.DataFrame, lang: str, empty: str) -> Chart:
    regions = regions_map(by_region, lang)
    total = float(regions["co2e_t"].sum())
    insight = t("insight.region_sizes", lang)
    if len(regions) > 1 and total > 0:
        top = regions.iloc[0]
        insight = (
            t("insight.top_region", lang, name=top["name"],
              pct=fmt.percent(float(top["co2e_t"]) / total, lang)) + _SPACE.get(lang, " ") + insight
        )  # fmt: skip
    draw = (
        partial(
            charts.sites_map,
            regions, size="co2e_t", color="kind",
            labels={"region": t("metric.co2e_avoided_kg", lang)},
            colors={"region": charts.OKABE_ITO[2]}, hover="hover", height=380,
        )
        if len(regions)
        else None
    )  # fmt: skip
    return Chart(
        name="actions-regions",
        title=t("actions.by_region", lang),
        insight=insight,
        draw=draw,
        frame=_csv(regions.assign(region=regions["name"]), lang,
                   ["region", "count_actions", "energy_g", *CARBON_COLUMNS]),
        empty=empty,
    )  # fmt: skip


# --- partner brands -----------------------------------------------------------------------------


def brands(by_brand: pd.DataFrame, names: dict[str, str], n: int, lang: str
           ) -> tuple[pd.DataFrame, str]:  # fmt: skip
    """The top-n partner brands by carbon avoided and the rest as 'Other', each with the
    reader's name, in the unit the largest bar needs; and the sentence, in that unit."""
    branded = by_brand[by_brand["brand_id"].notna()]
    other = t("chart.other", lang)
    out = charts.top_n(branded, "brand_id", "co2e_avoided_kg", n, other)
    out["brand"] = [other if b == other and i >= n else names.get(b, b)
                    for i, b in enumerate(out["brand_id"])]  # fmt: skip
    out = catalog.band_columns(out, "co2e_avoided_kg", "co2e_t", "t")
    scale = fmt.carbon_unit(float(out["co2e_t"].abs().max()) if len(out) else 0.0, lang)
    out["co2e_shown"] = out["co2e_t"] / scale[0]
    out["colour"] = [charts.GREY if i >= n else charts.OKABE_ITO[0] for i in range(len(out))]
    out["hover"] = [
        f"<b>{b}</b><br>{_carbon_hover(c, lo, hi, lang)}<br>{fmt.quantity(a, 'unit.actions', lang)}"
        for b, c, lo, hi, a in zip(out["brand"], out["co2e_avoided_kg"],
                                   out["co2e_avoided_kg_low"], out["co2e_avoided_kg_high"],
                                   out["count_actions"], strict=True)
    ]  # fmt: skip
    out.attrs["unit"] = scale[1]
    total = float(branded["co2e_avoided_kg"].sum())
    if total <= 0:
        return out, ""
    top = out.iloc[0]
    value = fmt.in_unit(float(top["co2e_t"]), *scale, lang)
    pct = fmt.percent(float(top["co2e_avoided_kg"]) / total, lang)
    if len(branded) == 1:
        return out, t("insight.one_brand", lang, name=top["brand"], value=value)
    if len(branded) <= n:
        return out, t("insight.top_brand", lang, name=top["brand"], value=value, pct=pct,
                      brands=fmt.number(len(branded), lang))  # fmt: skip
    shown = float(out.iloc[:n]["co2e_avoided_kg"].sum())
    return out, t("insight.brands", lang, n=n, pct=fmt.percent(shown / total, lang),
                  brands=fmt.number(len(branded), lang))  # fmt: skip


def _brands_chart(by_brand: pd.DataFrame, names: dict[str, str], f: Filters, lang: str) -> Chart:
    out, insight = brands(by_brand, names, TOP_BRANDS, lang)
    draw = (
        partial(
            charts.labelled_bars,
            out, category="brand", value_title=out.attrs["unit"],
            series=[("co2e_shown", t("metric.co2e_avoided_kg", lang), list(out["colour"]),
                     "hover")],
        )
        if len(out)
        else None
    )  # fmt: skip
    return Chart(
        name="actions-brands",
        title=t("actions.by_brand", lang),
        insight=insight,
        draw=draw,
        frame=_csv(out, lang, ["brand", "count_actions", "energy_g", *CARBON_COLUMNS]),
        empty=empty_text("empty.branded", f, lang),
    )


# --- new and returning users --------------------------------------------------------------------


def cohorts(series: pd.DataFrame, grain: str, lang: str, k: int = K_ANONYMITY
            ) -> tuple[pd.DataFrame, pd.DataFrame, str]:  # fmt: skip
    """New and returning users per bar, so that no count under k can be read or worked out:
    `series` holds the counts as shown (people.users_shown: 0, under k, or a multiple of k).

    A bar whose new or returning users are fewer than k shows only its active users (when
    those are k or more); a bar of fewer than k active users is not drawn. Returns the bars to
    draw (long form), the table as shown (one row per bar, counts in words) and the sentence,
    from the latest bar whose split is shown.
    """
    drawn, table = [], []
    insight = ""
    for r in series.itertuples():
        when = words.period_label(r.period, grain, lang)
        new, returning, active = int(r.users_new), int(r.users_returning), int(r.users_active)
        split = not (fmt.is_suppressed(new, k) or fmt.is_suppressed(returning, k))
        small = fmt.is_suppressed(active, k)
        shown = {
            "new": fmt.people_exact(new, lang, k),
            "returning": fmt.people_exact(returning, lang, k),
            "active": fmt.people_exact(active, lang, k),
        }
        if not split and not small:  # the part that is k or more would give the other away
            for key, value in (("new", new), ("returning", returning)):
                if not fmt.is_suppressed(value, k):
                    shown[key] = t("privacy.not_shown", lang)
        table.append({
            "label": when, "users_new": shown["new"], "users_returning": shown["returning"],
            "users_active": shown["active"],
        })  # fmt: skip
        if small or active == 0:
            continue
        parts = [("new", new), ("returning", returning)] if split else [("all", active)]
        for kind, value in (p for p in parts if p[1] > 0):
            hover = f"{when}<br>{t(f'users.{kind}', lang)}: {fmt.number(value, lang)}"
            if kind == "all":
                hover += f"<br>{t('users.new', lang)}: {shown['new']}"
                hover += f"<br>{t('users.returning', lang)}: {shown['returning']}"
            drawn.append({"period": r.period, "kind": kind, "users": float(value), "hover": hover})
        if split:
            insight = _new_users_insight(r.period, grain, new, active, lang)
    columns = ["period", "kind", "users", "hover"]
    return (
        pd.DataFrame(drawn, columns=columns),
        pd.DataFrame(table, columns=["label", "users_new", "users_returning", "users_active"]),
        insight,
    )


def _new_users_insight(period: object, grain: str, new: int, active: int, lang: str) -> str:
    """'New users were 12% of active users in the week of 3 Mar 2025.'"""
    when = words.period_label(period, grain, lang)
    if grain == "week":
        when = t("grain.the_week_of", lang, day=words.period_label(period, "day", lang))
    if new == 0:
        return t("insight.no_new_users", lang, period=when, users=fmt.number(active, lang))
    share = new / active  # a growing program's weekly share is a few tenths of a percent:
    decimals = 0 if share >= 0.1 else 1 if share >= 0.001 else 2  # never "0%" when some came
    return t("insight.new_users", lang, period=when, pct=fmt.percent(share, lang, decimals))


def _users_bars(drawn: pd.DataFrame, grain: str, lang: str) -> go.Figure:
    figure = charts.stacked_bars(
        drawn, x="period", y="users", color="kind", hover="hover",
        labels={"new": t("users.new", lang), "returning": t("users.returning", lang),
                "all": t("users.all", lang)},
        y_title=t("unit.users", lang), order=("new", "returning", "all"),
        colors={"new": charts.OKABE_ITO[1], "returning": charts.OKABE_ITO[0],
                "all": charts.GREY},
    )  # fmt: skip
    return charts.time_ticks(figure, grain, drawn["period"], lang)


def _users_chart(series: pd.DataFrame, grain: str, f: Filters, lang: str) -> Chart:
    drawn, table, insight = cohorts(series, grain, lang)
    anyone = bool(len(series)) and bool((series["users_active"] > 0).any())
    return Chart(
        name="actions-users",
        title=t("actions.cohorts", lang),
        insight=insight,
        draw=partial(_users_bars, drawn, grain, lang) if len(drawn) else None,
        frame=words.readable(table, lang),
        empty=t("empty.users_hidden", lang, k=K_ANONYMITY, where=where_words(f, lang))
        if anyone
        else empty_text("empty.users", f, lang),
    )


def _users_note(series: pd.DataFrame, f: Filters, lang: str, k: int = K_ANONYMITY) -> str:
    """Whether the users' bars are exact counts, estimates, or exact but for the bars the
    period's ends cut (users_series flags each); how small counts show; that users are
    counted across all actions and brands; and that counts of people are rounded."""
    estimated = int((~series["exact"].astype(bool)).sum())
    margin = words.estimate_margin(lang)
    if estimated == 0:
        notes = [t("actions.users_note_exact", lang, k=k)]
    elif estimated == 1 and len(series) > 1:
        notes = [t("actions.users_note_mixed_one", lang, k=k, margin=margin)]
    elif estimated < len(series):
        notes = [t("actions.users_note_mixed", lang, k=k, n=estimated, margin=margin)]
    else:
        notes = [t("actions.users_note", lang, k=k, margin=margin)]
    merged = [
        not fmt.is_suppressed(int(a), k)
        and (fmt.is_suppressed(int(n), k) or fmt.is_suppressed(int(r), k))
        for n, r, a in zip(series["users_new"], series["users_returning"],
                           series["users_active"], strict=True)
    ]  # fmt: skip
    if any(merged):
        notes.append(t("actions.users_note_merged", lang, k=k))
    if f.actions or f.brands:
        notes.append(t("actions.users_all_actions", lang))
    notes.append(t("privacy.rounded", lang, k=k))
    return _SPACE.get(lang, " ").join(notes)
