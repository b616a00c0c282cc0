"""Trees and Coastal restoration (managers, NGOs): what was planted where and when, what
survives and what it stores — one screen for both ecosystems, which differ in their unit
(trees are counted, coastal habitat is measured in area) and in the words they use.

The period cuts the plantings the cards, the breakdowns, the survival table and the map show
(by `planted_on`); seasons, cohorts and carbon per year are the whole history of the same
regions, projects and species. Surveys are never cut by the period (docs/CONTRACT.md, Metric
definitions).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import partial

import pandas as pd
import plotly.graph_objects as go

from greenstats.data.warehouse import Reader
from greenstats.metrics import stats
from greenstats.metrics.filters import Filters
from greenstats.metrics.queries import naming, program
from greenstats.ui import charts, fmt, geo
from greenstats.ui.blocks import Card, Chart, Figure, Table, empty_text
from greenstats.ui.i18n import t
from greenstats.ui.words import readable, share_insight, vocab

ECOSYSTEMS = ("trees", "coastal")
CARBON = [f"sequestration_tco2e{b}" for b in stats.BANDS]
SUMS = ["units_planted", "units_surviving_est", "area_ha", "area_surviving_ha", *CARBON]

#: The words each ecosystem uses for its blocks.
KEYS: dict[str, dict[str, str]] = {
    "trees": {
        "by_species": "trees.by_species", "by_region": "trees.by_region",
        "seasons": "trees.by_season", "cohorts": "trees.cohorts", "years": "trees.sequestration",
        "map": "trees.map", "history": "trees.to_date", "empty": "empty.eco_trees",
        "never": "empty.eco_trees_ever", "sites": "insight.eco_sites_trees",
        "year_name": "kpi.sequestration_year", "stored": "trees.carbon_stored",
        "area": "trees.area_planted",
    },
    "coastal": {
        "by_species": "coastal.by_habitat", "by_region": "coastal.by_region",
        "carbon": "coastal.blue_carbon_by", "survival": "coastal.survival",
        "map": "coastal.map", "empty": "empty.eco_coastal", "never": "empty.eco_coastal_ever",
        "sites": "insight.eco_sites_coastal", "stored": "coastal.blue_carbon",
    },
}  # fmt: skip


@dataclass(frozen=True)
class EcosystemData:
    """Everything the Trees or the Coastal page shows. Both have the cards, the planted by
    species and by region, and the map; the blocks one page does not show are None (not
    computed)."""

    ecosystem: str
    cards: list[Card]
    by_species: Chart  # trees planted (area restored) per species, coloured by habitat
    sites: Chart  # the map
    by_region: Chart | None = None
    history: str = ""  # trees: the note over the blocks that show the whole history
    seasons: Chart | None = None  # trees
    cohorts: Chart | None = None  # trees
    years: Chart | None = None  # trees: carbon stored in each calendar year
    carbon: Chart | None = None  # coastal: carbon stored to date per habitat, with its range
    survival: Table | None = None  # coastal: latest survival per project and species


def load(r: Reader, f: Filters, lang: str, ecosystem: str) -> EcosystemData:
    """Everything the page of one ecosystem ('trees' or 'coastal') shows for these filters."""
    if ecosystem not in ECOSYSTEMS:
        raise ValueError(f"unknown ecosystem {ecosystem!r}: one of {', '.join(ECOSYSTEMS)}")
    keys = KEYS[ecosystem]
    species = naming.display_names(r, "species", lang)
    project_names = naming.display_names(r, "projects", lang)
    planted = _planted(r, f, ecosystem)
    projects = program.projects(r, f.all_time())
    empty = _empty(f, ecosystem, lang)
    shared = {
        "ecosystem": ecosystem,
        "cards": _cards(
            planted, ecosystem, lang, bounded=f.date_from is not None or f.date_to is not None
        ),
        "by_species": _by_species(planted, species, ecosystem, lang, empty),
        "sites": _sites(planted, projects, species, project_names, ecosystem, lang, empty),
        "by_region": _by_region(planted, ecosystem, lang, empty),
    }
    if ecosystem == "coastal":
        return EcosystemData(
            **shared,
            carbon=_carbon_by_species(planted, species, ecosystem, lang, empty),
            survival=_survival(planted, species, project_names, ecosystem, lang, empty),
        )
    history = _planted(r, f.all_time(), ecosystem)
    never = empty_text(keys["never"], f, lang)
    return EcosystemData(
        **shared,
        history=t(keys["history"], lang),
        seasons=_seasons(history, ecosystem, lang, never),
        cohorts=_cohorts(history, program.surveys(r, f), f, ecosystem, lang, never),
        years=_years(history, f, ecosystem, lang, never),
    )


def carbon_stored(r: Reader, f: Filters, ecosystem: str = "trees") -> tuple[float, float, float]:
    """Carbon stored to date (t CO₂e: central, low, high) by the plantings of one ecosystem the
    filters select: the figure its page's card shows (trees only on the Trees page, so the
    Overview's trees card can say the same)."""
    planted = _planted(r, f, ecosystem)
    central, low, high = (float(planted[c].sum()) for c in CARBON)
    return central, low, high


