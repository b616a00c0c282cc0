"""Coastal restoration: eelgrass, kelp, mangrove and salt marsh — area, survival, blue carbon."""

import streamlit as st

from greenstats import charts, fmt, ui, views

f, applies = ui.page_filters()
lang = ui.lang()
ui.page_header("page.coastal", f, applies)

planted = ui.query("planted_slice", f, "coastal")
species_names = ui.names("species")
if planted.empty:
    ui.empty("empty.coastal")
    st.stop()

totals = planted[
    [
        "units_planted",
        "area_ha",
        "sequestration_tco2e",
        "sequestration_tco2e_low",
        "sequestration_tco2e_high",
    ]
].sum()
surviving_area = float((planted["area_ha"] * planted["survival_rate"]).sum())
with st.container(key="kpis"):
    cols = st.columns(4)
    ui.kpi(
        cols[0],
        "kpi.coastal",
        fmt.quantity(totals["area_ha"], "unit.ha", lang, 2),
        note=fmt.quantity(totals["units_planted"], "unit.m2", lang),
    )
    ui.kpi(
        cols[1],
        "coastal.surviving_area",
        fmt.quantity(surviving_area, "unit.ha", lang, 2),
        note=ui.tr(
            "kpi.area_survival_share",
            share=fmt.percent(
                surviving_area / totals["area_ha"] if totals["area_ha"] else None, lang
            ),
        ),
        help_text=ui.tr("help.surviving_area"),
    )
    ui.carbon_kpi(
        cols[2], "coastal.blue_carbon", planted, "sequestration_tco2e", "help.blue_carbon"
    )
    ui.kpi(
        cols[3],
        "coastal.sites",
        fmt.number(planted["project_id"].nunique(), lang),
        note=ui.tr("coastal.sites_note"),
    )

left, right = st.columns(2, gap="large")
with left:
    by_species = views.planted_by(planted, "species", species_names, "unit.m2", lang)
    fig = charts.bars(
        by_species,
        category="label",
        value="units_planted",
        hover="hover",
        value_title=ui.tr("unit.m2"),
        color=charts.HABITAT_COLORS["coastal"],
    )
    ui.chart_block(
        ui.tr("coastal.by_habitat"),
        views.share_insight(by_species, "label", {}, "units_planted", lang),
        fig,
        by_species.drop(columns=["hover"]),
        "coastal-habitats",
    )
with right:
    carbon, insight = views.blue_carbon(by_species, lang)
    fig = charts.bars_with_range(
        carbon,
        category="label",
        value="sequestration_tco2e",
        low="sequestration_tco2e_low",
        high="sequestration_tco2e_high",
        hover="hover_carbon",
        value_title=ui.tr("unit.t_co2e"),
    )
    ui.chart_block(
        ui.tr("coastal.blue_carbon_by"),
        insight,
        fig,
        carbon.drop(columns=["hover", "hover_carbon"]),
        "coastal-carbon",
    )

left, right = st.columns(2, gap="large")
with left:
    survival, insight = views.survival_table(
        ui.query("survival_now", f), planted, species_names, ui.names("projects"), lang
    )
    st.subheader(ui.tr("coastal.survival"))
    st.markdown(insight)
    st.dataframe(
        survival,
        hide_index=True,
        width="stretch",
        column_config={
            ui.tr("col.survival"): st.column_config.ProgressColumn(
                ui.tr("col.survival"), format="percent", min_value=0, max_value=1
            )
        },
    )
    ui.download(survival, "coastal-survival")
with right:
    sites = views.sites(planted, ui.query("projects", f), species_names, lang, "unit.m2")
    fig = charts.sites_map(
        sites,
        size="units_planted",
        color="habitat",
        labels={"coastal": ui.vocab("habitat", "coastal")},
        colors=charts.HABITAT_COLORS,
        hover="hover",
    )
    ui.chart_block(
        ui.tr("coastal.map"),
        ui.tr("insight.sites", n=fmt.number(len(sites), lang)),
        fig,
        sites.drop(columns=["hover"]),
        "coastal-sites",
    )
