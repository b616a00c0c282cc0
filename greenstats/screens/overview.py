"""Overview (executives): how big the impact is, whether it grows, whether projects are on
target, and what it means in everyday terms — ten seconds, one screen."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial

import pandas as pd

from greenstats.data.contract import K_ANONYMITY
from greenstats.data.methodology import load_equivalents
from greenstats.data.paths import DEFAULT_REFERENCE
from greenstats.data.warehouse import Reader
from greenstats.metrics import alerts, catalog, stats, units
from greenstats.metrics.filters import Filters
from greenstats.metrics.queries import activity, alerting, base, headline, naming, program
from greenstats.screens import ecosystem
from greenstats.ui import alert_words, charts, fmt, words
from greenstats.ui.blocks import (
    Attention,
    Card,
    Chart,
    Figure,
    Markdown,
    empty_text,
    metric,
    where_words,
)
from greenstats.ui.i18n import t


@dataclass(frozen=True)
class Target:
    share: float  # 0–1, for the progress bar
    text: str


@dataclass(frozen=True)
class Equivalent:
    text: str
    name: str
    factor: str

    @property
    def line(self) -> Markdown:
        """'**11.2 car-years**' over its name and factor in grey (names from the reference
        file escaped)."""
        return Markdown(
            f"**{fmt.escape_md(self.text)}**  \n"
            f":gray[{fmt.escape_md(self.name)} · {fmt.escape_md(self.factor)}]"
        )


@dataclass(frozen=True)
class OverviewData:
    compared: str  # what the changes compare with, in words ('' when nothing to compare)
    cards: list[Card]
    trend: Chart
    targets: list[Target]
    targets_empty: str
    carbon: str  # carbon avoided, as the equivalents' sentence names it
    equivalents: list[Equivalent]
    attention: Attention  # every alert for the filters and the viewer's role


def load(r: Reader, f: Filters, lang: str) -> OverviewData:
    """Everything the Overview shows for these filters."""
    s = headline.page_summary(r, f)
    projects = program.projects(r, f)
    before = f.comparison_period()
    change = stats.deltas(s, headline.page_summary(r, before)) if before else {}
    against = t("delta.short_year" if f.starts_a_year() else "delta.short", lang) if before else ""
    cards = [
        replace(card, against=against, delta=_delta(change.get(card.key), card.key, s, lang))
        if card.key in change
        else card
        for card in overview_cards(
            s,
            ecosystem.carbon_stored(r, f, "trees"),
            lang,
            set(projects["kind"]),
            where_words(f, lang),
        )
    ]
    tonnes = catalog.band(s, "co2e_avoided_kg", "t")
    first, last = base.event_days(r)
    grain = words.trend_grain(f.date_from, f.date_to, first, last)
    trend, insight = carbon_trend(activity.carbon_series(r, f, grain, ()), grain, lang)
    targets = target_progress(program.progress(r, f), projects, lang)
    everyday = equivalents(load_equivalents(DEFAULT_REFERENCE), tonnes[0], lang)
    return OverviewData(
        compared=words.comparison_words(f, before, lang) if before else "",
        cards=cards,
        trend=Chart(
            name="carbon-trend",
            title=t("overview.trend", lang, grain=t(f"grain.{grain}", lang)),
            insight=insight,
            draw=partial(
                charts.carbon_band,
                trend,
                t("metric.co2e_avoided_kg", lang),
                t("chart.range", lang),
                lang,
                height=270,
            )
            if len(trend)
            else None,
            frame=words.readable(
                trend, lang, ["label", "count_actions", "co2e_t", "co2e_t_low", "co2e_t_high"]
            ),
            empty=empty_text("empty.actions", f, lang),
        ),
        targets=[Target(min(float(x.share), 1.0), x.text) for x in targets.itertuples()],
        targets_empty=empty_text("empty.targets", f, lang),
        carbon=fmt.carbon_parts(*tonnes, lang)[0],
        equivalents=[Equivalent(x.text, x.name, x.factor) for x in everyday.head(3).itertuples()]
        if tonnes[0] > 0
        else [],
        attention=needs_attention(r, f, lang),
    )


#: The kinds of names an alert's sentence uses.
ALERT_NAMES = ("projects", "species", "partners")


def alert_names(r: Reader, lang: str) -> dict[str, dict[str, str]]:
    return {kind: naming.display_names(r, kind, lang) for kind in ALERT_NAMES}


def needs_attention(r: Reader, f: Filters, lang: str) -> Attention:
    """Every alert for the filters in force (the committed thresholds): a partner's filters
    narrow them to its own projects and data, and leave out the program's loads."""
    th = alerts.load_config()
    found = alerting.alerts_for(r, f, th)
    empty = t("attention.none", lang, where=where_words(f, lang),
              day=words.day_words(f.as_of, lang),
              days=fmt.quantity(th.backlog_max_age_days, "unit.days", lang))  # fmt: skip
    return alert_words.attention(found, alert_names(r, lang), empty, lang)


