"""Species protected: the protected areas, the species they shelter, and which are threatened."""

import streamlit as st

from greenstats import charts, fmt, ui, views
from greenstats.contract import IUCN_CATEGORIES

f, applies = ui.page_filters()
lang = ui.lang()
ui.page_header("page.species", f, applies)

areas = ui.query("areas", f)
species = ui.query("area_species", f)
if areas.empty:
    ui.empty("empty.areas")
    st.stop()

s = ui.query("page_summary", f)
share = s["species_threatened"] / s["species_protected"] if s["species_protected"] else None
with st.container(key="kpis"):
    cols = st.columns(4)
    ui.kpi(
        cols[0],
        "species.areas",
        fmt.number(s["protected_areas"], lang),
        note=ui.tr("species.partners", n=fmt.number(areas["partner"].nunique(), lang)),
    )
    ui.kpi(
        cols[1],
        "species.area",
        fmt.quantity(s["protected_area_ha"], "unit.ha", lang),
        note=fmt.quantity(s["protected_area_ha"] / 100, "unit.km2", lang),
    )
    ui.kpi(cols[2], "kpi.species", fmt.quantity(s["species_protected"], "unit.species", lang))
    ui.kpi(
        cols[3],
        "species.threatened",
        fmt.quantity(s["species_threatened"], "unit.species", lang),
        note=ui.tr("species.threatened_share", pct=fmt.percent(share, lang)),
        help_text=ui.tr("help.threatened"),
    )

left, right = st.columns([3, 2], gap="large")
with left:
    mapped = views.areas_map(areas, lang)
    fig = charts.sites_map(
        mapped,
        size="area_ha",
        color="kind",
        labels={"area": ui.tr("species.areas")},
        colors={"area": charts.KIND_COLORS["conservation"]},
        hover="hover",
    )
    largest = mapped.iloc[0]
    ui.chart_block(
        ui.tr("species.map"),
        ui.tr(
            "insight.largest_area",
            name=largest["name"],
            area=fmt.quantity(largest["area_ha"], "unit.ha", lang),
            species=fmt.number(largest["species"], lang),
        ),
        fig,
        mapped.drop(columns=["hover", "kind"]),
        "protected-areas",
    )
with right:
    by_category, insight = views.iucn(species, IUCN_CATEGORIES, lang)
    fig = charts.bars(
        by_category,
        category="label",
        value="species",
        hover="hover",
        value_title=ui.tr("unit.species"),
        color=[charts.IUCN_COLORS[c] for c in by_category["iucn_category"]],
    )
    ui.chart_block(
        ui.tr("species.by_category"),
        insight,
        fig,
        by_category.drop(columns=["hover"]),
        "species-iucn",
    )

left, right = st.columns([2, 3], gap="large")
with left:
    by_group, insight = views.taxa(species, lang)
    fig = charts.bars(
        by_group,
        category="label",
        value="species",
        hover="hover",
        value_title=ui.tr("unit.species"),
        color=charts.OKABE_ITO[4],
    )
    ui.chart_block(
        ui.tr("species.by_group"), insight, fig, by_group.drop(columns=["hover"]), "species-taxa"
    )
with right:
    st.subheader(ui.tr("species.threatened_list"))
    table = views.threatened_table(ui.query("threatened", f), lang)
    st.markdown(ui.tr("insight.threatened", n=fmt.number(len(table), lang)))
    st.dataframe(table, hide_index=True, width="stretch", height=420)
    ui.download(table, "threatened-species")