#: Each page's slice of the plantings: trees (unit 'tree') or coastal habitats.
HABITAT_SLICES = {"trees": "is_tree", "coastal": "is_coastal"}


def _planted(r: Reader, f: Filters, ecosystem: str) -> pd.DataFrame:
    """The plantings of one page, with survival, age and sequestration to date."""
    rows = program.planted(r, f)
    return rows[rows[HABITAT_SLICES[ecosystem]]].reset_index(drop=True)


def _empty(f: Filters, ecosystem: str, lang: str) -> str:
    """What a block of the period says when there is nothing to show: that the regions have
    no sea coast (coastal), that nothing was ever planted (no period chosen), or that nothing
    was planted in the period."""
    if ecosystem == "coastal" and f.regions:
        coastal = geo.regions().set_index("region")["coastal"]
        if not any(bool(coastal.get(code, True)) for code in f.regions):
            return empty_text("empty.eco_inland", f, lang)
    unbounded = f.date_from is None and f.date_to is None
    return empty_text(KEYS[ecosystem]["never" if unbounded else "empty"], f, lang)


# --- measures ----------------------------------------------------------------------------------


def _measure(frame: pd.DataFrame, ecosystem: str) -> tuple[pd.Series, str]:
    """What a chart of an ecosystem counts, in the unit that suits its largest value: trees
    planted, or area restored (m² or ha)."""
    if ecosystem == "trees":
        return frame["units_planted"].astype(float), "unit.trees"
    largest = float(frame["area_ha"].abs().max()) if len(frame) else 0.0
    per_ha, unit_key = fmt.area_unit(largest)
    return frame["area_ha"] * per_ha, unit_key


def _planted_words(frame: pd.DataFrame, ecosystem: str, lang: str) -> list[str]:
    """'Planted: 120 trees · surviving (est.): 90 trees · 0.19 ha' per row, for hover text."""
    if ecosystem == "trees":
        return [
            t("hover.planted", lang, value=fmt.quantity(p, "unit.trees", lang)) + "<br>"
            + t("hover.surviving", lang, value=fmt.quantity(s, "unit.trees", lang)) + "<br>"
            + t("hover.eco_area", lang, value=fmt.area(a, lang))
            for p, s, a in zip(frame["units_planted"], frame["units_surviving_est"],
                               frame["area_ha"], strict=True)
        ]  # fmt: skip
    return [
        t("hover.eco_area", lang, value=fmt.area(a, lang)) + "<br>"
        + t("hover.surviving", lang, value=fmt.area(s, lang))
        for a, s in zip(frame["area_ha"], frame["area_surviving_ha"], strict=True)
    ]  # fmt: skip


def _hover(frame: pd.DataFrame, ecosystem: str, lang: str) -> list[str]:
    """'<b>Saxaul</b><br>Planted: …' per row of a breakdown with a `name`."""
    words = _planted_words(frame, ecosystem, lang)
    return [f"<b>{n}</b><br>{w}" for n, w in zip(frame["name"], words, strict=True)]