def _delta(change: tuple[float, float | None] | None, key: str, s: dict, lang: str) -> str | None:
    """The change of one card against the comparison period, hidden where it would give away a
    count of fewer than k people (a small count now or before). A count of people is compared
    as shown (headline.page_summary rounds both), so its change says nothing the two do not."""
    if change is None or change[1] is None:
        return None
    if catalog.BY_KEY[key].people and (
        fmt.is_suppressed(int(s[key] - change[0])) or fmt.is_suppressed(int(s[key]))
    ):
        return None
    return fmt.percent_change(change[1], lang)


def carbon_trend(series: pd.DataFrame, grain: str, lang: str) -> tuple[pd.DataFrame, str]:
    """Carbon avoided per bucket in tonnes with its band, hover text, and the insight."""
    out = series.sort_values("period").copy()
    for band in stats.BANDS:
        out[f"co2e_t{band}"] = units.convert(out[f"co2e_avoided_kg{band}"], "kg", "t")
    out["label"] = [words.period_label(p, grain, lang) for p in out["period"]]
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
        rows.append({
            "kind": kind, "measure": measure, "delivered": done, "target": target,
            "share": done / target if target else 0.0, "projects": len(same), "on_plan": on_plan,
            "text": t("targets.line", lang, kind=t(f"kind.{kind}", lang),
                      done=_target_amount(done, measure, kind, lang),
                      target=_target_amount(target, measure, kind, lang),
                      on_plan=on_plan, projects=len(same)),
        })  # fmt: skip
    return pd.DataFrame(rows, columns=["kind", "share", "text"]) if not rows else pd.DataFrame(rows)


def _target_amount(value: float, measure: str, kind: str, lang: str) -> str:
    """Delivered or target as the cards write it: trees, or an area (m² of a coastal target in
    units) in ha from 1 ha up."""
    if measure == "area_ha":
        return fmt.area(value, lang)
    if kind != "afforestation":
        return fmt.area(units.convert_area(value, "m2", "ha"), lang)
    return fmt.quantity(value, "unit.trees", lang)


def equivalents(table: pd.DataFrame, tco2e: float, lang: str) -> pd.DataFrame:
    """Everyday equivalents of an amount of carbon, with the factor and source of each."""
    out = stats.equivalents(tco2e, table)
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


#: The Overview's cards, in order: the metric each shows (its name is the card's label).
CARD_METRICS = ("users_active", "actions", "co2e_avoided_kg", "trees_planted",
                "trees_surviving_est", "area_planted_ha", "coastal_area_ha",
                "species_protected")  # fmt: skip
#: Metrics counted over all time (not cut by the period): their card shows no change.
NOT_BY_PERIOD = frozenset({"species_protected"})


