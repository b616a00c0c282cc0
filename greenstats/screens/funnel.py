"""Funnel (program managers): where energy goes after it is issued — redeemed, adopted, planted,
surviving — and where adoptions wait to be planted, by project and species."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from functools import partial

import pandas as pd

from greenstats.data.warehouse import Reader
from greenstats.metrics import stats
from greenstats.metrics.filters import Filters
from greenstats.metrics.queries import activity, naming, program
from greenstats.ui import charts, fmt, words
from greenstats.ui.blocks import Card, Chart, Figure, Table, where_words
from greenstats.ui.i18n import t

#: The unit each stage is counted in.
STAGE_UNITS = {
    "energy_issued": "unit.g",  # the card says it is energy
    "energy_redeemed": "unit.g",
    "units_adopted": "unit.units",
    "units_planted": "unit.units",
    "units_surviving": "unit.units",
}
#: The name of each stage: the metrics table's where it holds the figure (tests/test_one_figure.py).
NAMES = {
    "energy_issued": "metric.energy_issued_g",
    "energy_redeemed": "metric.energy_redeemed_g",
    "units_adopted": "funnel.units_adopted",  # for planting: not metric.units_adopted
    "units_planted": "funnel.units_planted",
    "units_surviving": "funnel.units_surviving",
}
#: The stage each one is a share of.
PREVIOUS = {
    "energy_redeemed": "energy_issued",
    "units_planted": "units_adopted",
    "units_surviving": "units_planted",
}
#: Bars in the backlog chart (the table lists every project and species).
TOP = 15
#: How wide a project's name may be on the chart's axis, in Latin-letter widths (a Chinese
#: character counts two): a phone keeps most of its width for the bars.
LABEL_WIDTH = 26
DAYS_PER_MONTH = 30.44


@dataclass(frozen=True)
class FunnelData:
    cards: list[Card]
    empty: str  # said above the cards when every stage is zero; '' otherwise
    note: str  # the conservation shares, counted apart
    backlog: Chart
    backlog_as_of: str  # the backlog is to a day, whatever the period
    table: Table


def load(r: Reader, f: Filters, lang: str) -> FunnelData:
    """Everything the Funnel shows for these filters."""
    stages = _stages(r, f)
    values = dict(zip(stages["stage"], stages["value"].astype(float), strict=True))
    m2 = _protection_m2(r, f)
    where = _where(r, f, lang)
    backlog = _backlog(r, f, lang)
    waiting = backlog[backlog["backlog_units"] > 0]
    empty_backlog = (
        t("empty.no_backlog", lang, where=where)
        if len(backlog)
        else t("empty.backlog_none", lang, where=where)
    )
    return FunnelData(
        cards=cards(values, lang),
        empty="" if any(values.values()) else t("empty.funnel", lang, where=where),
        note=t("funnel.note", lang, m2=fmt.quantity(m2, "unit.m2", lang))
        if m2 > 0
        else t("funnel.note_none", lang),
        backlog=Chart(
            name="backlog",
            title=t("funnel.backlog", lang),
            insight=_insight(waiting, lang),
            draw=partial(_chart, waiting, lang) if len(waiting) else None,
            frame=_chart_frame(waiting, lang),
            empty=empty_backlog,
        ),
        backlog_as_of=t("funnel.backlog_as_of", lang, day=words.day_words(f.as_of, lang)),
        table=_table(backlog, lang, t("empty.backlog_table", lang, where=where)),
    )


def cards(values: dict[str, float], lang: str) -> list[Card]:
    """One card per stage: its value with its unit, and its share of the stage before."""
    out = []
    for stage, value in values.items():
        base = values.get(PREVIOUS.get(stage, ""), 0.0)
        if not value:
            note = t("funnel.none_in_period", lang)
        elif base:
            before = t(NAMES[PREVIOUS[stage]], lang)
            note = t("funnel.share_of", lang, pct=fmt.percent(value / base, lang),
                     of=before.lower() if lang == "en" else before)  # fmt: skip
        else:
            note = ""
        out.append(
            Card(
                label=t(NAMES[stage], lang),
                value=amount(value, STAGE_UNITS[stage], lang),
                note=note,
                help=("" if lang == "zh" else " ").join(
                    [
                        t(f"funnel.help_{stage}", lang),
                        t("help.exact", lang, value=fmt.quantity(value, STAGE_UNITS[stage], lang)),
                    ]
                ),
                figures=(Figure(NAMES[stage], value),),
            )
        )
    return out


def amount(value: float, unit_key: str, lang: str) -> str:
    """A headline amount: compact when large (13.4M g energy, 1,340万克能量), exact and in the
    singular when it is one ('1 unit')."""
    if abs(value) < 10_000 and float(value).is_integer():
        return fmt.quantity(value, unit_key, lang)
    return fmt.compact_quantity(value, unit_key, lang)


def _where(r: Reader, f: Filters, lang: str) -> str:
    """'in Beijing for Alxa saxaul belt, Saxaul': the regions, projects and species chosen."""
    names = [naming.display_names(r, "projects", lang).get(p, p) for p in f.projects]
    names += [naming.display_names(r, "species", lang).get(s, s) for s in f.species]
    items = ("、" if lang == "zh" else ", ").join(names)
    return where_words(f, lang) + (t("empty.for_items", lang, items=items) if names else "")


def _partner_names(r: Reader, lang: str) -> dict[str, str]:
    """Partners' names in the reader's language, where the warehouse has them."""
    try:
        return naming.display_names(r, "partners", lang)
    except KeyError:  # no partner names table (yet): partners show as they are
        return {}


def _backlog(r: Reader, f: Filters, lang: str) -> pd.DataFrame:
    """Per planting project and species, to as_of: names, adopted, planted, waiting, and the
    oldest wait in months (none when nothing waits)."""
    out = _backlog_rows(r, f).copy()
    projects = naming.display_names(r, "projects", lang)
    species = naming.display_names(r, "species", lang)
    partners = _partner_names(r, lang)
    out["project_name"] = [projects.get(p, n) for p, n in zip(out["project_id"], out["name"],
                                                               strict=True)]  # fmt: skip
    out["species_name"] = [species.get(s, s) for s in out["species"]]
    out["partner_name"] = [partners.get(p, p) for p in out["partner"]]
    months = (out["backlog_age_days"] / DAYS_PER_MONTH).round(1)
    out["age_months"] = months.where(out["backlog_units"] > 0)
    return out.sort_values(
        ["backlog_units", "backlog_age_days", "project_name"], ascending=[False, False, True]
    ).reset_index(drop=True)


def wait_words(days: float, lang: str) -> str:
    """A wait as a reader says it: '16 months', '1 month', '12 days'."""
    if days < DAYS_PER_MONTH:
        return fmt.quantity(int(days), "unit.days", lang)
    return fmt.quantity(int(days // DAYS_PER_MONTH), "unit.months", lang)


def _insight(waiting: pd.DataFrame, lang: str) -> str:
    """'37 units adopted at 15 projects are waiting to be planted; the oldest has waited
    16 months. 18 of them have waited over a year.'"""
    if waiting.empty:
        return ""
    total = float(waiting["backlog_units"].sum())
    sentence = t(
        "funnel.backlog_insight_one" if total == 1 else "funnel.backlog_insight", lang,
        units=fmt.quantity(total, "unit.units", lang),
        projects=fmt.quantity(waiting["project_id"].nunique(), "unit.projects", lang),
        oldest=wait_words(waiting["backlog_age_days"].max(), lang),
    )  # fmt: skip
    old = float(waiting.loc[waiting["backlog_age_days"] > 365, "backlog_units"].sum())
    if old == 0 or total == 1:  # nothing that old, or the one unit's wait is said already
        return sentence
    if old == total:
        more = t("funnel.backlog_all_old", lang)
    else:
        key = "funnel.backlog_old_one" if old == 1 else "funnel.backlog_old"
        more = t(key, lang, old=fmt.quantity(old, "unit.units", lang) if lang == "zh" else
                 fmt.number(old, lang))  # fmt: skip
    return sentence + ("" if lang == "zh" else " ") + more


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def shorten(name: str, width: int = LABEL_WIDTH) -> str:
    """A name cut in the middle to fit `width`, at word breaks where it has spaces, so the end
    that tells two projects apart stays: 'Alxa Left…windbreak II'."""
    if _width(name) <= width:
        return name
    budget = width - 1  # the ellipsis
    words = name.split()
    if len(words) > 1:
        tail: list[str] = []
        while len(tail) < len(words) - 1:
            longer = [words[-len(tail) - 1], *tail]
            if _width(" ".join(longer)) > budget * 3 // 5:
                break
            tail = longer
        head: list[str] = []
        for word in words[: len(words) - len(tail)]:
            if _width(" ".join([*head, word])) + _width(" ".join(tail)) > budget:
                break
            head.append(word)
        if head:
            return " ".join(head) + "…" + " ".join(tail)
    cut = ""
    for c in name:  # no spaces (Chinese) or a first word too long: cut at the end
        if _width(cut + c) > budget:
            break
        cut += c
    return cut.rstrip() + "…"