def _amount(value: float, unit_key: str, lang: str) -> str:
    """A measure in the unit of its chart: '120 trees', '289 m²', '1.48 ha'."""
    decimals = 0 if unit_key == "unit.trees" else fmt.area_decimals(value, unit_key)
    return fmt.quantity(value, unit_key, lang, decimals)


def _colour(ecosystem: str) -> str:
    """One colour for an ecosystem's single-series bars: coastal's habitat colour on Coastal."""
    return charts.HABITAT_COLORS["coastal"] if ecosystem == "coastal" else charts.OKABE_ITO[1]


def _decimals(value: float) -> int:
    """Decimals a round value needs: 20 → 0, 0.5 → 1, 0.02 → 2."""
    return 0 if value >= 1 or value <= 0 else -math.floor(math.log10(value))


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _round(frame: pd.DataFrame, columns: dict[str, int]) -> pd.DataFrame:
    """Values as a CSV shows them: no float noise (0.0007000000000000001 → 0.0007)."""
    return frame.assign(**{c: frame[c].astype(float).round(d) for c, d in columns.items()})


# --- cards -------------------------------------------------------------------------------------


def _cards(planted: pd.DataFrame, ecosystem: str, lang: str, bounded: bool) -> list[Card]:
    """Four headline figures for the period (`bounded`: a period is chosen); with no
    plantings, each says so in words, as the Overview's cards do."""
    cards = _figures(planted, ecosystem, lang, bounded)
    if planted.empty:
        return [dataclasses.replace(c, value=t("kpi.none_value", lang)) for c in cards]
    return cards


def _figures(planted: pd.DataFrame, ecosystem: str, lang: str, bounded: bool) -> list[Card]:
    total = {c: float(planted[c].sum()) for c in SUMS}
    none = t("kpi.eco_none" if bounded else "kpi.eco_none_ever", lang) if planted.empty else ""
    carbon, band = fmt.carbon_parts(*(total[c] for c in CARBON), lang)
    carbon_name = KEYS[ecosystem]["stored"]
    carbon_card = Card(
        label=t(carbon_name, lang), value=carbon, note=none or t("kpi.range", lang, band=band),
        help=t("help.sequestration" if ecosystem == "trees" else "help.blue_carbon", lang),
        figures=(Figure(carbon_name, total[CARBON[0]]),),
    )  # fmt: skip
    exact_area = t("help.exact", lang, value=fmt.quantity(total["area_ha"], "unit.ha", lang, 4))
    if ecosystem == "trees":
        planted_n, surviving = total["units_planted"], total["units_surviving_est"]
        return [
            Card(label=t("metric.trees_planted", lang),
                 value=fmt.compact_quantity(planted_n, "unit.trees", lang),
                 note=none or t("help.exact", lang,
                                value=fmt.quantity(planted_n, "unit.trees", lang)),
                 key="trees_planted", figures=(Figure("metric.trees_planted", planted_n),)),
            Card(label=t("metric.trees_surviving_est", lang),
                 value=fmt.compact_quantity(surviving, "unit.trees", lang),
                 note=none or t("kpi.survival_share", lang,
                                share=fmt.percent(_share(surviving, planted_n), lang)),
                 help=t("help.surviving", lang), key="trees_surviving_est",
                 figures=(Figure("metric.trees_surviving_est", surviving),)),
            Card(label=t(KEYS["trees"]["area"], lang), value=fmt.area(total["area_ha"], lang),
                 note=none or t("kpi.eco_area_trees", lang), help=exact_area,
                 figures=(Figure(KEYS["trees"]["area"], total["area_ha"]),)),
            carbon_card,
        ]  # fmt: skip
    area, surviving_area = total["area_ha"], total["area_surviving_ha"]
    return [
        Card(label=t("metric.coastal_area_ha", lang), value=fmt.area(area, lang),
             note=none or t("kpi.coastal_note", lang),
             help=t("help.coastal", lang) + " " + exact_area, key="coastal_area_ha",
             figures=(Figure("metric.coastal_area_ha", area),)),
        Card(label=t("coastal.surviving_area", lang), value=fmt.area(surviving_area, lang),
             note=none or t("kpi.area_survival_share", lang,
                            share=fmt.percent(_share(surviving_area, area), lang)),
             help=t("help.surviving_area", lang),
             figures=(Figure("coastal.surviving_area", surviving_area),)),
        carbon_card,
        Card(label=t("coastal.sites", lang),
             value=fmt.number(planted["project_id"].nunique(), lang),
             note=none or t("coastal.sites_note", lang),
             figures=(Figure("coastal.sites", planted["project_id"].nunique()),)),
    ]  # fmt: skip


