"""Trees (managers, NGOs): what was planted where and when, what survives, what it stores."""

import streamlit as st

from greenstats import charts, fmt, ui, views

f, applies = ui.page_filters()
lang = ui.lang()
ui.page_header("page.trees", f, applies)

planted = ui.query("planted_slice", f, "trees")
all_time = ui.without_period(f)
species_names = ui.names("species")
if planted.empty:
    ui.empty("empty.plantings")
    st.stop()

totals = planted[
    [
        "units_planted",
        "units_surviving_est",
        "area_ha",
        "sequestration_tco2e",
        "sequestration_tco2e_low",
        "sequestration_tco2e_high",
    ]
].sum()
with st.container(key="kpis"):
    cols = st.columns(4)
    ui.kpi(
        cols[0],
        "kpi.trees",
        fmt.compact_quantity(totals["units_planted"], "unit.trees", lang),
        note=ui.tr("help.exact", value=fmt.quantity(totals["units_planted"], "unit.trees", lang)),
    )
    ui.kpi(
        cols[1],
        "kpi.trees_surviving",
        fmt.compact_quantity(totals["units_surviving_est"], "unit.trees", lang),
        note=ui.tr(
            "kpi.survival_share",
            share=fmt.percent(totals["units_surviving_est"] / totals["units_planted"], lang),
        ),
        help_text=ui.tr("help.surviving"),
    )
    ui.kpi(cols[2], "kpi.area", fmt.quantity(totals["area_ha"], "unit.ha", lang, 1))
    ui.carbon_kpi(
        cols[3], "kpi.sequestration", planted, "sequestration_tco2e", "help.sequestration"
    )

left, right = st.columns(2, gap="large")
with left:
    by_species = views.planted_by(planted, "species", species_names, "unit.trees", lang)
    by_species["habitat"] = by_species["species"].map(
        dict(zip(planted["species"], planted["habitat"], strict=False))
    )
    fig = charts.stacked_bars(
        by_species,
        x="label",
        y="units_planted",
        color="habitat",
        hover="hover",
        labels={h: ui.vocab("habitat", h) for h in charts.HABITAT_COLORS},
        colors=charts.HABITAT_COLORS,
        y_title=ui.tr("unit.trees"),
        horizontal=True,
        order=[h for h in charts.HABITAT_COLORS if h in set(by_species["habitat"])],
    )
    ui.chart_block(
        ui.tr("trees.by_species"),
        views.share_insight(by_species, "label", {}, "units_planted", lang),
        fig,
        by_species.drop(columns=["hover"]),
        "trees-species",
    )
with right:
    by_region = views.planted_by(
        planted, "region", {r: ui.region_label(r) for r in planted["region"]}, "unit.trees", lang
    )
    fig = charts.bars(
        by_region,
        category="label",
        value="units_planted",
        hover="hover",
        value_title=ui.tr("unit.trees"),
        color=charts.OKABE_ITO[1],
    )
    ui.chart_block(
        ui.tr("trees.by_region"),
        views.share_insight(by_region, "label", {}, "units_planted", lang),
        fig,
        by_region.drop(columns=["hover"]),
        "trees-regions",
    )

st.caption(ui.tr("trees.to_date"))
history = ui.query("planted_slice", all_time, "trees")
left, right = st.columns(2, gap="large")
with left:
    seasons = views.by_season(history, lang)
    fig = charts.stacked_bars(
        seasons,
        x="year",
        y="units_planted",
        color="season",
        labels={"spring": ui.tr("season.spring_name"), "autumn": ui.tr("season.autumn_name")},
        hover="hover",
        y_title=ui.tr("unit.trees"),
        colors={"spring": charts.OKABE_ITO[2], "autumn": charts.OKABE_ITO[1]},
    )
    ui.chart_block(
        ui.tr("trees.by_season"),
        ui.tr("insight.seasons"),
        fig,
        seasons.drop(columns=["hover"]),
        "trees-seasons",
    )
with right:
    cohorts, insight = views.cohort_view(ui.query("cohorts_slice", all_time, "trees"), lang)
    wide = views.cohort_wide(cohorts, lang)
    horizons = [h for h in (1, 3, 5) if wide[f"h{h}"].notna().any()] if len(wide) else []
    fig = (
        charts.grouped_bars(
            wide,
            category="cohort",
            horizontal=False,
            value_title=ui.tr("unit.survival"),
            series=[
                (f"h{h}", ui.tr("cohort.after", years=h), charts.HORIZON_COLORS[h], f"hover{h}")
                for h in horizons
            ],
        )
        if horizons
        else None
    )
    if fig is not None:
        fig.update_yaxes(tickformat=".0%", range=[0, 1])
    ui.chart_block(
        ui.tr("trees.cohorts"),
        insight,
        fig,
        cohorts.drop(columns=["hover"], errors="ignore"),
        "trees-cohorts",
        empty=ui.tr("empty.surveys"),
    )

left, right = st.columns(2, gap="large")
with left:
    years, insight = views.sequestration_years(
        ui.query("sequestration_years", all_time, "trees"), lang
    )
    fig = (
        charts.time_band(
            years,
            x="period",
            y="sequestration_tco2e",
            low="sequestration_tco2e_low",
            high="sequestration_tco2e_high",
            hover="hover",
            name=ui.tr("kpi.sequestration_year"),
            band_name=ui.tr("chart.range"),
            y_title=ui.tr("unit.t_co2e"),
            color=charts.OKABE_ITO[0],
        )
        if len(years)
        else None
    )
    ui.chart_block(
        ui.tr("trees.sequestration"),
        insight,
        fig,
        years.drop(columns=["hover"]),
        "trees-sequestration",
    )
with right:
    sites = views.sites(planted, ui.query("projects", f), species_names, lang, "unit.trees")
    fig = charts.sites_map(
        sites,
        size="units_planted",
        color="habitat",
        labels={h: ui.vocab("habitat", h) for h in charts.HABITAT_COLORS},
        colors=charts.HABITAT_COLORS,
        hover="hover",
    )
    ui.chart_block(
        ui.tr("trees.map"),
        ui.tr("insight.sites", n=fmt.number(len(sites), lang)),
        fig,
        sites.drop(columns=["hover"]),
        "trees-sites",
    )
