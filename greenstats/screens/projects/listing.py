"""All of a partner's projects (or everyone's), when no project is picked: how each delivers
(a table on a desktop, a list of bars on a phone) and where they are (a map)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

import pandas as pd

from greenstats.screens.projects.pace import behind_text, pace_word, target_text
from greenstats.ui import charts, fmt, geo, words
from greenstats.ui.blocks import Chart, Markdown, Table
from greenstats.ui.i18n import t


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


# --- numbers to three significant figures -----------------------------------------------------


def _places(value: float, digits: int = 3) -> int:
    """Decimal places that keep `digits` significant figures of a value (none for big ones)."""
    return max(0, digits - 1 - math.floor(math.log10(abs(value)))) if value else 0


def _round_sig(value: float) -> float:
    """A number to three significant figures (no float noise in the table or its CSV)."""
    return round(float(value), _places(value))


def _number_kind(largest: float) -> str:
    """How a column of numbers is drawn so its largest value shows three figures."""
    if largest == 0 or largest >= 100:
        return "int"
    return "dec2" if largest < 10 else "dec1"