# --- breakdowns of the period ------------------------------------------------------------------


def _grouped(planted: pd.DataFrame, key: str) -> pd.DataFrame:
    """Coverage and carbon stored per value of `key` (stats.coverage and
    stats.sequestration_breakdown, the definitions the Methodology page gives), keeping their
    columns when there is nothing."""
    if planted.empty:
        return pd.DataFrame({key: pd.Series(dtype=object), **{c: pd.Series(dtype=float)
                                                                for c in SUMS}})  # fmt: skip
    carbon = stats.sequestration_breakdown(planted, [key])
    return stats.coverage(planted, [key]).merge(carbon[[key, *CARBON]], on=key)


def _by_species(
    planted: pd.DataFrame, names: dict[str, str], ecosystem: str, lang: str, empty: str
) -> Chart:
    """Trees planted (area restored) per species, largest first, coloured by habitat."""
    out = _grouped(planted, "species")
    habitats = dict(zip(planted["species"], planted["habitat"], strict=False))
    out["habitat"] = out["species"].map(habitats)
    out["name"] = [names.get(s, s) for s in out["species"]]
    out["value"], unit_key = _measure(out, ecosystem)
    out = out.sort_values("value", ascending=False)
    out["hover"] = _hover(out, ecosystem, lang)
    order = [h for h in charts.HABITAT_COLORS if h in set(out["habitat"])]
    draw = None if out.empty else partial(
        charts.stacked_bars,
        out, x="name", y="value", color="habitat", hover="hover", horizontal=True, order=order,
        labels={h: vocab("habitat", h, lang) for h in charts.HABITAT_COLORS},
        colors=charts.HABITAT_COLORS, y_title=t(unit_key, lang),
    )  # fmt: skip
    return Chart(
        name=f"{ecosystem}-species",
        title=t(KEYS[ecosystem]["by_species"], lang),
        insight=share_insight(out, "name", {}, "value", lang),
        draw=draw,
        frame=_species_csv(out, ecosystem, lang),
        empty=empty,
    )


def _species_csv(out: pd.DataFrame, ecosystem: str, lang: str) -> pd.DataFrame:
    """Per species: name, habitat, planted, surviving, area (ha), carbon to date (t CO₂e)."""
    unit = "trees" if ecosystem == "trees" else "m2"
    frame = pd.DataFrame({
        "eco_species": out["name"],
        "eco_habitat": [vocab("habitat", h, lang) for h in out["habitat"]],
        f"eco_{unit}_planted": out["units_planted"],
        f"eco_{unit}_surviving": out["units_surviving_est"],
        "eco_area_ha": out["area_ha"],
        "eco_carbon_t": out[CARBON[0]], "eco_carbon_t_low": out[CARBON[1]],
        "eco_carbon_t_high": out[CARBON[2]],
    })  # fmt: skip
    frame = _round(frame, {f"eco_{unit}_surviving": 1, "eco_area_ha": 4, "eco_carbon_t": 6,
                           "eco_carbon_t_low": 6, "eco_carbon_t_high": 6})  # fmt: skip
    return readable(frame, lang)