def _chart_rows(waiting: pd.DataFrame) -> pd.DataFrame:
    return waiting.head(TOP)


def _chart(waiting: pd.DataFrame, lang: str):
    """The projects and species with the most units waiting: bars labelled with a short
    project name over its species, the full names and figures in the hover."""
    top = _chart_rows(waiting).copy()
    labels = [
        f"{shorten(p)}<br>{shorten(s)}"
        for p, s in zip(top["project_name"], top["species_name"], strict=True)
    ]
    seen: dict[str, int] = {}
    for i, label in enumerate(labels):  # two bars never share an axis label
        seen[label] = seen.get(label, -1) + 1
        labels[i] = label + "\u200b" * seen[label]
    top["label"] = labels
    top["hover"] = [
        f"<b>{p}</b><br>{s}<br>"
        f"{t('funnel.waiting', lang, units=fmt.quantity(u, 'unit.units', lang))}<br>"
        f"{t('funnel.oldest_wait', lang, wait=wait_words(d, lang))}"
        for p, s, u, d in zip(top["project_name"], top["species_name"], top["backlog_units"],
                              top["backlog_age_days"], strict=True)
    ]  # fmt: skip
    fig = charts.bars(
        top, category="label", value="backlog_units", hover="hover",
        value_title=t("unit.units", lang), color=charts.OKABE_ITO[3],
    )  # fmt: skip
    fig.update_layout(height=max(220, 40 * len(top) + 70))
    fig.update_yaxes(tickfont={"size": 11})
    return fig


