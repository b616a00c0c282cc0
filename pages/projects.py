"""Projects (NGO partners): one project's truth for a donor report — or all of a partner's."""

import pandas as pd
import streamlit as st

from greenstats import charts, fmt, ui, views

f, applies = ui.page_filters()
lang = ui.lang()
ui.page_header("page.projects", f, applies)

partners = ui.query("partners", f)
pick_partner, pick_project = st.columns(2)
partner = pick_partner.selectbox(
    ui.tr("projects.partner"),
    partners,
    index=None,
    key="partner",
    bind="query-params",
    placeholder=ui.tr("projects.all_partners"),
)
everything = ui.query("project_report", f)
projects = everything["projects"]
if partner:
    projects = projects[projects["partner"] == partner]
labels = {p: f"{n} · {p}" for p, n in zip(projects["project_id"], projects["name"], strict=True)}
project = pick_project.selectbox(
    ui.tr("projects.project"),
    list(labels),
    index=None,
    key="p",
    bind="query-params",
    format_func=labels.get,
    placeholder=ui.tr("projects.all_of_partner"),
)
species_names = ui.names("species")

if not project:
    report = {k: v[v["project_id"].isin(projects["project_id"])] for k, v in everything.items()}
    table = views.progress_table(report, species_names, lang)
    st.subheader(ui.tr("projects.overview", partner=partner or ui.tr("projects.all_partners")))
    behind = (report["progress"]["status"] == "behind plan").sum()
    st.markdown(
        ui.tr("insight.projects", n=fmt.number(len(table), lang), behind=fmt.number(behind, lang))
    )
    st.dataframe(
        table.drop(columns=["project_id"]),
        hide_index=True,
        width="stretch",
        column_config={
            ui.tr("col.progress"): st.column_config.ProgressColumn(
                ui.tr("col.progress"), format="%.0f%%", min_value=0, max_value=100
            ),
            ui.tr("col.survival"): st.column_config.NumberColumn(format="%.0f%%"),
        },
    )
    ui.download(table, f"projects-{partner or 'all'}")
    sites = views.sites(report["planted"], projects, species_names, lang, "unit.units")
    fig = charts.sites_map(
        sites,
        size="units_planted",
        color="habitat",
        labels={h: ui.vocab("habitat", h) for h in charts.HABITAT_COLORS},
        colors=charts.HABITAT_COLORS,
        hover="hover",
    )
    ui.chart_block(
        ui.tr("projects.map"),
        ui.tr("insight.sites", n=fmt.number(len(sites), lang)),
        fig,
        sites.drop(columns=["hover"]),
        "projects-sites",
        empty=ui.tr("empty.plantings"),
    )
    st.stop()

row = projects.set_index("project_id").loc[project]
progress = everything["progress"].set_index("project_id").loc[project]
planted = everything["planted"][everything["planted"]["project_id"] == project]
surveys = everything["surveys"][everything["surveys"]["project_id"] == project]
adopted = everything["adoptions"][everything["adoptions"]["project_id"] == project]
unit_key = "unit.trees" if row["kind"] == "afforestation" else "unit.m2"

st.subheader(row["name"])
st.caption(
    " · ".join(
        [
            row["partner"],
            ui.vocab("kind", row["kind"]),
            ui.region_label(row["region"]),
            ui.tr("projects.started", day=ui.day_words(row["started_on"])),
        ]
    )
)
with st.container(key="kpis"):
    cols = st.columns(4)
    target = views.target_text(progress["measure"], progress["target"], row["kind"], lang)
    ui.kpi(
        cols[0],
        "projects.delivered",
        fmt.percent(progress["progress"], lang),
        note=ui.tr("projects.of_target", target=target),
    )
    due = row["target_date"]
    ui.kpi(
        cols[1],
        "projects.pace",
        views.pace_text(
            progress["status"], progress["behind_by"], progress["measure"], row["kind"], lang
        ),
        note=ui.tr("projects.due", day=ui.day_words(due)) if pd.notna(due) else "",
        help_text=ui.tr("help.pace"),
    )
    planted_units, surviving = planted["units_planted"].sum(), planted["units_surviving_est"].sum()
    ui.kpi(
        cols[2],
        "kpi.trees_surviving" if row["kind"] == "afforestation" else "projects.surviving",
        fmt.quantity(surviving, unit_key, lang),
        note=ui.tr(
            "kpi.survival_share",
            share=fmt.percent(surviving / planted_units if planted_units else None, lang),
        ),
    )
    ui.carbon_kpi(
        cols[3], "kpi.sequestration", planted, "sequestration_tco2e", "help.sequestration"
    )

batches, checks = views.timeline(planted, surveys, species_names, lang, unit_key)
left, right = st.columns(2, gap="large")
with left:
    fig = (
        charts.bars(
            batches.assign(day=batches["planted_on"].astype(str)),
            category="day",
            value="units_planted",
            hover="hover",
            value_title=ui.tr(unit_key),
            color=charts.OKABE_ITO[2],
            horizontal=False,
        )
        if len(batches)
        else None
    )
    ui.chart_block(
        ui.tr("projects.plantings"),
        ui.tr(
            "insight.plantings",
            n=fmt.number(len(batches), lang),
            units=fmt.quantity(planted_units, unit_key, lang),
            adopted=fmt.quantity(adopted["units"].sum(), unit_key, lang),
        ),
        fig,
        batches.drop(columns=["hover"]),
        f"project-{project}-plantings",
        empty=ui.tr("empty.plantings"),
    )
with right:
    fig = (
        charts.lines(
            checks.assign(day=checks["surveyed_on"]),
            x="day",
            y="survival_rate",
            color="species_name",
            labels={},
            hover="hover",
            y_title=ui.tr("unit.survival"),
        )
        if len(checks)
        else None
    )
    if fig is not None:
        fig.update_yaxes(tickformat=".0%", range=[0, 1.02])
    ui.chart_block(
        ui.tr("projects.surveys"),
        ui.tr("insight.surveys", n=fmt.number(len(checks), lang)),
        fig,
        checks.drop(columns=["hover"]),
        f"project-{project}-surveys",
        empty=ui.tr("empty.surveys"),
    )

sites = views.sites(planted, projects, species_names, lang, unit_key)
fig = (
    charts.sites_map(
        planted.assign(
            hover=batches.set_index("planting_id").loc[planted["planting_id"], "hover"].to_numpy()
        ),
        size="units_planted",
        color="habitat",
        labels={h: ui.vocab("habitat", h) for h in charts.HABITAT_COLORS},
        colors=charts.HABITAT_COLORS,
        hover="hover",
    )
    if len(planted)
    else None
)
ui.chart_block(
    ui.tr("projects.batches_map"),
    ui.tr("insight.batches_map"),
    fig,
    planted[["planting_id", "species", "planted_on", "units_planted", "area_ha", "lat", "lon"]],
    f"project-{project}-batches",
    empty=ui.tr("empty.plantings"),
)
st.subheader(ui.tr("projects.download"))
figures = views.project_figures(row["name"], progress, planted, lang)
ui.download(figures, f"project-{project}", label=ui.tr("projects.download_button"))