def _by_region(planted: pd.DataFrame, ecosystem: str, lang: str, empty: str) -> Chart:
    """Trees planted (area restored) per region, largest first."""
    out = _grouped(planted, "region")
    out["name"] = [geo.region_name(code, lang) for code in out["region"]]
    out["value"], unit_key = _measure(out, ecosystem)
    out = out.sort_values("value", ascending=False)
    out["hover"] = _hover(out, ecosystem, lang)
    draw = None if out.empty else partial(
        charts.bars, out, category="name", value="value", hover="hover",
        value_title=t(unit_key, lang), color=_colour(ecosystem),
    )  # fmt: skip
    unit = "trees" if ecosystem == "trees" else "m2"
    frame = _round(pd.DataFrame({
        "eco_region": out["name"], f"eco_{unit}_planted": out["units_planted"],
        f"eco_{unit}_surviving": out["units_surviving_est"], "eco_area_ha": out["area_ha"],
    }), {f"eco_{unit}_surviving": 1, "eco_area_ha": 4})  # fmt: skip
    return Chart(
        name=f"{ecosystem}-regions",
        title=t(KEYS[ecosystem]["by_region"], lang),
        insight=share_insight(out, "name", {}, "value", lang),
        draw=draw,
        frame=readable(frame, lang),
        empty=empty,
    )


def _carbon_by_species(
    planted: pd.DataFrame, names: dict[str, str], ecosystem: str, lang: str, empty: str
) -> Chart:
    """Carbon stored to date per species with its range (whiskers), in the unit that suits
    the largest; the sentence names the widest range in that same unit."""
    out = _grouped(planted, "species")
    out["name"] = [names.get(s, s) for s in out["species"]]
    out = out.sort_values(CARBON[0], ascending=False)
    largest = float(out[CARBON[2]].abs().max()) if len(out) else 0.0
    shown = fmt.carbon_unit(largest, lang)
    per_unit, unit = shown
    for c in CARBON:
        out[f"{c}_shown"] = out[c] / per_unit
    out["hover"] = [f"<b>{n}</b><br>{fmt.carbon(c, lo, hi, lang, shown)}" for n, c, lo, hi in
                    zip(out["name"], *(out[c] for c in CARBON), strict=True)]  # fmt: skip
    insight = ""
    if len(out) and out[CARBON[0]].sum() > 0:
        spread = (out[CARBON[2]] - out[CARBON[1]]) / out[CARBON[0]].where(out[CARBON[0]] > 0)
        widest = out.loc[spread.fillna(0).idxmax()]
        mid, low, high = (fmt.carbon_parts(widest[c], 0, 0, lang, shown)[0] for c in CARBON)
        insight = t("insight.blue_carbon", lang, name=widest["name"], mid=mid, low=low,
                    high=high)  # fmt: skip
    draw = None if out.empty else partial(
        charts.bars_with_range,
        out, category="name", value=f"{CARBON[0]}_shown", low=f"{CARBON[1]}_shown",
        high=f"{CARBON[2]}_shown", hover="hover", value_title=unit,
        color=_colour(ecosystem),
    )  # fmt: skip
    frame = _round(pd.DataFrame({
        "eco_species": out["name"], "eco_carbon_t": out[CARBON[0]],
        "eco_carbon_t_low": out[CARBON[1]], "eco_carbon_t_high": out[CARBON[2]],
    }), {"eco_carbon_t": 6, "eco_carbon_t_low": 6, "eco_carbon_t_high": 6})  # fmt: skip
    return Chart(
        name=f"{ecosystem}-carbon",
        title=t(KEYS[ecosystem]["carbon"], lang),
        insight=insight,
        draw=draw,
        frame=readable(frame, lang),
        empty=empty,
    )