def _chart_frame(waiting: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The chart's CSV: the bars it draws, with full names."""
    top = _chart_rows(waiting)
    return pd.DataFrame({
        t("col.project", lang): top["project_name"],
        t("col.species", lang): top["species_name"],
        t("col.waiting", lang): top["backlog_units"],
        t("col.oldest_wait", lang): top["age_months"],
    })  # fmt: skip


def _table(backlog: pd.DataFrame, lang: str, empty: str) -> Table:
    """Every planting project and species: adopted, planted, waiting, and the oldest wait in
    words ('16 months'; in the CSV as a number of months)."""
    project, waiting, oldest = (t(k, lang) for k in ("col.project", "col.waiting",
                                                     "col.oldest"))  # fmt: skip
    frame = pd.DataFrame({
        project: backlog["project_name"],
        t("col.partner", lang): backlog["partner_name"],
        t("col.species", lang): backlog["species_name"],
        t("col.adopted", lang): backlog["units_adopted"],
        t("col.planted", lang): backlog["units_planted"],
        waiting: backlog["backlog_units"],
        oldest: [wait_words(d, lang) if u > 0 else "" for d, u in
                 zip(backlog["backlog_age_days"], backlog["backlog_units"], strict=True)],
    })  # fmt: skip
    csv = frame.drop(columns=oldest).assign(**{t("col.oldest_wait", lang): backlog["age_months"]})
    kinds = dict.fromkeys(frame.columns[:3], "text") | dict.fromkeys(frame.columns[3:6], "int")
    return Table(
        name="funnel-projects",
        title=t("funnel.per_project", lang),
        intro="",
        frame=frame,
        csv=csv,
        empty=empty,
        kinds=kinds | {oldest: "text"},
        phone=(project, waiting, oldest),
    )


# --- the data: stages, protection, backlog ---------------------------------------------------


def _stages(r: Reader, f: Filters) -> pd.DataFrame:
    """Energy issued → redeemed → units adopted → planted → surviving, for planting projects.

    Conservation shares (protected land) are adopted but never planted, so they are left out
    of the planting stages; `_protection_m2` reports them beside the funnel.
    """
    issued = float(activity.actions_by_action(r, f)["energy_g"].sum())
    adopted = program.adoptions_total(r, f)
    projects = program.projects(r, f.all_time())[["project_id", "kind"]]
    adopted = adopted.merge(projects, on="project_id")
    planting_only = adopted[adopted["kind"] != "conservation"]
    planted_rows = program.planted(r, f)
    planted_rows = planted_rows[planted_rows["kind"] != "conservation"]
    out = stats.funnel(issued, adopted, planted_rows)
    out.loc[out["stage"] == "units_adopted", "value"] = float(planting_only["units"].sum())
    return out


def _protection_m2(r: Reader, f: Filters) -> float:
    """m² of protected land adopted in the period (conservation projects)."""
    adopted = program.adoptions_total(r, f)
    kinds = program.projects(r, f.all_time())[["project_id", "kind"]]
    adopted = adopted.merge(kinds, on="project_id")
    return float(adopted.loc[adopted["kind"] == "conservation", "units"].sum())


def _backlog_rows(r: Reader, f: Filters) -> pd.DataFrame:
    """Per planting project and species, to as_of: adopted, planted, backlog and its age."""
    whole = f.all_time()
    projects = program.projects(r, whole)
    to_as_of = replace(whole, date_to=f.as_of)
    adopted = program.adoptions(r, to_as_of)
    rows = program.plantings(r, to_as_of)
    out = stats.backlog(adopted, rows, f.as_of)
    out = out.merge(projects[["project_id", "name", "partner", "kind", "region"]], on="project_id")
    return out[out["kind"] != "conservation"].reset_index(drop=True)
