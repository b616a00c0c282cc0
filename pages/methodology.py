"""Methodology & data: where every number comes from, how fresh the data are, what was rejected."""

import streamlit as st

from greenstats import fmt, ui, views
from greenstats.methodology import load_equivalents
from greenstats.warehouse import DEFAULT_REFERENCE

f, applies = ui.page_filters()
lang = ui.lang()
ui.page_header("page.methodology", f, applies)
info = ui.info()
ref_actions, ref_species = ui.query("reference_frames", f)

st.markdown(
    ui.tr(
        "method.version",
        version=info["methodology_version"],
        snapshot=info["snapshot"],
        built=info["built_at"][:16].replace("T", " "),
    )
)
tab_factors, tab_metrics, tab_data = st.tabs(
    [ui.tr("method.tab_factors"), ui.tr("method.tab_metrics"), ui.tr("method.tab_data")]
)
with tab_factors:
    st.subheader(ui.tr("method.actions"))
    st.markdown(ui.tr("method.actions_intro"))
    actions = views.action_factors(ref_actions, lang)
    st.dataframe(
        actions,
        hide_index=True,
        width="stretch",
        column_config=ui.wide_text(actions, ui.tr("col.source"), ui.tr("col.basis")),
    )
    ui.download(actions, "methodology-actions")
    ui.sources(ref_actions, "action")
    st.subheader(ui.tr("method.species"))
    st.markdown(ui.tr("method.species_intro"))
    species = views.species_factors(ref_species, lang)
    st.dataframe(
        species,
        hide_index=True,
        width="stretch",
        column_config=ui.wide_text(species, ui.tr("col.source")),
    )
    ui.download(species, "methodology-species")
    ui.sources(ref_species, "species")
    st.subheader(ui.tr("method.equivalents"))
    equivalents = views.equivalent_factors(load_equivalents(DEFAULT_REFERENCE), lang)
    st.dataframe(
        equivalents,
        hide_index=True,
        width="stretch",
        column_config=ui.wide_text(equivalents, ui.tr("col.source")),
    )
with tab_metrics:
    st.markdown(ui.tr("method.metrics_intro"))
    definitions = views.definitions(lang)
    st.dataframe(definitions, hide_index=True, width="stretch")
    ui.download(definitions, "metric-definitions")
with tab_data:
    st.subheader(ui.tr("method.freshness"))
    first, last = ui.data_days()
    st.markdown(ui.tr("method.events", first=ui.day_words(first), last=ui.day_words(last)))
    fresh = views.freshness(ui.query("freshness", f), lang)
    st.dataframe(fresh, hide_index=True, width="stretch")
    st.subheader(ui.tr("method.rejects"))
    rejects = ui.query("rejects_by_reason", f)
    if rejects.empty:
        ui.empty("method.no_rejects")
    else:
        st.markdown(ui.tr("method.rejects_intro", n=fmt.number(rejects["rows"].sum(), lang)))
        table = views.rejects_table(rejects, lang)
        st.dataframe(table, hide_index=True, width="stretch")
        ui.download(table, "rejects-by-reason")
    st.subheader(ui.tr("method.loads"))
    loads = ui.query("loads", f)
    st.dataframe(views.loads_table(loads, lang), hide_index=True, width="stretch", height=300)