def _survival(
    planted: pd.DataFrame, species: dict[str, str], projects: dict[str, str], ecosystem: str,
    lang: str, empty: str,
) -> Table:  # fmt: skip
    """Latest survival per project and species planted in the period, lowest first, and where
    each rate comes from (a survey, or the species default)."""
    rows = planted.drop_duplicates(["project_id", "species"]).sort_values(
        ["survival_rate", "project_id", "species"]
    )
    project, name = t("col.project", lang), t("col.species", lang)
    survival, source = t("col.eco_survival_pct", lang), t("col.survival_source", lang)
    frame = pd.DataFrame({
        project: [projects.get(p, p) for p in rows["project_id"]],
        name: [species.get(s, s) for s in rows["species"]],
        survival: (rows["survival_rate"].astype(float) * 100).round(1),
        source: [t(f"survival.{s}", lang) for s in rows["survival_source"]],
    })  # fmt: skip
    intro = ""
    if len(rows):
        intro = t("insight.survival", lang,
                  surveyed=fmt.number(int((rows["survival_source"] == "survey").sum()), lang),
                  total=fmt.number(len(rows), lang),
                  low=fmt.percent(float(rows["survival_rate"].min()), lang),
                  high=fmt.percent(float(rows["survival_rate"].max()), lang))  # fmt: skip
    return Table(
        name=f"{ecosystem}-survival",
        title=t(KEYS[ecosystem]["survival"], lang),
        intro=intro,
        frame=frame.reset_index(drop=True),
        empty=empty,
        kinds={project: "text", name: "text", survival: "progress", source: "text"},
        phone=(project, survival),
    )


def _sites(
    planted: pd.DataFrame, projects: pd.DataFrame, species: dict[str, str],
    project_names: dict[str, str], ecosystem: str, lang: str, empty: str,
) -> Chart:  # fmt: skip
    """One point per project and habitat, at the mean position of its batches (a batch sent
    without lat/lon has its project's: stg_plantings), sized by trees planted (area
    restored), with a size key of round values."""
    keys = ["project_id", "habitat"]
    if planted.empty:
        out = pd.DataFrame(columns=[*keys, *SUMS, "lat", "lon", "species"])
    else:
        out = planted.groupby(keys, as_index=False).agg(
            **{c: (c, "sum") for c in SUMS}, lat=("lat", "mean"), lon=("lon", "mean"),
            species=("species", lambda s: ", ".join(sorted({species.get(x, x) for x in s}))),
        )  # fmt: skip
    at = projects.set_index("project_id")
    out["name"] = [project_names.get(p, p) for p in out["project_id"]]
    out["partner"] = out["project_id"].map(at["partner"])
    out = out.dropna(subset=["lat", "lon"])
    out["value"], unit_key = _measure(out, ecosystem)
    out = out.sort_values("value", ascending=False)  # small points drawn over big ones
    out["hover"] = [
        f"<b>{n}</b><br>{p}<br>{s}<br>{w}" for n, p, s, w in
        zip(out["name"], out["partner"], out["species"], _planted_words(out, ecosystem, lang),
            strict=True)
    ]  # fmt: skip
    steps = charts.size_steps(out["value"])
    draw = None if out.empty else partial(
        charts.sites_map,
        out, size="value", color="habitat", hover="hover", min_span=6.0,
        labels={h: vocab("habitat", h, lang) for h in charts.HABITAT_COLORS},
        colors=charts.HABITAT_COLORS,
        size_legend=[(v, fmt.quantity(v, unit_key, lang, _decimals(v))) for v in steps],
    )  # fmt: skip
    insight = t(KEYS[ecosystem]["sites"], lang, sites=fmt.quantity(len(out), "unit.sites", lang))
    unit = "trees" if ecosystem == "trees" else "m2"
    frame = _round(pd.DataFrame({
        "eco_project": out["name"], "eco_partner": out["partner"],
        "eco_habitat": [vocab("habitat", h, lang) for h in out["habitat"]],
        "eco_species": out["species"], f"eco_{unit}_planted": out["units_planted"],
        "eco_area_ha": out["area_ha"], "eco_lat": out["lat"], "eco_lon": out["lon"],
    }), {"eco_area_ha": 4, "eco_lat": 3, "eco_lon": 3})  # fmt: skip
    return Chart(
        name=f"{ecosystem}-sites",
        title=t(KEYS[ecosystem]["map"], lang),
        insight=insight,
        draw=draw,
        frame=readable(frame, lang),
        empty=empty,
    )


# --- the whole history ---------------------------------------------------------------------------


def _year_words(year: object, lang: str) -> str:
    """'2024' / '2024年': a year as an axis label."""
    return f"{int(year)}年" if lang == "zh" else str(int(year))