def overview_cards(
    s: dict,
    stored: tuple[float, float, float],
    lang: str,
    kinds: set[str] | None = None,
    where: str = "",
) -> list[Card]:
    """The eight headline cards: each a metric of the catalog, its value, a note and help.
    `kinds`: the kinds of project in the filters' regions (None: not known), so that a card
    with nothing recorded says why: no project of its kind there, or none in this period."""
    carbon, band = fmt.carbon_parts(*catalog.band(s, "co2e_avoided_kg", "t"), lang)
    planted = s["trees_planted"]

    def exact(key: str, decimals: int = 0) -> str:
        value = fmt.quantity(s[key], catalog.BY_KEY[key].unit, lang, decimals)
        return t("help.exact", lang, value=value)

    shown = {
        "users_active": (fmt.people(s["users_active"], lang),
                         t("kpi.users_note", lang, margin=words.estimate_margin(lang),
                           k=K_ANONYMITY),
                         t("help.users", lang)),
        "actions": (fmt.compact_quantity(s["actions"], "unit.actions", lang),
                    t("kpi.energy_note", lang, energy=fmt.compact_quantity(
                        s["energy_issued_g"], "unit.g_energy", lang)),
                    exact("actions")),
        "co2e_avoided_kg": (carbon, t("kpi.range", lang, band=band), t("help.co2e", lang)),
        "trees_planted": (fmt.compact_quantity(planted, "unit.trees", lang),
                          t("kpi.stored_note", lang, carbon=fmt.carbon(*stored, lang)),
                          exact("trees_planted") + " " + t("help.sequestration", lang)),
        "trees_surviving_est": (
            fmt.compact_quantity(s["trees_surviving_est"], "unit.trees", lang),
            t("kpi.survival_share", lang, share=fmt.percent(
                s["trees_surviving_est"] / planted if planted else None, lang)),
            t("help.surviving", lang)),
        "area_planted_ha": (fmt.area(s["area_planted_ha"], lang), t("kpi.area_note", lang),
                            exact("area_planted_ha", 3)),
        "coastal_area_ha": (fmt.area(s["coastal_area_ha"], lang), t("kpi.coastal_note", lang),
                            t("help.coastal", lang)),
        "species_protected": (
            fmt.quantity(s["species_protected"], "unit.species", lang),
            t("kpi.threatened", lang, count=fmt.number(s["species_threatened"], lang)),
            t("help.not_cut_by_period", lang)),
    }  # fmt: skip
    noted = {"trees_planted": (Figure(ecosystem.KEYS["trees"]["stored"], stored[0]),)}
    cards = []
    for key in CARD_METRICS:
        value, note, help_ = shown[key]
        card = Card(label=t(catalog.BY_KEY[key].name, lang), value=value, note=note, help=help_,
                    key="" if key in NOT_BY_PERIOD else key,
                    figures=(metric(key, s), *noted.get(key, ())))  # fmt: skip
        cards.append(_no_data(card, s, lang, kinds, where))
    return cards


#: Cards whose 0 means nothing was recorded, not a measured zero: they say so in words.
NOTHING_RECORDED = ("actions", "trees_planted", "trees_surviving_est", "area_planted_ha",
                    "coastal_area_ha", "co2e_avoided_kg")  # fmt: skip


#: The kinds of project that record a card's figure, and the words for "no such project here".
NEEDS_PROJECT = {
    "coastal_area_ha": ({"coastal"}, "kpi.no_coastal_project"),
    "trees_planted": ({"afforestation"}, "kpi.no_tree_project"),
    "trees_surviving_est": ({"afforestation"}, "kpi.no_tree_project"),
    "area_planted_ha": ({"afforestation", "coastal"}, "kpi.no_planting_project"),
}


def _no_data(
    card: Card, s: dict, lang: str, kinds: set[str] | None = None, where: str = ""
) -> Card:
    """A card with nothing recorded says so in words: "No coastal project in Gansu" where the
    regions hold no project of its kind (whatever the period), else "No data in this period"."""
    if (
        card.figures
        and card.figures[0].name == "metric.species_protected"
        and not s["protected_areas"]
    ):
        return replace(card, value=t("kpi.none_value", lang),
                       note=t("kpi.no_protected_area", lang, where=where))  # fmt: skip
    if card.key not in NOTHING_RECORDED or s[card.key]:
        return card
    needs, words_key = NEEDS_PROJECT.get(card.key, (None, ""))
    if kinds is not None and needs is not None and not needs & kinds:
        return replace(card, value=t("kpi.none_value", lang), note=t(words_key, lang, where=where))
    return replace(card, value=t("kpi.none_value", lang), note=t("kpi.none_note", lang))
