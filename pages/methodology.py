"""Methodology & data: where every number comes from, how fresh the data are, what was rejected."""

import streamlit as st

from greenstats.screens import methodology
from greenstats.ui import frame as ui

f, applies = ui.page_filters()
data = ui.cached(methodology.load, f, ui.lang())
ui.page_header("page.methodology", f, applies)
ui.say(data.version)
tab_factors, tab_metrics, tab_data = st.tabs(
    [ui.tr("method.tab_factors"), ui.tr("method.tab_metrics"), ui.tr("method.tab_data")]
)
with tab_factors:
    for table, lines, label in (
        (data.actions, data.action_sources, ui.tr("method.sources")),
        (data.species, data.species_sources, ui.tr("method.sources")),
        (data.equivalents, data.equivalent_sources, ui.tr("method.equivalent_sources")),
    ):
        ui.table(table)
        with st.expander(label):
            for line in lines:
                ui.say(line)
with tab_metrics:
    ui.say(data.definitions_intro)
    ui.download(data.definitions_csv, "metric-definitions")
    ui.heading(ui.tr("method.headline_figures"))
    ui.note(ui.tr("method.headline_where"))
    for line in data.headline_definitions:
        ui.say(line)
    ui.heading(ui.tr("method.page_statistics"))
    ui.note(ui.tr("method.page_statistics_where"))
    for line in data.stat_definitions:
        ui.say(line)
with tab_data:
    ui.heading(data.freshness.title)
    ui.say(data.events)
    ui.table(data.freshness, title=False)
    ui.table(data.rejects)
    ui.table(data.loads)