def _seasons(history: pd.DataFrame, ecosystem: str, lang: str, empty: str) -> Chart:
    """Planted per year, spring (January–June) and autumn (July–December): NGOs plant in
    spring and autumn."""
    when = pd.to_datetime(history["planted_on"])
    seasons = ["spring" if m <= 6 else "autumn" for m in when.dt.month]
    frame = history.assign(year=when.dt.year.astype("Int64"), season=seasons)
    out = (
        frame.groupby(["year", "season"], as_index=False)[SUMS].sum()
        if len(frame)
        else pd.DataFrame({"year": [], "season": [], **{c: [] for c in SUMS}})
    )
    out["value"], unit_key = _measure(out, ecosystem)
    out["label"] = [_year_words(y, lang) for y in out["year"]]
    out["season_name"] = [t(f"season.{s}_name", lang) for s in out["season"]]
    out["hover"] = [
        f"{t(f'season.{s}', lang, year=int(y))}<br>{_amount(v, unit_key, lang)}"
        for y, s, v in zip(out["year"], out["season"], out["value"], strict=True)
    ]
    unit = "trees" if ecosystem == "trees" else "m2"
    csv = _round(pd.DataFrame({
        "eco_year": out["year"].astype(int) if len(out) else pd.Series(dtype=int),
        "eco_season": out["season_name"], f"eco_{unit}_planted": out["units_planted"],
        "eco_area_ha": out["area_ha"],
    }), {"eco_area_ha": 4})  # fmt: skip
    return Chart(
        name=f"{ecosystem}-seasons",
        title=t(KEYS[ecosystem]["seasons"], lang),
        insight=t("insight.seasons", lang),
        draw=None if out.empty else partial(_season_bars, out, unit_key, lang),
        frame=readable(csv, lang),
        empty=empty,
    )


def _season_bars(out: pd.DataFrame, unit_key: str, lang: str) -> go.Figure:
    figure = charts.stacked_bars(
        out, x="label", y="value", color="season", hover="hover", y_title=t(unit_key, lang),
        labels={"spring": t("season.spring_name", lang), "autumn": t("season.autumn_name", lang)},
        colors={"spring": charts.OKABE_ITO[2], "autumn": charts.OKABE_ITO[1]},
        order=["spring", "autumn"],
    )  # fmt: skip
    # Years in order, whichever season a year starts with.
    return figure.update_xaxes(categoryorder="array", categoryarray=sorted(set(out["label"])))


def _cohorts(
    history: pd.DataFrame, surveys: pd.DataFrame, f: Filters, ecosystem: str, lang: str,
    never: str,
) -> Chart:  # fmt: skip
    """Survival 1, 3 and 5 years after planting, per year planted (from surveys)."""
    cohorts = stats.cohort_survival(history, surveys, f.as_of)
    years = sorted(int(y) for y in cohorts["cohort_year"].unique())
    wide = pd.DataFrame({"cohort_year": years})
    wide["label"] = [_year_words(y, lang) for y in years]
    series = []
    for h in stats.HORIZONS_YEARS:
        part = cohorts[cohorts["horizon_years"] == h].set_index("cohort_year")["survival_rate"]
        wide[f"h{h}"] = wide["cohort_year"].map(part).astype(float)
        wide[f"hover{h}"] = [
            f"{t('cohort.planted_in', lang, year=y)} · {t('cohort.after', lang, years=h)}<br>"
            + (fmt.percent(v, lang) if pd.notna(v) else t("cohort.no_survey", lang))
            for y, v in zip(wide["cohort_year"], wide[f"h{h}"], strict=True)
        ]
        if wide[f"h{h}"].notna().any():
            name = t("cohort.after", lang, years=h)
            series.append((f"h{h}", name, charts.HORIZON_COLORS[h], f"hover{h}"))
    csv = pd.DataFrame({"eco_cohort": wide["cohort_year"],
                        **{f"eco_survival_{h}y": (wide[f"h{h}"] * 100).round(1)
                           for h in stats.HORIZONS_YEARS}})  # fmt: skip
    return Chart(
        name=f"{ecosystem}-cohorts",
        title=t(KEYS[ecosystem]["cohorts"], lang),
        insight=_cohort_insight(cohorts, lang),
        draw=partial(_cohort_bars, wide, series, lang) if series else None,
        frame=readable(csv, lang),
        empty=never if history.empty else t("empty.eco_cohorts", lang),
    )


