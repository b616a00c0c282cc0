"""Projects (NGO partners): one project's truth for a donor report — or all of a partner's.

The page's two pickers (partner, project) are bound to the link; `partners` and
`project_labels` give their options, `load` everything shown for what they picked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import partial

import pandas as pd
import plotly.graph_objects as go

from greenstats.data.warehouse import Reader
from greenstats.metrics import alerts, stats
from greenstats.metrics.filters import Filters
from greenstats.metrics.queries import alerting, naming, program
from greenstats.ui import alert_words, charts, fmt, geo, words
from greenstats.ui.blocks import Attention, Card, Chart, Markdown, Table
from greenstats.ui.i18n import t

#: What each pace status is called on a card (short, so it fits) and in a table.
PACE_KEYS = {
    "behind plan": "pace.behind_plan",
    "on plan": "pace.on_plan",
    "target met": "pace.target_met",
    "no target date": "pace.no_target_date",
    "no target": "pace.no_target",
}


@dataclass(frozen=True)
class ProjectRow:
    """One project as a phone lists it: a bar of its delivery and a line of words."""

    share: float  # 0–1 delivered of target (0 without a target)
    text: Markdown  # '**name** — 30% of 10 trees · Behind by 7 trees', names escaped


@dataclass(frozen=True)
class ProjectList:
    """All of a partner's projects (or everyone's): how each delivers, and where they are."""

    title: str
    intro: str  # 'n projects; m behind plan.'
    empty: str  # when the partner runs no project
    table: Table  # the desktop's table (its CSV has every column)
    rows: list[ProjectRow]  # the phone's list
    sites: Chart | None  # None when there is no project to place


@dataclass(frozen=True)
class ProjectView:
    """One project, as its NGO reports it to a donor."""

    name: str
    about: str  # partner · kind · region · started …
    cards: list[Card]
    plantings: Chart
    surveys: Chart
    batches: Chart  # where it was planted
    figures: pd.DataFrame  # the project's figures, as downloaded
    figures_name: str
    attention: Attention | None = None  # the project's alerts ("Needs attention")


@dataclass(frozen=True)
class ProjectsData:
    listing: ProjectList | None  # when no project is picked
    project: ProjectView | None  # when one is


# --- the pickers' options ---------------------------------------------------------------------


def partners(r: Reader, f: Filters, lang: str) -> dict[str, str]:
    """Every partner running a project or a protected area → its name as shown, by that name."""
    shown = _names(r, "partners", lang)
    codes = program.partners(r, f)
    return dict(sorted(((p, shown.get(p) or p) for p in codes), key=lambda kv: kv[1]))


def project_labels(r: Reader, f: Filters, lang: str, partner: str | None) -> dict[str, str]:
    """The partner's projects (everyone's without one) → 'name · id', as the picker shows them
    and the link carries them."""
    projects = program.projects(r, f.all_time())
    if partner:
        projects = projects[projects["partner"] == partner]
    names = naming.display_names(r, "projects", lang)
    return {p: f"{names.get(p) or n} · {p}"
            for p, n in zip(projects["project_id"], projects["name"], strict=True)}  # fmt: skip


def _report(r: Reader, f: Filters) -> dict[str, pd.DataFrame]:
    """Everything the page shows for the projects the filters select, from the start."""
    whole = f.all_time()
    projects = program.projects(r, whole)
    planted_rows = program.planted(r, whole)
    adopted = program.adoptions_total(r, whole)
    return {
        "projects": projects,
        "progress": stats.project_progress(projects, planted_rows, adopted, f.as_of),
        "planted": planted_rows,
        "surveys": program.surveys(r, whole),
        "adoptions": adopted,
    }


def _names(r: Reader, kind: str, lang: str) -> dict[str, str]:
    """Code → the name a reader sees; raw names until naming.display_names knows the kind."""
    try:
        return naming.display_names(r, kind, lang)
    except KeyError:  # until display_names has partners
        return {}


# --- load -------------------------------------------------------------------------------------


def load(r: Reader, f: Filters, lang: str, partner: str | None, project: str | None
         ) -> ProjectsData:  # fmt: skip
    """Everything the Projects page shows: one project when one is picked, else the list (a
    signed-in partner's own when none is picked)."""
    partner = f.partner or partner
    report = _report(r, f)
    names = {
        "projects": naming.display_names(r, "projects", lang),
        "partners": _names(r, "partners", lang),
        "species": naming.display_names(r, "species", lang),
    }
    projects = report["projects"].copy()
    pairs = zip(projects["project_id"], projects["name"], strict=True)
    projects["shown_name"] = [names["projects"].get(p) or n for p, n in pairs]
    projects["partner_name"] = [names["partners"].get(p) or p for p in projects["partner"]]
    if project and project in set(projects["project_id"]):
        view = _project(report, projects, project, names, f, lang)
        return ProjectsData(None, replace(view, attention=needs_attention(r, f, project, names,
                                                                          lang)))  # fmt: skip
    if partner:
        projects = projects[projects["partner"] == partner]
    partner_name = names["partners"].get(partner or "") or partner
    return ProjectsData(_listing(report, projects, partner_name, lang), None)


def needs_attention(r: Reader, f: Filters, project: str, names: dict[str, dict[str, str]],
                    lang: str) -> Attention:  # fmt: skip
    """The alerts about one project (the committed thresholds), as of the filters' day."""
    found = alerts.for_project(
        alerting.alerts_for(r, replace(f, projects=(project,)), alerts.load_config()), project
    )
    empty = t("attention.none_project", lang, day=words.day_words(f.as_of, lang))
    return alert_words.attention(found, names, empty, lang)


# --- all of a partner's projects --------------------------------------------------------------


def _listing(report: dict[str, pd.DataFrame], projects: pd.DataFrame, partner: str | None,
             lang: str) -> ProjectList:  # fmt: skip
    rows = projects.merge(report["progress"], on="project_id", how="left")
    planted = report["planted"][report["planted"]["project_id"].isin(projects["project_id"])]
    behind = int((rows["status"] == "behind plan").sum())
    n = len(rows)
    if partner:
        empty = t("projects.partner_has_none", lang, partner=partner)
    else:
        empty = t("projects.none_at_all", lang)
    return ProjectList(
        title=t("projects.overview", lang, partner=partner or t("projects.all_partners", lang)),
        intro=t("insight.projects_one" if n == 1 else "insight.projects", lang,
                n=fmt.number(n, lang), behind=fmt.number(behind, lang)),
        empty=empty,
        table=_progress_table(rows, planted, partner, empty, lang),
        rows=[_phone_row(r, lang) for r in rows.itertuples(index=False)],
        sites=_sites(rows, planted, lang) if n else None,
    )  # fmt: skip


def _phone_row(row: object, lang: str) -> ProjectRow:
    """'**Linze windbreak** — 30% of 10 trees · Behind by 7 trees', and the bar's share."""
    has_target = pd.notna(row.progress)
    delivered = (
        t("projects.delivered_of", lang, pct=fmt.percent(row.progress, lang),
          target=target_text(row.measure, row.target, row.kind, lang))
        if has_target else t("pace.no_target", lang)
    )  # fmt: skip
    behind = behind_text(row.status, row.behind_by, row.measure, row.kind, lang)
    pace = t("pace.behind", lang, by=behind) if behind else pace_word(row.status, lang)
    text = f"**{fmt.escape_md(row.shown_name)}** — {fmt.escape_md(delivered)}"
    if has_target:
        text += f" · {fmt.escape_md(pace)}"
    share = min(max(float(row.progress), 0.0), 1.0) if has_target else 0.0
    return ProjectRow(share=share, text=Markdown(text))


def _progress_table(rows: pd.DataFrame, planted: pd.DataFrame, partner: str | None, empty: str,
                    lang: str) -> Table:  # fmt: skip
    """One row per project: target, delivered, pace, survival and carbon stored to date, carbon
    in one unit for the whole column (the unit in its header). The table shows what fits 1440
    px; the CSV has every column."""
    carbon = planted.groupby("project_id")[
        ["sequestration_tco2e", "sequestration_tco2e_low", "sequestration_tco2e_high"]
    ].sum()  # fmt: skip
    carbon = carbon.reindex(rows["project_id"]).fillna(0.0)
    largest = float(carbon["sequestration_tco2e_high"].max() or 0)
    per_unit, unit = (
        fmt.carbon_unit(largest, lang) if largest > 0 else (1.0, t("unit.t_co2e", lang))
    )
    survival = planted.groupby("project_id")[["units_planted", "units_surviving_est"]].sum()
    survival = survival.reindex(rows["project_id"])
    h = {k: t(f"col.{k}", lang) for k in ("project", "partner", "kind", "region", "target",
                                          "pace", "behind_by", "survival")}  # fmt: skip
    h["progress"] = t("col.delivered_pct", lang)
    for band in ("", "_low", "_high"):
        h[f"carbon{band}"] = t(f"col.carbon{band}_in", lang, unit=unit)
    columns = {
        h["project"]: rows["shown_name"].to_list(),
        h["partner"]: rows["partner_name"].to_list(),
        h["kind"]: [words.vocab("kind", k, lang) for k in rows["kind"]],
        h["region"]: [geo.region_name(c, lang) for c in rows["region"]],
        h["target"]: [target_text(m, v, k, lang) for m, v, k in
                      zip(rows["measure"], rows["target"], rows["kind"], strict=True)],
        h["progress"]: (rows["progress"].astype(float) * 100).round(1).to_list(),
        h["pace"]: [pace_word(s, lang) for s in rows["status"]],
        h["behind_by"]: [behind_text(s, b, m, k, lang) for s, b, m, k in
                         zip(rows["status"], rows["behind_by"], rows["measure"], rows["kind"],
                             strict=True)],
        # In words: '–' where nothing is planted yet (a number column would say 'None').
        h["survival"]: [fmt.percent(x, lang) for x in
                        survival["units_surviving_est"]
                        / survival["units_planted"].where(survival["units_planted"] > 0)],
        **{h[f"carbon{b}"]: [_round_sig(c / per_unit) for c in carbon[f"sequestration_tco2e{b}"]]
           for b in ("", "_low", "_high")},
    }  # fmt: skip
    if partner:  # one partner's list: the column would say the same on every row
        columns.pop(h["partner"])
    # What the table has no room for at 1440 px (the CSV keeps it): with every partner's
    # projects, the partner's name takes the room of the target, region and survival.
    no_room = [h["kind"], h["behind_by"], h["carbon_low"], h["carbon_high"]]
    no_room += [] if partner else [h["region"], h["target"], h["survival"]]
    largest_shown = float(carbon["sequestration_tco2e"].max() / per_unit) if len(carbon) else 0
    whole = pd.DataFrame(columns)
    return Table(
        name="projects",
        title="",
        intro="",
        frame=whole.drop(columns=no_room),
        csv=whole,
        empty=empty,
        kinds={h["project"]: "text", h["partner"]: "text", h["kind"]: "text",
               h["region"]: "text", h["target"]: "text", h["progress"]: "progress",
               h["pace"]: "text", h["behind_by"]: "text", h["survival"]: "text",
               h["carbon"]: _number_kind(largest_shown)},
    )  # fmt: skip


def _sites(rows: pd.DataFrame, planted: pd.DataFrame, lang: str) -> Chart:
    """Each project at its site (every project has one), coloured by kind, sized by the area
    it has planted."""
    area = planted.groupby("project_id")["area_ha"].sum()
    points = rows.assign(area_ha=rows["project_id"].map(area).fillna(0.0))
    points = points.dropna(subset=["lat", "lon"])
    points["label"] = points["shown_name"]
    points["hover"] = [
        f"<b>{n}</b><br>{p} · {words.vocab('kind', k, lang)}<br>"
        f"{t('hover.area_planted', lang, value=fmt.quantity(a, 'unit.ha', lang, 2))}<br>"
        f"{pace_word(s, lang)}"
        for n, p, k, a, s in zip(points["shown_name"], points["partner_name"], points["kind"],
                                 points["area_ha"], points["status"], strict=True)
    ]  # fmt: skip
    draw = None
    if len(points):
        draw = partial(
            charts.sites_map,
            points, size="area_ha", color="kind",
            labels={k: words.vocab("kind", k, lang) for k in charts.KIND_COLORS},
            colors=charts.KIND_COLORS, hover="hover",
        )  # fmt: skip
    frame = pd.DataFrame({
        t("col.project", lang): points["shown_name"],
        t("col.partner", lang): points["partner_name"],
        t("col.kind", lang): [words.vocab("kind", k, lang) for k in points["kind"]],
        t("col.region", lang): [geo.region_name(c, lang) for c in points["region"]],
        t("col.area_planted_ha", lang): points["area_ha"].round(4),
        t("col.lat", lang): points["lat"].astype(float),
        t("col.lon", lang): points["lon"].astype(float),
    })  # fmt: skip
    regions = points["region"].nunique()
    insight = t("projects.sites_insight", lang,
                projects=fmt.quantity(len(points), "unit.projects", lang),
                regions=fmt.quantity(regions, "unit.regions", lang))  # fmt: skip
    empty = t("projects.no_sites", lang)
    return Chart("projects-sites", t("projects.map", lang), insight, draw, frame, empty)


# --- one project ------------------------------------------------------------------------------


def _project(report: dict[str, pd.DataFrame], projects: pd.DataFrame, project: str,
             names: dict[str, dict[str, str]], f: Filters, lang: str) -> ProjectView:  # fmt: skip
    row = projects.set_index("project_id").loc[project]
    progress = report["progress"].set_index("project_id").loc[project]
    planted = report["planted"][report["planted"]["project_id"] == project]
    surveys = report["surveys"][report["surveys"]["project_id"] == project]
    adopted = report["adoptions"][report["adoptions"]["project_id"] == project]
    unit_key = "unit.trees" if row["kind"] == "afforestation" else "unit.m2"
    name = str(row["shown_name"])
    about = [str(row["partner_name"]), words.vocab("kind", row["kind"], lang),
             geo.region_name(row["region"], lang),
             t("projects.started", lang, day=_day(row["started_on"], lang))]  # fmt: skip
    species = names["species"]
    return ProjectView(
        name=name,
        about=" · ".join(about),
        cards=_project_cards(row, progress, planted, unit_key, lang),
        plantings=_plantings(planted, adopted, species, name, project, unit_key, lang),
        surveys=_surveys(surveys, species, name, project, lang),
        batches=batches_map(
            planted, (float(row["lat"]), float(row["lon"])), species, name, project, unit_key, lang
        ),
        figures=project_figures(row, progress, planted, unit_key, lang),
        figures_name=f"project-{project}",
    )


def _project_cards(row: pd.Series, progress: pd.Series, planted: pd.DataFrame, unit_key: str,
                   lang: str) -> list[Card]:  # fmt: skip
    """Delivered, pace, surviving, carbon: each value short enough for its card, the detail in
    its note."""
    has_target = pd.notna(progress["target"])
    if has_target:
        target = target_text(progress["measure"], progress["target"], row["kind"], lang)
        delivered = Card(t("projects.delivered", lang), fmt.percent(progress["progress"], lang),
                         note=t("projects.of_target", lang, target=target))  # fmt: skip
    else:
        measure_unit = _unit_for(str(progress["measure"]), row["kind"])
        delivered = Card(t("projects.delivered", lang),
                         fmt.quantity(_rounded(progress["delivered"], progress["measure"]),
                                      measure_unit, lang, _decimals(progress["measure"])),
                         note=t("projects.no_target_note", lang))  # fmt: skip
    due = row["target_date"]
    due_words = t("projects.due", lang, day=_day(due, lang)) if pd.notna(due) else ""
    behind = behind_text(progress["status"], progress["behind_by"], progress["measure"],
                         row["kind"], lang)  # fmt: skip
    pace_note = " · ".join(p for p in (t("projects.by", lang, by=behind) if behind else "",
                                       due_words) if p)  # fmt: skip
    pace = Card(t("projects.pace", lang), pace_word(progress["status"], lang), note=pace_note,
                help=t("help.pace", lang))  # fmt: skip
    planted_units = float(planted["units_planted"].sum())
    surviving = float(planted["units_surviving_est"].sum())
    trees = row["kind"] == "afforestation"
    share_key = "kpi.survival_share" if trees else "kpi.area_survival_share"
    survive = Card(
        t("metric.trees_surviving_est" if trees else "projects.surviving", lang),
        fmt.quantity(round(surviving), unit_key, lang),
        note=t(share_key, lang, share=fmt.percent(surviving / planted_units, lang))
        if planted_units else t("projects.none_planted", lang),
        help=t("help.surviving", lang),
    )  # fmt: skip
    tonnes = [float(planted[f"sequestration_tco2e{b}"].sum()) for b in ("", "_low", "_high")]
    if tonnes[2] > 0:
        value, band = fmt.carbon_parts(*tonnes, lang)
        note = t("kpi.range", lang, band=band)
    else:
        value = fmt.quantity(0, "unit.t_co2e", lang)
        note = t("projects.no_carbon_yet" if planted_units else "projects.none_planted", lang)
    carbon = Card(t("metric.sequestration_tco2e", lang), value, note=note,
                  help=t("help.sequestration", lang))  # fmt: skip
    return [delivered, pace, survive, carbon]


def _plantings(planted: pd.DataFrame, adopted: pd.DataFrame, species: dict[str, str], name: str,
               project: str, unit_key: str, lang: str) -> Chart:  # fmt: skip
    """Units planted per month (per quarter over more than three years) and species, as bars on
    a date axis with ticks a reader reads (in Chinese too); the busiest bucket, and what users
    adopted."""
    buckets = plantings_over_time(planted, species, unit_key, lang)
    grain = str(buckets["grain"].iloc[0]) if len(buckets) else "month"
    title = t("projects.plantings", lang)
    unit_words = t(unit_key, lang)
    frame = pd.DataFrame({
        t(f"col.{grain}", lang): buckets["label"],
        t("col.species", lang): buckets["species_name"],
        t("col.planted_in", lang, unit=unit_words): buckets["units_planted"],
        t("col.area_planted_ha", lang): buckets["area_ha"].round(4),
        t("col.batches", lang): buckets["batches"],
    })  # fmt: skip
    empty = t("projects.no_plantings", lang, name=name)
    if buckets.empty:
        return Chart(f"project-{project}-plantings", title, "", None, frame, empty)
    totals = buckets.groupby("label", sort=False)["units_planted"].sum()
    top = totals.idxmax()
    insight = t(
        "projects.plantings_insight", lang,
        batches=fmt.quantity(len(planted), "unit.batches", lang),
        units=fmt.quantity(round(float(planted["units_planted"].sum())), unit_key, lang),
        adopted=fmt.quantity(round(float(adopted["units"].sum())), unit_key, lang),
        month=top, most=fmt.quantity(round(float(totals[top])), unit_key, lang),
    )  # fmt: skip
    draw = partial(_planting_bars, buckets, grain, unit_words, lang)
    return Chart(f"project-{project}-plantings", title, insight, draw, frame, empty)


def _planting_bars(buckets: pd.DataFrame, grain: str, unit_words: str, lang: str) -> go.Figure:
    fig = charts.stacked_bars(
        buckets, x="middle", y="units_planted", color="species", hover="hover",
        labels=dict(zip(buckets["species"], buckets["species_name"], strict=True)),
        y_title=unit_words,
    )  # fmt: skip
    # A real date axis: each bar centred on its month (or quarter) and as wide as most of it.
    days = 25 if grain == "month" else 80
    fig.update_traces(width=days * 86_400_000)
    fig.update_xaxes(type="date", tickangle=0)
    return charts.localise_dates(fig, lang)


def plantings_over_time(planted: pd.DataFrame, species: dict[str, str], unit_key: str,
                        lang: str) -> pd.DataFrame:  # fmt: skip
    """Units and area planted per calendar month and species — per quarter when the plantings
    span more than three years, so bars stay wide enough to read — with the bucket's start,
    its middle (where its bar stands), its name, batches and hover text."""
    cols = ["grain", "start", "middle", "species", "units_planted", "area_ha", "batches",
            "species_name", "label", "hover"]  # fmt: skip
    if planted.empty:
        return pd.DataFrame(columns=cols)
    days = pd.to_datetime(planted["planted_on"])
    grain = "month" if (days.max() - days.min()).days <= 3 * 366 else "quarter"
    start = days.dt.to_period("M" if grain == "month" else "Q").dt.start_time
    out = (
        planted.assign(start=start)
        .groupby(["start", "species"], as_index=False)
        .agg(units_planted=("units_planted", "sum"), area_ha=("area_ha", "sum"),
             batches=("planting_id", "count"))
        .sort_values(["start", "species"])
    )  # fmt: skip
    months = 1 if grain == "month" else 3
    ends = out["start"] + pd.DateOffset(months=months)
    out["middle"] = out["start"] + (ends - out["start"]) / 2
    out["grain"] = grain
    out["species_name"] = [species.get(x) or x for x in out["species"]]
    out["label"] = [bucket_label(b, grain, lang) for b in out["start"]]
    out["hover"] = [
        f"{m} · {n}<br>{fmt.quantity(round(u), unit_key, lang)} · "
        f"{fmt.quantity(a, 'unit.ha', lang, 2)}<br>{fmt.quantity(b, 'unit.batches', lang)}"
        for m, n, u, a, b in zip(out["label"], out["species_name"], out["units_planted"],
                                 out["area_ha"], out["batches"], strict=True)
    ]  # fmt: skip
    return out[cols].reset_index(drop=True)


def bucket_label(start: object, grain: str, lang: str) -> str:
    """'Apr 2024' / '2024年4月' for a month; 'Apr–Jun 2024' / '2024年4–6月' for a quarter."""
    if grain == "month":
        return words.period_label(start, "month", lang)
    first = pd.Timestamp(start)
    last = first + pd.DateOffset(months=2)
    if lang == "zh":
        return f"{first.year}年{first.month}–{last.month}月"
    return f"{first:%b}–{last:%b %Y}"


def _surveys(surveys: pd.DataFrame, species: dict[str, str], name: str, project: str,
             lang: str) -> Chart:  # fmt: skip
    """Survival found by each survey day and species (several surveys on a day are summed)."""
    days = surveys.groupby(["surveyed_on", "species"], as_index=False)[
        ["units_sampled", "units_alive"]].sum()  # fmt: skip
    days["survival_rate"] = days["units_alive"] / days["units_sampled"]
    days["species_name"] = [species.get(s) or s for s in days["species"]]
    days["when"] = [_day(d, lang) for d in days["surveyed_on"]]
    days["day"] = pd.to_datetime(days["surveyed_on"])
    days["hover"] = [
        f"{d}<br>{n}<br>"
        + t("hover.survey", lang, alive=fmt.number(a, lang), sampled=fmt.number(s, lang),
            pct=fmt.percent(r, lang))
        for d, n, a, s, r in zip(days["when"], days["species_name"], days["units_alive"],
                                 days["units_sampled"], days["survival_rate"], strict=True)
    ]  # fmt: skip
    frame = pd.DataFrame({
        t("col.date", lang): days["when"],
        t("col.species", lang): days["species_name"],
        t("col.sampled", lang): days["units_sampled"],
        t("col.alive", lang): days["units_alive"],
        t("col.survival_pct", lang): (days["survival_rate"] * 100).round(1),
    })  # fmt: skip
    title = t("projects.surveys", lang)
    empty = t("projects.no_surveys", lang, name=name)
    if days.empty:
        return Chart(f"project-{project}-surveys", title, "", None, frame, empty)
    last = days.iloc[-1]
    latest = days[days["surveyed_on"] == last["surveyed_on"]]
    insight = t("projects.surveys_insight", lang,
                days=fmt.quantity(days["surveyed_on"].nunique(), "unit.survey_days", lang),
                day=last["when"],
                pct=fmt.percent(latest["units_alive"].sum() / latest["units_sampled"].sum(),
                                lang))  # fmt: skip
    draw = partial(_survival_lines, days, lang)
    return Chart(f"project-{project}-surveys", title, insight, draw, frame, empty)


def _survival_lines(days: pd.DataFrame, lang: str) -> go.Figure:
    fig = charts.lines(days, x="day", y="survival_rate", color="species_name", labels={},
                       hover="hover", y_title=t("unit.survival", lang))  # fmt: skip
    fig.update_yaxes(tickformat=".0%", range=[0, 1.02])
    fig.update_xaxes(type="date", tickangle=0)
    return charts.localise_dates(fig, lang)


def batches_map(planted: pd.DataFrame, site: tuple[float, float], species: dict[str, str],
                name: str, project: str, unit_key: str, lang: str) -> Chart:  # fmt: skip
    """Where the project planted: one point per place its batches give (a batch without a
    position of its own is at the project's site), sized by units planted and coloured by
    habitat, each with its name and a short label. The map's one place: the points, names and
    labels are built here; charts.sites_map draws them."""
    title = t("projects.batches_map", lang)
    chart = f"project-{project}-batches"
    batches = planted.assign(
        species_name=[species.get(x) or x for x in planted["species"]],
        at_site=(planted["lat"].round(4) == round(site[0], 4))
        & (planted["lon"].round(4) == round(site[1], 4)),
    )
    frame = pd.DataFrame({
        t("col.batch", lang): batches["planting_id"],
        t("col.species", lang): batches["species_name"],
        t("col.date", lang): [_day(d, lang) for d in batches["planted_on"]],
        t("col.planted_in", lang, unit=t(unit_key, lang)): batches["units_planted"],
        t("col.area_planted_ha", lang): batches["area_ha"].round(4),
        t("col.lat", lang): batches["lat"].astype(float),
        t("col.lon", lang): batches["lon"].astype(float),
    })  # fmt: skip
    if batches.empty:
        return Chart(chart, title, "", None, frame, t("projects.no_plantings", lang, name=name))
    points = batch_places(batches, name, unit_key, lang)
    steps = charts.size_steps(points["units_planted"])
    # At least 12° wide: the provinces around the project are in view, so a reader sees
    # where it is, however close together its batches lie; the legend names the project.
    draw = partial(
        charts.sites_map,
        points, size="units_planted", color="habitat", min_span=12.0,
        labels={h: f"{name} · {words.vocab('habitat', h, lang)}" for h in charts.HABITAT_COLORS},
        colors=charts.HABITAT_COLORS, hover="hover",
        size_legend=[(v, fmt.quantity(v, unit_key, lang)) for v in steps],
    )  # fmt: skip
    places = points[["lat", "lon"]].drop_duplicates()
    insight = t("projects.batches_insight", lang,
                batches=fmt.quantity(len(batches), "unit.batches", lang),
                places=fmt.quantity(len(places), "unit.places", lang))  # fmt: skip
    if len(places) > 1:
        km = spread_km(places["lat"], places["lon"])
        insight += _gap(lang) + t("projects.batches_spread", lang,
                           km=fmt.quantity(km, "unit.km", lang, 1 if km < 10 else 0))  # fmt: skip
    at_site = int(batches["at_site"].sum())
    if at_site:
        insight += _gap(lang) + t("projects.batches_at_site", lang,
                           batches=fmt.quantity(at_site, "unit.batches", lang))  # fmt: skip
    return Chart(chart, title, insight, draw, frame, "")


def spread_km(lat: pd.Series, lon: pd.Series) -> float:
    """How far apart the points are: the diagonal of their bounding box, in km."""
    north_south = (lat.max() - lat.min()) * 111.2
    east_west = (lon.max() - lon.min()) * 111.2 * math.cos(math.radians(float(lat.mean())))
    return float(math.hypot(north_south, east_west))


def batch_places(batches: pd.DataFrame, name: str, unit_key: str, lang: str) -> pd.DataFrame:
    """One point per place and habitat: units and area planted there, the batches, species and
    months, a label ('Project site' or its species) and hover text."""
    out = batches.groupby(["lat", "lon", "habitat"], as_index=False).agg(
        units_planted=("units_planted", "sum"), area_ha=("area_ha", "sum"),
        batches=("planting_id", "count"), at_site=("at_site", "any"),
        species=("species_name", lambda x: ", ".join(sorted(set(x)))),
        first=("planted_on", "min"), last=("planted_on", "max"),
    )  # fmt: skip
    out["name"] = name
    out["label"] = [t("projects.site_label", lang) if a else sp
                    for a, sp in zip(out["at_site"], out["species"], strict=True)]  # fmt: skip
    out["when"] = [
        words.period_label(a, "month", lang) if words.period_label(a, "month", lang)
        == words.period_label(b, "month", lang) else
        f"{words.period_label(a, 'month', lang)}–{words.period_label(b, 'month', lang)}"
        for a, b in zip(out["first"], out["last"], strict=True)
    ]  # fmt: skip
    out["hover"] = [
        f"<b>{name}</b> · {lab}<br>{sp}<br>{fmt.quantity(round(u), unit_key, lang)} · "
        f"{fmt.quantity(a, 'unit.ha', lang, 2)}<br>{fmt.quantity(b, 'unit.batches', lang)}, {w}"
        for lab, sp, u, a, b, w in zip(out["label"], out["species"], out["units_planted"],
                                       out["area_ha"], out["batches"], out["when"], strict=True)
    ]  # fmt: skip
    return out


def project_figures(row: pd.Series, progress: pd.Series, planted: pd.DataFrame, unit_key: str,
                    lang: str) -> pd.DataFrame:  # fmt: skip
    """The project's headline figures for its download: one figure a row, in words, each with
    its unit; carbon always in tonnes, numbers without float noise."""
    measure = str(progress["measure"]) if isinstance(progress["measure"], str) else "units"
    target_unit = t(_unit_for(measure, row["kind"]), lang)
    places = _decimals(measure)
    tonnes = [float(planted[f"sequestration_tco2e{b}"].sum()) for b in ("", "_low", "_high")]

    def num(value: object, digits: int) -> object:
        if value is None or pd.isna(value):
            return None
        rounded = round(float(value), digits)
        return int(rounded) if rounded.is_integer() else rounded

    rows = [
        ("project", row["shown_name"], ""),
        ("partner", row["partner_name"], ""),
        ("kind", words.vocab("kind", row["kind"], lang), ""),
        ("region", geo.region_name(row["region"], lang), ""),
        ("started", _iso(row["started_on"]), ""),
        ("due", _iso(row["target_date"]), ""),
        ("target", num(progress["target"], places), target_unit),
        ("delivered", num(progress["delivered"], places), target_unit),
        ("delivered_share", num(progress["progress"] * 100 if pd.notna(progress["progress"])
                                else None, 1), "%"),
        ("expected_by_now", num(progress["expected_by_now"], places), target_unit),
        ("pace", pace_word(progress["status"], lang), ""),
        ("behind_by", num(progress["behind_by"], places)
         if progress["status"] == "behind plan" else None, target_unit),
        ("units_planted", num(planted["units_planted"].sum(), 2), t(unit_key, lang)),
        ("units_surviving_est", num(planted["units_surviving_est"].sum(), 2), t(unit_key, lang)),
        ("area_planted_ha", num(planted["area_ha"].sum(), 4), t("unit.ha", lang)),
        ("sequestration_tco2e", num(tonnes[0], 6), t("unit.t_co2e", lang)),
        ("sequestration_tco2e_low", num(tonnes[1], 6), t("unit.t_co2e", lang)),
        ("sequestration_tco2e_high", num(tonnes[2], 6), t("unit.t_co2e", lang)),
    ]  # fmt: skip
    return pd.DataFrame({
        t("col.figure", lang): [t(f"figure.{k}", lang) for k, _, _ in rows],
        t("col.value", lang): ["" if v is None else v for _, v, _ in rows],
        t("col.unit", lang): ["" if v is None else u for _, v, u in rows],
    })  # fmt: skip


# --- words for targets and pace -----------------------------------------------------------------


def _unit_for(measure: str, kind: str) -> str:
    if measure == "area_ha":
        return "unit.ha"
    return "unit.trees" if kind == "afforestation" else "unit.m2"


def _decimals(measure: object) -> int:
    return 1 if measure == "area_ha" else 0


def _rounded(value: object, measure: object) -> float:
    return round(float(value), _decimals(measure))


def target_text(measure: object, value: object, kind: str, lang: str) -> str:
    """'5,000 trees', '10.0 ha', or 'No target'."""
    if not isinstance(measure, str) or pd.isna(value):
        return t("pace.no_target", lang)
    return fmt.quantity(_rounded(value, measure), _unit_for(measure, kind), lang,
                        _decimals(measure))  # fmt: skip


def pace_word(status: object, lang: str) -> str:
    """The pace in two or three words ('Behind plan', 'On plan', 'Target met', 'No target')."""
    return t(PACE_KEYS.get(status, "pace.no_target") if isinstance(status, str)
             else "pace.no_target", lang)  # fmt: skip


def behind_text(status: object, behind_by: object, measure: object, kind: str, lang: str) -> str:
    """How far behind plan, with its unit ('2,900 trees', '1 tree'); '' when not behind."""
    if status != "behind plan" or behind_by is None or pd.isna(behind_by):
        return ""
    return fmt.quantity(_rounded(behind_by, measure), _unit_for(str(measure), kind), lang,
                        _decimals(measure))  # fmt: skip


# --- small helpers ------------------------------------------------------------------------------


def _day(value: object, lang: str) -> str:
    return words.day_words(pd.Timestamp(value).date(), lang) if pd.notna(value) else "–"


def _iso(value: object) -> str:
    return pd.Timestamp(value).date().isoformat() if pd.notna(value) else ""


def _places(value: float, digits: int = 3) -> int:
    """Decimal places that keep `digits` significant figures of a value (none for big ones)."""
    return max(0, digits - 1 - math.floor(math.log10(abs(value)))) if value else 0


def _round_sig(value: float) -> float:
    """A number to three significant figures (no float noise in the table or its CSV)."""
    return round(float(value), _places(value))


def _sig_text(value: float, lang: str) -> str:
    """Three significant figures with separators, as the cards show carbon."""
    return fmt.number(_round_sig(value), lang, _places(value))


def _band(low: float, high: float, lang: str) -> str:
    return f"{_sig_text(low, lang)}–{_sig_text(high, lang)}"


def _number_kind(largest: float) -> str:
    """How a column of numbers is drawn so its largest value shows three figures."""
    if largest == 0 or largest >= 100:
        return "int"
    return "dec2" if largest < 10 else "dec1"


def _gap(lang: str) -> str:
    """Between two sentences: a space in English, nothing after Chinese full stops."""
    return "" if lang == "zh" else " "