def _cohort_bars(wide: pd.DataFrame, series: list[tuple], lang: str) -> go.Figure:
    figure = charts.grouped_bars(wide, category="label", series=series,
                                 value_title=t("unit.survival", lang))  # fmt: skip
    return figure.update_yaxes(tickformat=".0%", range=[0, 1])


def _cohort_insight(cohorts: pd.DataFrame, lang: str) -> str:
    """The best and the worst year planted at 3 years (or the shortest horizon surveyed)."""
    if cohorts.empty:
        return ""
    three = cohorts[cohorts["horizon_years"] == 3]
    pick = three if len(three) else cohorts[
        cohorts["horizon_years"] == cohorts["horizon_years"].min()]  # fmt: skip
    best = pick.loc[pick["survival_rate"].astype(float).idxmax()]
    worst = pick.loc[pick["survival_rate"].astype(float).idxmin()]
    h = int(pick["horizon_years"].iloc[0])
    if best["cohort_year"] == worst["cohort_year"]:
        return t("insight.cohort_one", lang, h=h, cohort=int(best["cohort_year"]),
                 pct=fmt.percent(float(best["survival_rate"]), lang))  # fmt: skip
    return t(
        "insight.cohorts", lang, h=h,
        best=int(best["cohort_year"]), best_pct=fmt.percent(float(best["survival_rate"]), lang),
        worst=int(worst["cohort_year"]), worst_pct=fmt.percent(float(worst["survival_rate"]), lang),
    )  # fmt: skip


def _years(history: pd.DataFrame, f: Filters, ecosystem: str, lang: str, never: str) -> Chart:
    """Carbon stored in each calendar year (band), on an axis in the unit of the sentence
    above it (the unit of the total stored so far)."""
    out = stats.sequestration_by_year(history, f.as_of)
    out = out.assign(year=out["year"].astype(int))
    out["period"] = pd.to_datetime([f"{y}-07-01" for y in out["year"]])
    totals = [float(out[c].sum()) for c in CARBON]
    unit = fmt.carbon_unit(max(abs(totals[0]), abs(totals[2])), lang)
    out["hover"] = [f"{_year_words(y, lang)}<br>{fmt.carbon(c, lo, hi, lang, unit)}"
                    for y, c, lo, hi in zip(out["year"], *(out[c] for c in CARBON),
                                            strict=True)]  # fmt: skip
    insight = ""
    draw = None
    figures: tuple[Figure, ...] = ()
    if len(out) and totals[2] > 0:
        last = out.iloc[-1]
        insight = t("insight.sequestration", lang, total=fmt.carbon(*totals, lang, unit),
                    first=int(history["planted_on"].min().year), year=int(last["year"]),
                    last=fmt.carbon(*(float(last[c]) for c in CARBON), lang, unit))  # fmt: skip
        figures = (Figure(KEYS[ecosystem]["stored"], totals[0], "all_time"),)
        draw = partial(
            charts.carbon_band,
            out, t(KEYS[ecosystem]["year_name"], lang), t("chart.range", lang), lang,
            prefix="sequestration_tco2e", unit=unit, color=charts.OKABE_ITO[0],
        )  # fmt: skip
    csv = pd.DataFrame({
        "eco_year": out["year"], "eco_year_carbon_t": out[CARBON[0]],
        "eco_year_carbon_t_low": out[CARBON[1]], "eco_year_carbon_t_high": out[CARBON[2]],
    })  # fmt: skip
    csv = _round(csv, dict.fromkeys(csv.columns[1:], 6))
    return Chart(
        name=f"{ecosystem}-sequestration",
        title=t(KEYS[ecosystem]["years"], lang),
        insight=insight,
        draw=draw,
        frame=readable(csv, lang),
        empty=never,
        figures=figures,
    )
